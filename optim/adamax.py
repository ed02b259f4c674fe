"""Adamax (Kingma & Ba, 2015, section 7): Adam with the infinity norm in place of v."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from optim._checks import as_pair
from optim.adam import AdamFamily


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


class Adamax(AdamFamily):
    """Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0).

    State per parameter: ``exp_avg``, ``exp_inf``. See ``adamax_update``.
    """

    second_moment = "exp_inf"
    update_rule = staticmethod(adamax_update)

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=as_pair(betas), eps=eps, weight_decay=weight_decay))
