"""Optional L2 regularization, the coupled way: the penalty is part of the loss.

    L'(θ) = L(θ) + λ/2·‖θ‖²,   so   ∇L'(θ) = ∇L(θ) + λθ.

The optimizer then sees the decayed gradient, and an adaptive one (Adam) rescales the λθ term
like any other gradient. Decoupled weight decay (AdamW) instead shrinks θ in the update itself
and never enters the gradient; that lives in the optimizer, not here.
"""

from __future__ import annotations

from typing import Any, Iterable

from minigrad import Tensor
from minigrad.checks import all_of, is_nonnegative
from models.module import Module, parameter_list


def _check_weight_decay(weight_decay: float) -> None:
    if not is_nonnegative(weight_decay):
        raise ValueError(f"weight_decay must be a finite number >= 0, got {weight_decay!r}")


def l2_penalty(params: Iterable[Tensor], weight_decay: float) -> Tensor:
    """λ/2·Σ‖θ‖² over ``params`` (λ = ``weight_decay``), as a Tensor to add to the loss.

    Its gradient with respect to each θ is exactly λθ. ``params`` must not be empty: an empty
    iterable (say, a generator already used up) would silently regularize nothing. A Module is
    refused rather than taken to mean all its parameters: pass ``model.parameters()`` for
    those, or a ``param_groups(model, ...)`` group's ``"params"`` to leave the biases out, so
    the call says which parameters are penalized.
    """
    _check_weight_decay(weight_decay)
    params = parameter_list(params, "l2_penalty")
    if not params:
        raise ValueError("l2_penalty got no parameters (was the iterable already consumed?)")
    squared_norm = sum((p * p).sum() for p in params)
    return squared_norm * (weight_decay / 2)


_NO_DECAY_EXPECTED = (
    "no_decay must be parameter names or name parts such as ('bias',), or () to decay every parameter"
)
_DEFAULT_NO_DECAY = ("bias",)


def param_groups(
    model: Module, weight_decay: float, no_decay: Iterable[str] = _DEFAULT_NO_DECAY
) -> list[dict[str, Any]]:
    """Split ``model``'s parameters into a decayed and a non-decayed optimizer group.

    A parameter is not decayed when its full dotted name, or one of the parts of that name,
    is in ``no_decay``: with the default, every ``....bias``. Returns, in this order,

        [{"params": decayed, "weight_decay": weight_decay},
         {"params": not_decayed, "weight_decay": 0.0}]

    ready for ``optim.SGD(param_groups(model, 1e-4), lr=0.1)``. Frozen parameters
    (``requires_grad=False``) are left out, as optimizers refuse them, and so is a group that
    would hold no parameter (a model without biases, say), as optimizers reject empty groups.
    ``model`` must be a Module and ``no_decay`` a string or strings; anything else (None, a
    list of parameters) is a TypeError saying what to pass. A name given in ``no_decay`` that
    matches no parameter of the model is a ValueError: a misspelt name would otherwise decay
    every parameter without a word. (The default may match nothing: a model without biases.)
    """
    _check_weight_decay(weight_decay)
    if not isinstance(model, Module):
        raise TypeError(f"param_groups takes the model (a Module), got {type(model).__name__}")
    given = no_decay is not _DEFAULT_NO_DECAY
    if isinstance(no_decay, str):
        no_decay = [no_decay]
    excluded = set(all_of(str, no_decay, _NO_DECAY_EXPECTED))
    decayed, not_decayed = [], []
    matched: set[str] = set()  # (frozen parameters count: a name that matches only them is no typo)
    names = []
    for name, param in model.named_parameters():
        names.append(name)
        matches = excluded.intersection([name, *name.split(".")])
        matched |= matches
        if param.requires_grad:
            (not_decayed if matches else decayed).append(param)
    unmatched = sorted(excluded - matched)
    if given and unmatched:
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        raise ValueError(
            f"no_decay entry {unmatched[0]!r} matches no parameter of the model, neither a full name "
            f"nor a part of one (its parameters: {shown or 'none'})"
        )
    groups = [
        {"params": decayed, "weight_decay": weight_decay},
        {"params": not_decayed, "weight_decay": 0.0},
    ]
    return [group for group in groups if group["params"]]

