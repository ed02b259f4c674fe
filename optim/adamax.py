"""Adamax (Kingma & Ba, 2015, section 7): Adam with the infinity norm in place of v."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from optim._checks import check_betas, check_lr_eps_weight_decay
from optim.optimizer import Optimizer, ParamGroup


def adamax_update(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_inf: np.ndarray,
                  step: int, *, lr: float, beta1: float, beta2: float, eps: float,
                  weight_decay: float) -> None:
    """One Adamax step, in place on ``param``, ``m`` (exp_avg) and ``u`` (exp_inf)::

        g ← g + λθ                               (coupled L2)
        m ← β1·m + (1 − β1)·g
        u ← max(β2·u, |g| + ε)
        θ ← θ − γ/(1 − β1^t) · m/u
    """
    g = grad + weight_decay * param if weight_decay != 0 else grad
    exp_avg *= beta1
    exp_avg += (1 - beta1) * g
    exp_inf *= beta2
    np.maximum(exp_inf, np.abs(g) + eps, out=exp_inf)
    param -= (lr / (1 - beta1**step)) * exp_avg / exp_inf


class Adamax(Optimizer):
    """Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0).

    State per parameter: ``exp_avg``, ``exp_inf``. See ``adamax_update``.
    """

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        check_lr_eps_weight_decay(group["lr"], group["eps"], group["weight_decay"])
        check_betas(group["betas"])

    def _init_state(self, param: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        return {"exp_avg": np.zeros_like(param), "exp_inf": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        beta1, beta2 = group["betas"]
        adamax_update(param, grad, state["exp_avg"], state["exp_inf"], state["step"], lr=group["lr"],
                      beta1=beta1, beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"])
