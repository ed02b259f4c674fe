"""RAdam (Liu et al., 2020): Adam whose adaptive step is switched on gradually, once the
variance of v̂ is tractable (ρ_t > 5), and scaled by the rectification term r_t."""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from optim._checks import as_pair
from optim.adam import AdamFamily


def radam_update(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray,
                 step: int, *, lr: float, beta1: float, beta2: float, eps: float,
                 weight_decay: float) -> None:
    """One RAdam step, in place on ``param``, ``m`` (exp_avg) and ``v`` (exp_avg_sq)::

        g ← g + λθ                               (coupled L2)
        m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g² ;  m̂ = m/(1 − β1^t)
        ρ∞ = 2/(1 − β2) − 1 ;  ρ_t = ρ∞ − 2t·β2^t/(1 − β2^t)
        if ρ_t > 5:  r = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))
                     θ ← θ − γ·m̂·r·√(1 − β2^t)/(√v + ε)     (ε before bias correction)
        else:        θ ← θ − γ·m̂                  (SGD on the bias-corrected average m̂)
    """
    g = grad + weight_decay * param if weight_decay != 0 else grad
    exp_avg *= beta1
    exp_avg += (1 - beta1) * g
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * np.square(g)
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    rho_inf = 2 / (1 - beta2) - 1
    rho = rho_inf - 2 * step * beta2**step / bias_correction2
    if rho > 5:
        r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        denom = np.sqrt(exp_avg_sq)
        denom += eps
        param -= (lr * r * math.sqrt(bias_correction2) / bias_correction1) * exp_avg / denom
    else:
        param -= (lr / bias_correction1) * exp_avg


class RAdam(AdamFamily):
    """RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0).

    State per parameter: ``exp_avg``, ``exp_avg_sq``. See ``radam_update``.
    """

    update_rule = staticmethod(radam_update)

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=as_pair(betas), eps=eps, weight_decay=weight_decay))
