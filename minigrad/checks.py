"""The one argument test that minigrad, models and optim all need (each names its own argument
in its own error message)."""

from __future__ import annotations

import numbers
from typing import Any


def is_int(value: Any, low: int) -> bool:
    """An integer (Python or numpy, not bool) ≥ ``low``."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low
