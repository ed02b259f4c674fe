"""Optional L2 regularization, the coupled way: the penalty is part of the loss.

    L'(θ) = L(θ) + λ/2·‖θ‖²,   so   ∇L'(θ) = ∇L(θ) + λθ.

The optimizer then sees the decayed gradient, and an adaptive one (Adam) rescales the λθ term
like any other gradient. Decoupled weight decay (AdamW) instead shrinks θ in the update itself
and never enters the gradient; that lives in the optimizer, not here.
"""

from __future__ import annotations

import difflib
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
    ``model`` must be a Module and ``no_decay`` a string or strings; anything else (None, a
    list of parameters) is a TypeError saying what to pass. An entry that matches no parameter
    but nearly matches a name or a part of one ("bais", "2.wieght") is a ValueError: the
    parameters it was meant for would be decayed without a word. (One that matches nothing at
    all is no error: "LayerNorm.weight" from a script for other models, or the default "bias"
    in a model without biases.)
    """
    _check_weight_decay(weight_decay)
    if not isinstance(model, Module):
        raise TypeError(f"param_groups takes the model (a Module), got {type(model).__name__}")
    if isinstance(no_decay, str):
        no_decay = [no_decay]
    excluded = set(all_of(str, no_decay, _NO_DECAY_EXPECTED))
    decayed, not_decayed, names = [], [], []
    for name, param in model.named_parameters():
        names.append(name)
        if param.requires_grad:
            skip = name in excluded or not excluded.isdisjoint(name.split("."))
            (not_decayed if skip else decayed).append(param)
    _refuse_misspelt(excluded, names)
    groups = [
        {"params": decayed, "weight_decay": weight_decay},
        {"params": not_decayed, "weight_decay": 0.0},
    ]
    return [group for group in groups if group["params"]]


def _refuse_misspelt(excluded: set[str], names: list[str]) -> None:
    """Raise a ValueError for a ``no_decay`` entry that matches none of the parameter ``names``
    (full or a part) but nearly matches one (frozen parameters count: they are matched too)."""
    words = sorted({*names, *(part for name in names for part in name.split("."))})
    for entry in sorted(excluded.difference(words)):
        near = difflib.get_close_matches(entry, words, n=1, cutoff=0.75)  # ("bais": 0.75 to "bias")
        if near:
            shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
            raise ValueError(f"no_decay entry {entry!r} matches no parameter of the model: did you mean "
                             f"{near[0]!r}? (its parameters: {shown})")
