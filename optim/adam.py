"""Adam (Kingma & Ba, 2015) with coupled L2, and AdamW (Loshchilov & Hutter, 2019) with
decoupled weight decay: the same update function, differing in one branch."""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

import numpy as np

from optim._checks import as_pair, check_betas, check_flags, check_lr_eps_weight_decay
from optim.optimizer import Optimizer, ParamGroup


def adam_update(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray,
                step: int, *, lr: float, beta1: float, beta2: float, eps: float,
                weight_decay: float, decoupled: bool, amsgrad: bool = False,
                max_exp_avg_sq: np.ndarray | None = None, maximize: bool = False,
                scratch: np.ndarray | None = None) -> None:
    """One Adam step, in place on ``param`` and the moments ``m`` (exp_avg), ``v`` (exp_avg_sq)::

        g ← −g                                   if maximize
        θ ← θ·(1 − γλ)                           if decoupled (AdamW)
        g ← g + λθ                               otherwise    (Adam: coupled L2)
        m ← β1·m + (1 − β1)·g
        v ← β2·v + (1 − β2)·g²
        v_max ← max(v_max, v), used for v below  if amsgrad
        m̂ = m / (1 − β1^t),   v̂ = v / (1 − β2^t)
        θ ← θ − γ·m̂ / (√v̂ + ε)

    The last line is computed in the rearranged form Kingma & Ba suggest (section 2),
    θ ← θ − γ·√(1 − β2^t)/(1 − β1^t) · m / (√v + ε̂), with their ε̂ taken as ε·√(1 − β2^t) so
    that it stays exactly equal: the bias corrections become two scalars, which saves a pass
    (and a division) over the arrays.

    ``scratch``, an array shaped like ``param`` whose contents do not matter, saves allocating
    one for the intermediates.
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        if decoupled:
            # AdamW: θ ← θ(1 − γλ). Every parameter shrinks by the same factor, whatever its
            # gradient history, and the decay never touches the moments m and v.
            param *= 1 - lr * weight_decay
        else:
            # Adam + L2: g ← g + λθ, the gradient of λ/2‖θ‖². This term enters m and v and is then
            # divided by √v̂, so parameters with a large gradient history are barely regularized.
            g = g + weight_decay * param
    # One scratch array serves every intermediate, so a step allocates at most that one.
    if scratch is None:
        scratch = np.empty_like(param)
    np.multiply(g, 1 - beta1, out=scratch)
    exp_avg *= beta1
    exp_avg += scratch                                   # m ← β1·m + (1 − β1)·g
    np.square(g, out=scratch)
    scratch *= 1 - beta2
    exp_avg_sq *= beta2
    exp_avg_sq += scratch                                # v ← β2·v + (1 − β2)·g²
    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        exp_avg_sq = max_exp_avg_sq
    root_c2 = math.sqrt(1 - beta2**step)                 # √(1 − β2^t): √v̂ = √v / root_c2
    np.sqrt(exp_avg_sq, out=scratch)
    scratch += eps * root_c2                             # √v + ε·√(1 − β2^t) = root_c2·(√v̂ + ε)
    np.divide(exp_avg, scratch, out=scratch)
    scratch *= lr * root_c2 / (1 - beta1**step)          # γ·m̂ / (√v̂ + ε)
    param -= scratch


class AdamFamily(Optimizer):
    """Bookkeeping shared by Adam and its variants (NAdam, Adamax, RAdam): the hyperparameters
    lr, betas, eps and weight_decay, and two moments per parameter starting at zero: ``exp_avg``
    (m) and a second one named by ``second_moment`` (v, or Adamax's u). A variant whose update
    needs nothing more names its pure update function as ``update_rule``."""

    second_moment = "exp_avg_sq"
    never_negative_state = frozenset({"exp_avg_sq", "max_exp_avg_sq", "exp_inf"})
    update_rule: Callable[..., None]

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        check_lr_eps_weight_decay(group["lr"], group["eps"], group["weight_decay"])
        check_betas(group["betas"])

    def _init_state(self, param: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        return {"exp_avg": np.zeros_like(param), self.second_moment: np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        beta1, beta2 = group["betas"]
        self.update_rule(param, grad, state["exp_avg"], state[self.second_moment], state["step"],
                         lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                         weight_decay=group["weight_decay"])


class Adam(AdamFamily):
    """Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False).

    ``weight_decay`` here is an L2 penalty λ/2‖θ‖² added to the loss (coupled): it is scaled by
    1/√v̂ like the rest of the gradient. For decay that is not, use AdamW. See ``adam_update``.
    State per parameter: ``exp_avg`` (m), ``exp_avg_sq`` (v), and ``max_exp_avg_sq`` if amsgrad.
    """

    decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=as_pair(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        super()._check_hyperparameters(group)
        check_flags(group, "amsgrad", "maximize")

    def _init_state(self, param: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        state = super()._init_state(param, group)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        beta1, beta2 = group["betas"]
        adam_update(param, grad, state["exp_avg"], state["exp_avg_sq"], state["step"], lr=group["lr"],
                    beta1=beta1, beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"],
                    decoupled=self.decoupled, amsgrad=group["amsgrad"],
                    max_exp_avg_sq=state.get("max_exp_avg_sq"), maximize=group["maximize"],
                    scratch=state.get("scratch"))


class AdamW(Adam):
    """AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False).

    Adam with decoupled weight decay θ ← θ·(1 − γλ) applied before the Adam step, with γ the
    group's current (scheduled) learning rate. Note the default weight_decay is 1e-2.
    """

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)
