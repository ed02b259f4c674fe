"""RMSprop (Hinton, 2012): divide the gradient by a running RMS of recent gradients."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from optim._checks import check_flags, check_lr_eps_weight_decay, check_range
from optim.optimizer import Optimizer, ParamGroup


def rmsprop_update(param: np.ndarray, grad: np.ndarray, square_avg: np.ndarray,
                   grad_avg: np.ndarray | None, momentum_buffer: np.ndarray | None, *, lr: float,
                   alpha: float, eps: float, weight_decay: float, momentum: float,
                   centered: bool) -> None:
    """One RMSprop step, in place on ``param`` and the averages ``v`` (square_avg), ``ḡ``
    (grad_avg, if centered) and ``b`` (momentum_buffer, if momentum > 0)::

        g ← g + λθ                               (coupled L2)
        v ← α·v + (1 − α)·g²
        if centered:  ḡ ← α·ḡ + (1 − α)·g ;  d = √max(v − ḡ², 0) + ε
        else:         d = √v + ε
        if μ > 0:  b ← μ·b + g/d ;  θ ← θ − γ·b
        else:      θ ← θ − γ·g/d

    There is no bias correction: v starts at 0, so the first steps are large. (v − ḡ² ≥ 0 in
    exact arithmetic; rounding can make it slightly negative, which the max keeps from
    turning into NaN. This clamp is the one difference from the spec's d = √(v − ḡ²) + ε and
    PyTorch's, which give NaN there; everywhere else the numbers are the same.)
    """
    g = grad + weight_decay * param if weight_decay != 0 else grad
    square_avg *= alpha
    square_avg += (1 - alpha) * np.square(g)
    if centered:
        grad_avg *= alpha
        grad_avg += (1 - alpha) * g
        denom = np.sqrt(np.maximum(square_avg - np.square(grad_avg), 0))
    else:
        denom = np.sqrt(square_avg)
    denom += eps
    if momentum > 0:
        momentum_buffer *= momentum
        momentum_buffer += g / denom
        param -= lr * momentum_buffer
    else:
        param -= lr * g / denom


class RMSprop(Optimizer):
    """RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False).

    State per parameter: ``square_avg``, plus ``grad_avg`` if centered and ``momentum_buffer``
    if momentum > 0. See ``rmsprop_update``.
    """

    never_negative_state = frozenset({"square_avg"})

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        check_lr_eps_weight_decay(group["lr"], group["eps"], group["weight_decay"])
        check_range("alpha value", group["alpha"], high=1.0)
        check_range("momentum value", group["momentum"])
        check_flags(group, "centered")

    def _init_state(self, param: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        state = {"square_avg": np.zeros_like(param)}
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param)
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        return state

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        rmsprop_update(param, grad, state["square_avg"], state.get("grad_avg"),
                       state.get("momentum_buffer"), lr=group["lr"], alpha=group["alpha"],
                       eps=group["eps"], weight_decay=group["weight_decay"],
                       momentum=group["momentum"], centered=group["centered"])
