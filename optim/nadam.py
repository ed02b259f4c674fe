"""NAdam (Dozat, 2016): Adam with Nesterov momentum and a warming momentum schedule μ_t."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from optim._checks import as_pair, check_range
from optim.adam import AdamFamily
from optim.optimizer import ParamGroup


def nadam_update(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray,
                 step: int, mu_product: float, *, lr: float, beta1: float, beta2: float, eps: float,
                 weight_decay: float, momentum_decay: float) -> float:
    """One NAdam step, in place on ``param``, ``m`` (exp_avg) and ``v`` (exp_avg_sq); returns
    the new product Π_t (a number, kept in the state as ``mu_product``)::

        g ← g + λθ                               (coupled L2)
        μ_t = β1·(1 − ½·0.96^(t·ψ)),   μ_{t+1} = β1·(1 − ½·0.96^((t+1)·ψ))     (ψ = momentum_decay)
        Π_t = Π_{t−1}·μ_t                        (Π_0 = 1)
        m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g²
        d = √(v / (1 − β2^t)) + ε
        θ ← θ − γ·(1 − μ_t)/(1 − Π_t) · g/d − γ·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/d
    """
    g = grad + weight_decay * param if weight_decay != 0 else grad
    mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentum_decay))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
    mu_product *= mu
    exp_avg *= beta1
    exp_avg += (1 - beta1) * g
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * np.square(g)
    denom = np.sqrt(exp_avg_sq / (1 - beta2**step))
    denom += eps
    param -= (lr * (1 - mu) / (1 - mu_product)) * g / denom
    param -= (lr * mu_next / (1 - mu_product * mu_next)) * exp_avg / denom
    return mu_product


class NAdam(AdamFamily):
    """NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3).

    State per parameter: ``exp_avg``, ``exp_avg_sq``, ``mu_product``. See ``nadam_update``.
    """

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3) -> None:
        defaults = dict(lr=lr, betas=as_pair(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        super()._check_hyperparameters(group)
        check_range("momentum_decay value", group["momentum_decay"])

    def _init_state(self, param: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        return {**super()._init_state(param, group), "mu_product": 1.0}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        beta1, beta2 = group["betas"]
        state["mu_product"] = nadam_update(
            param, grad, state["exp_avg"], state["exp_avg_sq"], state["step"], state["mu_product"],
            lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
            weight_decay=group["weight_decay"], momentum_decay=group["momentum_decay"])
