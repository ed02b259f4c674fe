"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and coupled L2."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from optim._checks import check_flags, check_range
from optim.optimizer import Optimizer, ParamGroup


def sgd_update(param: np.ndarray, grad: np.ndarray, momentum_buffer: np.ndarray | None, step: int, *,
               lr: float, momentum: float, dampening: float, weight_decay: float, nesterov: bool,
               maximize: bool) -> None:
    """One SGD step, in place on ``param`` and ``momentum_buffer``::

        g ← −g                                    if maximize
        g ← g + λθ                                (coupled L2)
        if μ ≠ 0:
            b ← g  on step 1,   else  b ← μ·b + (1 − dampening)·g
            g ← g + μ·b  if nesterov  else  g ← b
        θ ← θ − γ·g
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    if momentum != 0:
        b = momentum_buffer
        if step == 1:
            np.copyto(b, g)
        else:
            b *= momentum
            b += (1 - dampening) * g
        g = g + momentum * b if nesterov else b
    param -= lr * g


class SGD(Optimizer):
    """SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False).

    State per parameter: ``momentum_buffer`` (only when momentum ≠ 0). See ``sgd_update``.
    Momentum switched on after the first step starts as at step one, b ← g, as in PyTorch
    (whose buffer is None until then): the step count, the age of the state, starts again with
    the buffer. Switched off for some steps and on again, it starts afresh too, where PyTorch
    would take up the buffer it kept.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        check_range("learning rate", group["lr"])
        check_range("momentum value", group["momentum"])
        check_range("dampening value", group["dampening"], high=1.0)
        check_range("weight_decay value", group["weight_decay"])
        check_flags(group, "nesterov", "maximize")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")

    def _init_state(self, param: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        return {"momentum_buffer": np.zeros_like(param)} if group["momentum"] != 0 else {}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        sgd_update(param, grad, state.get("momentum_buffer"), state["step"], lr=group["lr"],
                   momentum=group["momentum"], dampening=group["dampening"],
                   weight_decay=group["weight_decay"], nesterov=group["nesterov"],
                   maximize=group["maximize"])
