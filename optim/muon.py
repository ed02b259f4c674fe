"""Muon (Jordan et al., 2024): momentum whose update is orthogonalized by a Newton–Schulz
iteration, for 2-D weight matrices. Other parameters (biases, gains, embeddings) belong to an
AdamW optimizer."""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from minigrad import Tensor
from optim._checks import check_flags, check_int, check_range, refuse_unordered
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
    ``torch.optim.Muon`` divides by max(‖U‖_F, eps) instead: its steps are larger by a factor
    of about 1 + eps/‖U‖_F (1e-8 relative for a gradient of norm 10, 3 % at norm 3e-6).
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
    """Muon(params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, ns_steps=5, eps=1e-7).

    Only 2-D parameters are accepted (a ValueError names any other shape).
    State per parameter: ``momentum_buffer``. See ``muon_update``.
    """

    elementwise = False  # Newton–Schulz mixes the entries of each matrix

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True, ns_steps: int = 5,
                 eps: float = 1e-7) -> None:
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_steps=ns_steps, eps=eps)
        super().__init__(params, defaults)

    def add_param_group(self, group: ParamGroup) -> None:
        if isinstance(group, dict) and "params" in group:
            params = group["params"]
            refuse_unordered(params)
            group = {**group, "params": [params] if isinstance(params, Tensor) else list(params)}
            for p in group["params"]:
                if isinstance(p, Tensor) and p.ndim != 2:
                    raise ValueError(
                        f"Muon only optimizes 2-D parameters, got one of shape {p.shape}; "
                        "put it in an AdamW optimizer instead"
                    )
        super().add_param_group(group)

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        check_range("learning rate", group["lr"])
        check_range("weight_decay value", group["weight_decay"])
        check_range("momentum value", group["momentum"], high=1.0, high_inclusive=False)
        check_range("epsilon value", group["eps"])
        check_flags(group, "nesterov")
        check_int("ns_steps value", group["ns_steps"], 1)

    def _init_state(self, param: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        return {"momentum_buffer": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        muon_update(param, grad, state["momentum_buffer"], lr=group["lr"],
                    weight_decay=group["weight_decay"], momentum=group["momentum"],
                    nesterov=group["nesterov"], ns_steps=group["ns_steps"], eps=group["eps"])
