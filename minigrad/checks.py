"""The argument tests that minigrad, models and optim all need (each names its own argument in
its own error message), and ``check_flag``, the one that raises its own."""

from __future__ import annotations

import math
import numbers
import reprlib
from typing import Any, Iterable

import numpy as np


def is_int(value: Any, low: int) -> bool:
    """An integer (Python or numpy, not bool) ≥ ``low``."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low


def is_bool(value: Any) -> bool:
    """True or False, Python or numpy."""
    return isinstance(value, (bool, np.bool_))


def check_flag(name: str, value: Any) -> None:
    """Raise TypeError unless ``value``, the switch called ``name``, ``is_bool``: a string such
    as "no" would otherwise count as True."""
    if not is_bool(value):
        raise TypeError(f"Invalid {name}: {reprlib.repr(value)} (expected True or False)")


def is_real(value: Any) -> bool:
    """An int or float, Python or numpy, not bool. (Fractions and Decimals count as not
    numbers: numpy would compute with them as Python objects.)"""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def as_real(value: Any) -> float:
    """``value`` as a float if it ``is_real`` (or is a 0-d array holding such a number, as files
    and np.where give back), else NaN; NaN too for an int too large for a float."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if not is_real(value):
        return math.nan
    try:
        return float(value)
    except OverflowError:
        return math.nan


def is_nonnegative(value: Any) -> bool:
    """A finite real number (int or float, Python or numpy, not bool) ≥ 0."""
    return 0 <= as_real(value) < math.inf


def all_of(kind: type, values: Any, expected: str) -> list[Any]:
    """``values`` as a list, checked to hold only ``kind``s; else a TypeError: ``expected``, and what came."""
    if not isinstance(values, Iterable):
        raise TypeError(f"{expected}; got {type(values).__name__}")
    items = list(values)
    for item in items:
        if not isinstance(item, kind):
            raise TypeError(f"{expected}; got a {type(item).__name__} in it")
    return items
