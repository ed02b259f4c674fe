"""Argument checks shared by the optimizers: each raises ValueError naming the argument and value.

Comparisons are written so that NaN fails them (``not nan >= 0`` is True).
"""

from __future__ import annotations

import math
from typing import Sequence


def check_range(what: str, value: float, low: float = 0.0, high: float = math.inf,
                high_inclusive: bool = True) -> None:
    """Raise ``ValueError("Invalid <what>: <value>")`` unless low ≤ value ≤ high (or < high)."""
    inside = low <= value <= high if high_inclusive else low <= value < high
    if not inside:
        raise ValueError(f"Invalid {what}: {value}")


def check_lr_eps_weight_decay(lr: float, eps: float, weight_decay: float) -> None:
    """The three checks almost every optimizer needs."""
    check_range("learning rate", lr)
    check_range("epsilon value", eps)
    check_range("weight_decay value", weight_decay)


def check_betas(betas: Sequence[float]) -> None:
    """Each β must satisfy 0 ≤ β < 1."""
    if len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas}; expected a pair (beta1, beta2)")
    for i, beta in enumerate(betas):
        check_range(f"beta parameter at index {i}", beta, high=1.0, high_inclusive=False)
