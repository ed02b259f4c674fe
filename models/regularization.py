"""Optional L2 regularization, the coupled way: the penalty is part of the loss.

    L'(θ) = L(θ) + λ/2·‖θ‖²,   so   ∇L'(θ) = ∇L(θ) + λθ.

The optimizer then sees the decayed gradient, and an adaptive one (Adam) rescales the λθ term
like any other gradient. Decoupled weight decay (AdamW) instead shrinks θ in the update itself
and never enters the gradient; that lives in the optimizer, not here.
"""

from __future__ import annotations

from typing import Any, Iterable

from minigrad import Tensor
from minigrad.checks import is_nonnegative
from models.module import Module


def _check_weight_decay(weight_decay: float) -> None:
    if not is_nonnegative(weight_decay):
        raise ValueError(f"weight_decay must be a finite number >= 0, got {weight_decay!r}")


def l2_penalty(params: Iterable[Tensor], weight_decay: float) -> Tensor:
    """λ/2·Σ‖θ‖² over ``params`` (λ = ``weight_decay``), as a Tensor to add to the loss.

    Its gradient with respect to each θ is exactly λθ. ``params`` must not be empty: an empty
    iterable (say, a generator already used up) would silently regularize nothing.
    """
    _check_weight_decay(weight_decay)
    params = list(params)
    if not params:
        raise ValueError("l2_penalty got no parameters (was the iterable already consumed?)")
    squared_norm = sum((p * p).sum() for p in params)
    return squared_norm * (weight_decay / 2)


def param_groups(
    model: Module, weight_decay: float, no_decay: Iterable[str] = ("bias",)
) -> list[dict[str, Any]]:
    """Split ``model``'s parameters into a decayed and a non-decayed optimizer group.

    A parameter is not decayed when its full dotted name, or one of the parts of that name,
    is in ``no_decay``: with the default, every ``....bias``. Returns, in this order,

        [{"params": decayed, "weight_decay": weight_decay},
         {"params": not_decayed, "weight_decay": 0.0}]

    ready for ``optim.SGD(param_groups(model, 1e-4), lr=0.1)``. Frozen parameters
    (``requires_grad=False``) are left out, as optimizers refuse them, and so is a group that
    would hold no parameter (a model without biases, say), as optimizers reject empty groups.
    """
    _check_weight_decay(weight_decay)
    excluded = {no_decay} if isinstance(no_decay, str) else set(no_decay)
    decayed, not_decayed = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        skip = name in excluded or not excluded.isdisjoint(name.split("."))
        (not_decayed if skip else decayed).append(param)
    groups = [
        {"params": decayed, "weight_decay": weight_decay},
        {"params": not_decayed, "weight_decay": 0.0},
    ]
    return [group for group in groups if group["params"]]
