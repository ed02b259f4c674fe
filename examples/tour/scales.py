"""Claim 2: one learning rate for all parameters is a bad fit when gradient scales differ.

L(x, y) = ½·(x − 1)² + ½·100·(y − 1)² is separable, each coordinate its own 1-D problem. SGD
multiplies the error of a coordinate of curvature h by (1 − γh) per step: the fastest γ is 1/h
(1 for x, 0.01 for y), y diverges for any γ > 2/100, and x, starting 1.5 away, needs
γ > 1 − (tolerance/1.5)^(1/steps) to arrive within the budget. AdaGrad, RMSProp and Adam divide
each coordinate's gradient by a running size of its own gradients, so scaling a gradient by c
changes nothing (up to ε): both coordinates behave alike at every learning rate.
"""

from __future__ import annotations

import math

import numpy as np

from minigrad import Tensor
from optim import SGD, Adagrad, Adam, RMSprop
from tour.claim import Claim, decades, format_lr, steps_to_stay_below
from tour.race import Family, sweep


SCALES = np.array([1.0, 100.0])
SCALE_FAMILIES: dict[str, Family] = {
    "SGD": (SGD, {}), "AdaGrad": (Adagrad, {}), "RMSProp": (RMSprop, {}), "Adam": (Adam, {}),
}


TWO_SCALES_START = (-0.5, -0.5)


def _two_scales_loss(P: Tensor) -> Tensor:
    """L(x, y) = ½·(x − 1)² + ½·100·(y − 1)²: from (−0.5, −0.5) the gradients are 1.5 and 150."""
    return 0.5 * (((P - 1.0) ** 2) * SCALES).sum(axis=1)


def _fastest(grid: np.ndarray, arrival: np.ndarray) -> float:
    """The learning rate of ``grid`` with the earliest arrival (the smallest if tied), nan if none arrives."""
    return float(grid[np.argmin(arrival)]) if np.isfinite(arrival).any() else math.nan


def claim_2_two_scales(steps: int = 200, tolerance: float = 1e-3,
                       grid: np.ndarray = decades(-4.0, 1.0, 4)) -> Claim:
    """One learning rate for all parameters is a bad fit when gradient scales differ (the math: see
    the module docstring). Every optimizer runs ``steps`` steps at each learning rate of ``grid``; a
    coordinate has arrived when it stays within ``tolerance`` of its minimum."""
    record = sweep(_two_scales_loss, SCALE_FAMILIES, grid, TWO_SCALES_START, steps)
    numbers: dict[str, float] = {}
    arrays: dict[str, np.ndarray] = {"lr": grid}
    for name in SCALE_FAMILIES:
        rows = [record.row((name, lr)) for lr in grid]
        error = np.abs(record.path[rows] - 1.0)                       # (lrs, steps + 1, 2)
        arrival = np.array([[steps_to_stay_below(error[i, :, k], tolerance) for k in (0, 1)]
                            for i in range(len(grid))])               # (lrs, 2)
        best_x, best_y = (_fastest(grid, arrival[:, k]) for k in (0, 1))
        numbers[f"{name}.best_lr_x"] = float(best_x)
        numbers[f"{name}.best_lr_y"] = float(best_y)
        numbers[f"{name}.lr_ratio"] = float(max(best_x, best_y) / min(best_x, best_y))
        numbers[f"{name}.lrs_for_both"] = float(np.sum(np.isfinite(arrival.max(axis=1))))
        numbers[f"{name}.steps_for_both"] = float(arrival.max(axis=1).min())
        arrays[f"{name}.final_error"] = np.nan_to_num(error[:, -1], nan=np.inf)
    adaptive = [name for name in SCALE_FAMILIES if name != "SGD"]
    holds = (numbers["SGD.lr_ratio"] >= 30 and numbers["SGD.lrs_for_both"] == 0
             and all(numbers[f"{a}.lr_ratio"] == 1 and numbers[f"{a}.lrs_for_both"] > 0
                     for a in adaptive))
    verdict = (
        f"SGD's fastest lr is {format_lr(numbers['SGD.best_lr_x'])} for x and "
        f"{format_lr(numbers['SGD.best_lr_y'])} for y ({numbers['SGD.lr_ratio']:.0f}× apart) and "
        f"{numbers['SGD.lrs_for_both']:.0f} of {len(grid)} lrs bring both within {tolerance:g} in "
        f"{steps} steps; for " + ", ".join(adaptive) + " the fastest lr is the same for both ("
        + ", ".join(f"{numbers[f'{a}.lr_ratio']:.0f}×" for a in adaptive) + "), and "
        + ", ".join(f"{numbers[f'{a}.lrs_for_both']:.0f}" for a in adaptive)
        + " lrs bring both within it"
    )
    setup = (
        "L(x, y) = ½(x−1)² + ½·100·(y−1)² from (−0.5, −0.5), where the gradients are 1.5 and 150. "
        f"Each optimizer runs {steps} steps at each of {len(grid)} learning rates from {format_lr(grid[0])} "
        f"to {format_lr(grid[-1])}. A coordinate has arrived when it stays within {tolerance:g} of 1; we note "
        "the learning rate at which each coordinate arrives soonest, and how many learning rates "
        "bring both coordinates in within the budget."
    )
    notes = (
        "For the adaptive optimizers the error curves of x and y lie on top of each other: dividing by "
        "a running size of a coordinate's own gradients cancels that gradient's scale (ε alone breaks "
        f"the tie). SGD's two coordinates want learning rates {numbers['SGD.lr_ratio']:.0f}× apart: y "
        "is stable only for γ < 2/100, while x, starting 1.5 away, needs "
        "γ > 1 − (tolerance/1.5)^(1/steps) = "
        f"{1 - (tolerance / (1 - TWO_SCALES_START[0])) ** (1 / steps):.3f} to arrive in time."
    )
    return Claim(2, "One learning rate for all parameters is a bad fit when gradient scales differ",
                 setup, verdict, holds, numbers, arrays, notes)
