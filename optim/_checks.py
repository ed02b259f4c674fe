"""Argument checks shared by the optimizers: each raises ValueError naming the argument and value
(TypeError for a collection of the wrong kind).

Comparisons are written so that NaN fails them (``not nan >= 0`` is True).
"""

from __future__ import annotations

import math
import reprlib
from typing import Any, Iterable, Sequence

import numpy as np

from minigrad.checks import as_real, check_flag, is_int


def check_range(what: str, value: float, low: float = 0.0, high: float = math.inf,
                high_inclusive: bool = True) -> None:
    """Raise ``ValueError("Invalid <what>: <value>")`` unless value is a finite number with
    low ≤ value ≤ high (or < high)."""
    if not _is_finite_float(value):
        raise ValueError(f"Invalid {what}: {reprlib.repr(value)} (expected a finite number)")
    inside = low <= value <= high if high_inclusive else low <= value < high
    if not inside:
        upper = "" if high == math.inf else f" and {'≤' if high_inclusive else '<'} {high}"
        raise ValueError(f"Invalid {what}: {value} (expected a value ≥ {low}{upper})")


def _is_finite_float(value: Any) -> bool:
    """An int or float (Python or numpy, not bool) that is finite as a float."""
    return math.isfinite(as_real(value))


def check_lr_eps_weight_decay(lr: float, eps: float, weight_decay: float) -> None:
    """The three checks almost every optimizer needs."""
    check_range("learning rate", lr)
    check_range("epsilon value", eps)
    check_range("weight_decay value", weight_decay)


_SEQUENCES = (tuple, list, np.ndarray)  # what betas may be given as


def as_pair(betas: Any) -> Any:
    """(β1, β2) as a tuple; anything that is not a pair is left for ``check_betas`` to name."""
    return tuple(betas) if isinstance(betas, _SEQUENCES) else betas


def check_betas(betas: Sequence[float]) -> None:
    """Each β must satisfy 0 ≤ β < 1."""
    if not isinstance(betas, _SEQUENCES) or len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas!r}; expected a pair (beta1, beta2)")
    for i, beta in enumerate(betas):
        check_range(f"beta parameter at index {i}", beta, high=1.0, high_inclusive=False)


def check_flags(group: dict[str, Any], *names: str) -> None:
    """The group's switches (nesterov, amsgrad, ...) are True or False (``check_flag``)."""
    for name in names:
        check_flag(name, group[name])


def check_param_collection(params: Any) -> None:
    """Parameters must come in an ordered collection (state dicts refer to them by position)."""
    if not isinstance(params, Iterable):
        raise TypeError(f"parameters must be given as a list of Tensors (or of parameter groups), "
                        f"got {type(params).__name__}")
    if isinstance(params, (set, frozenset)):
        raise TypeError(
            "parameters must be given in an ordered collection such as a list, not a set: state "
            "dicts refer to parameters by position, and a set's order can change between runs"
        )


def check_int(what: str, value: Any, low: int) -> None:
    """Raise ``ValueError("Invalid <what>: <value>")`` unless value is an integer ≥ low."""
    if not is_int(value, low):
        raise ValueError(f"Invalid {what}: {reprlib.repr(value)} (expected an integer ≥ {low})")


def require_dict(value: Any, what: str) -> None:
    """Raise TypeError unless ``value`` (a state dict, or a part of one, called ``what``) is a dict."""
    if not isinstance(value, dict):
        raise TypeError(f"{what} must be a dict, got {type(value).__name__}")
