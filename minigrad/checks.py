"""The argument tests that minigrad, models and optim all need (each names its own argument in
its own error message)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


def is_int(value: Any, low: int) -> bool:
    """An integer (Python or numpy, not bool) ≥ ``low``."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low


def as_real(value: Any) -> float:
    """``value`` as a float if it is an int or float (Python or numpy, not bool), else NaN; NaN
    too for an int too large for a float. (Fractions and Decimals count as not numbers: numpy
    would compute with them as Python objects.)"""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return math.nan
    try:
        return float(value)
    except OverflowError:
        return math.nan
