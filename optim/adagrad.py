"""Adagrad (Duchi, Hazan & Singer, 2011): per-coordinate steps shrinking with the summed
squared gradients."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from optim._checks import check_lr_eps_weight_decay, check_range
from optim.optimizer import Optimizer, ParamGroup


def adagrad_update(param: np.ndarray, grad: np.ndarray, sum_sq: np.ndarray, step: int, *, lr: float,
                   lr_decay: float, weight_decay: float, eps: float) -> None:
    """One Adagrad step, in place on ``param`` and the accumulator ``s`` (sum_sq)::

        g ← g + λθ                               (coupled L2)
        γ_t = γ / (1 + (t − 1)·lr_decay)
        s ← s + g²
        θ ← θ − γ_t · g / (√s + ε)

    With a constant gradient (and s starting at 0, λ = 0, lr_decay = 0), s = t·g², so the
    effective rate γ/(√t·|g|) dies like 1/√t.
    """
    g = grad + weight_decay * param if weight_decay != 0 else grad
    lr_t = lr / (1 + (step - 1) * lr_decay)
    sum_sq += np.square(g)
    denom = np.sqrt(sum_sq)
    denom += eps
    param -= lr_t * g / denom


class Adagrad(Optimizer):
    """Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10).

    State per parameter: ``sum`` (the accumulator s, starting at initial_accumulator_value).
    See ``adagrad_update``.
    """

    never_negative_state = frozenset({"sum"})

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        check_lr_eps_weight_decay(group["lr"], group["eps"], group["weight_decay"])
        check_range("lr_decay value", group["lr_decay"])
        check_range("initial_accumulator_value value", group["initial_accumulator_value"])

    def _init_state(self, param: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        return {"sum": np.full_like(param, group["initial_accumulator_value"])}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        adagrad_update(param, grad, state["sum"], state["step"], lr=group["lr"],
                       lr_decay=group["lr_decay"], weight_decay=group["weight_decay"],
                       eps=group["eps"])
