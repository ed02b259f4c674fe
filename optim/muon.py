"""Muon (Jordan et al., 2024): momentum whose update is orthogonalized by a Newton–Schulz
iteration, for 2-D weight matrices. Other parameters (biases, gains) belong to an AdamW group:
a group of the same optimizer with ``use_muon=False``."""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from optim._checks import as_pair, check_betas, check_flags, check_int, check_range
from optim.adam import adam_update
from optim.optimizer import Optimizer, ParamGroup

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def newton_schulz(update: np.ndarray, steps: int, eps: float) -> np.ndarray:
    """An approximate orthogonalization U·(UᵀU)^(-1/2) of a matrix, by a quintic iteration::

        X = U / (‖U‖_F + eps)                    (U transposed first if it has more rows than cols)
        repeat steps:  A = X·Xᵀ ;  X ← a·X + (b·A + c·A·A)·X
        transpose back

    with (a, b, c) = (3.4445, −4.7750, 2.0315), tuned so that singular values in (0, 1] are
    pushed quickly towards 1 (roughly into [0.7, 1.2], not exactly to 1).

    The normalization is the spec's and Keller Jordan's reference's, ‖U‖_F + eps. PyTorch's
    ``torch.optim.Muon`` divides by max(‖U‖_F, eps) instead, so its iteration starts from an X
    larger by 1 + eps/‖U‖_F. The iteration is not linear, so the steps do not simply scale by
    that factor: they agree to ~1e-7 of the largest entry at ‖U‖_F = 10, and differ by tens of
    percent when ‖U‖_F comes near eps. The larger difference in practice is precision: PyTorch
    iterates in bfloat16, this in the update's dtype (its steps differ from these by up to a few
    percent of their largest entry).
    """
    a, b, c = NS_COEFFICIENTS
    tall = update.shape[0] > update.shape[1]
    x = update.T if tall else update
    x = x / (np.linalg.norm(x) + eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def muon_update(param: np.ndarray, grad: np.ndarray, momentum_buffer: np.ndarray, *, lr: float,
                weight_decay: float, momentum: float, nesterov: bool, ns_steps: int, eps: float) -> None:
    """One Muon step for a (rows, cols) matrix, in place on ``param`` and ``B`` (momentum_buffer)::

        B ← μ·B + (1 − μ)·g
        U = (1 − μ)·g + μ·B   if nesterov   else   U = B
        O = NewtonSchulz(U)
        γ′ = γ·√max(1, rows/cols)
        θ ← θ·(1 − γλ)                           (decoupled decay, unadjusted γ)
        θ ← θ − γ′·O
    """
    momentum_buffer *= momentum
    momentum_buffer += (1 - momentum) * grad
    update = (1 - momentum) * grad + momentum * momentum_buffer if nesterov else momentum_buffer
    orthogonal = newton_schulz(update, ns_steps, eps)
    rows, cols = param.shape
    adjusted_lr = lr * math.sqrt(max(1.0, rows / cols))
    param *= 1 - lr * weight_decay
    param -= adjusted_lr * orthogonal


class Muon(Optimizer):
    """Muon(params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, ns_steps=5, eps=1e-7,
    adamw_betas=(0.9, 0.999), adamw_eps=1e-8).

    Each parameter group says with ``use_muon`` (True unless the group sets it) how it is updated:

    - ``use_muon=True``: by Muon (``muon_update``), with lr, weight_decay, momentum, nesterov,
      ns_steps and eps. Such a group takes 2-D parameters only (a ValueError names any other
      shape). State per parameter: ``momentum_buffer``.
    - ``use_muon=False``: by AdamW (``optim.adam.adam_update``, decoupled), with the group's lr
      and weight_decay, β = ``adamw_betas`` and ε = ``adamw_eps``; for the parameters Muon does
      not take, such as biases. State per parameter: ``exp_avg`` (m) and ``exp_avg_sq`` (v).
      Like any group, it takes what it does not set from the defaults above: Muon's lr and
      weight_decay (0.1), not AdamW's.

    So one optimizer (one state dict, one scheduler) trains a whole network::

        Muon([{"params": weights},
              {"params": biases, "use_muon": False, "lr": 1e-3, "weight_decay": 0.0}], lr=0.02)

    A group switched between the two between steps starts the other's state afresh, its step
    count from 0.
    """

    elementwise = False  # Newton–Schulz mixes the entries of each matrix
    _renamed_settings = {"betas": "adamw_betas"}  # (an AdamW group's betas, ported as they were)
    never_negative_state = frozenset({"exp_avg_sq"})  # (of the AdamW groups)

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True, ns_steps: int = 5,
                 eps: float = 1e-7, adamw_betas: tuple[float, float] = (0.9, 0.999),
                 adamw_eps: float = 1e-8) -> None:
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_steps=ns_steps, eps=eps, use_muon=True, adamw_betas=as_pair(adamw_betas),
                        adamw_eps=adamw_eps)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        check_range("learning rate", group["lr"])
        check_range("weight_decay value", group["weight_decay"])
        check_range("momentum value", group["momentum"], high=1.0, high_inclusive=False)
        check_range("epsilon value", group["eps"])
        check_flags(group, "nesterov", "use_muon")
        check_int("ns_steps value", group["ns_steps"], 1)
        check_betas(group["adamw_betas"])
        check_range("adamw_eps value", group["adamw_eps"])
        if group["use_muon"]:
            for p in group.get("params", ()):
                if p.ndim != 2:
                    raise ValueError(
                        f"Muon only optimizes 2-D parameters, got one of shape {p.shape}; "
                        "put it in a group with use_muon=False (updated by AdamW) instead"
                    )

    def _init_state(self, param: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        if group["use_muon"]:
            return {"momentum_buffer": np.zeros_like(param)}
        return {"exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        if group["use_muon"]:
            muon_update(param, grad, state["momentum_buffer"], lr=group["lr"],
                        weight_decay=group["weight_decay"], momentum=group["momentum"],
                        nesterov=group["nesterov"], ns_steps=group["ns_steps"], eps=group["eps"])
        else:
            beta1, beta2 = group["adamw_betas"]
            adam_update(param, grad, state["exp_avg"], state["exp_avg_sq"], state["step"],
                        lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["adamw_eps"],
                        weight_decay=group["weight_decay"], decoupled=True)
