"""Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms"): the sign of an
interpolated momentum, with decoupled weight decay."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from optim._checks import as_pair, check_betas, check_range
from optim.optimizer import Optimizer, ParamGroup


def lion_update(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, *, lr: float, beta1: float,
                beta2: float, weight_decay: float) -> None:
    """One Lion step, in place on ``param`` and the momentum ``m`` (exp_avg)::

        c = β1·m + (1 − β1)·g
        θ ← θ·(1 − γλ) − γ·sign(c)              (decoupled decay)
        m ← β2·m + (1 − β2)·g

    Without weight decay every coordinate moves by exactly γ (or 0), so Lion wants a smaller lr
    than Adam; the decay adds γλθ to that move.
    """
    c = beta1 * exp_avg + (1 - beta1) * grad
    param *= 1 - lr * weight_decay
    param -= lr * np.sign(c)
    exp_avg *= beta2
    exp_avg += (1 - beta2) * grad


class Lion(Optimizer):
    """Lion(params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0).

    State per parameter: ``exp_avg``. See ``lion_update``.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99),
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=as_pair(betas), weight_decay=weight_decay))

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        check_range("learning rate", group["lr"])
        check_range("weight_decay value", group["weight_decay"])
        check_betas(group["betas"])

    def _init_state(self, param: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        return {"exp_avg": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        beta1, beta2 = group["betas"]
        lion_update(param, grad, state["exp_avg"], lr=group["lr"], beta1=beta1, beta2=beta2,
                    weight_decay=group["weight_decay"])
