"""Claim 1: SGD bounces across a long, narrow valley.

Two valleys: the quadratic L(θ) = ½ θᵀHθ with H = R·diag(1, 100)·Rᵀ (condition number 100,
turned 30° from the axes), and Rosenbrock's L(x, y) = (1 − x)² + 100·(y − x²)². SGD's step −γ∇L
multiplies the offset across a valley of curvature h by (1 − γh): negative, a bounce from wall
to wall, as soon as γ > 1/h, and growing unless γ < 2/h; so along the valley, of curvature h/100,
it crawls, by a factor 1 − γ per step. Momentum sums the along-valley gradients, which agree from
step to step, while the across-valley ones alternate and cancel. A bounce is counted where the
components a_t = Δθ_t·n(θ_{t−1}) of consecutive steps across the valley floor change sign.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from minigrad import Tensor
from optim import SGD, Adam, RMSprop
from tour.claim import Claim, decades, format_lr, format_steps, steps_to_stay_below
from tour.race import Family, Loss, sweep


QUARTER_DECADES = decades(-4.0, 0.5, 4)        # 1e-4 … 3.16, four per decade


def _rotation(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


VALLEY_ROTATION = _rotation(math.pi / 6)
VALLEY_HESSIAN = VALLEY_ROTATION @ np.diag([1.0, 100.0]) @ VALLEY_ROTATION.T


@dataclass(frozen=True)
class Landscape:
    """A 2-D test function written on a stack of points (R, 2) → (R,), with what the tour needs
    to run and draw it: a start, the threshold that counts as arrived, a plot window, and
    ``across(θ)``: the unit vector across the valley floor at θ (for counting bounces)."""

    name: str
    loss: Loss
    start: tuple[float, float]
    threshold: float
    across: Callable[[np.ndarray], np.ndarray]
    window: tuple[float, float, float, float]


def _valley_loss(P: Tensor) -> Tensor:
    """L(θ) = ½ θᵀHθ with H = R·diag(1, 100)·Rᵀ: a valley 10× longer than wide (condition
    number 100), turned 30° away from the axes."""
    return 0.5 * ((P @ VALLEY_HESSIAN) * P).sum(axis=1)


def _rosenbrock_loss(P: Tensor) -> Tensor:
    """L(x, y) = (1 − x)² + 100·(y − x²)²: a curved, flat-bottomed valley along y = x²."""
    x, y = P[:, 0], P[:, 1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _rosenbrock_across(points: np.ndarray) -> np.ndarray:
    """The normal of the valley floor y = x²: ∇(y − x²) = (−2x, 1), normalised."""
    normal = np.stack([-2 * points[..., 0], np.ones(points.shape[:-1])], axis=-1)
    return normal / np.linalg.norm(normal, axis=-1, keepdims=True)


VALLEY = Landscape("valley", _valley_loss, tuple(VALLEY_ROTATION @ [-10.0, 1.0]), 0.1,
                   lambda points: np.broadcast_to(VALLEY_ROTATION[:, 1], points.shape),
                   (-11.0, 3.0, -6.0, 2.0))
ROSENBROCK = Landscape("Rosenbrock", _rosenbrock_loss, (-1.2, 1.0), 0.01, _rosenbrock_across,
                       (-1.6, 1.6, -0.5, 2.0))
VALLEY_FAMILIES: dict[str, Family] = {
    "SGD": (SGD, {}), "SGD+momentum": (SGD, {"momentum": 0.9}), "RMSProp": (RMSprop, {}),
    "Adam": (Adam, {}),
}


def bounce_fraction(path: np.ndarray, across: Callable[[np.ndarray], np.ndarray]) -> float:
    """The fraction of consecutive steps whose components across the valley, a_t = Δθ_t·n(θ_{t−1}),
    have opposite signs (a_t·a_{t+1} < 0): 1 for a ball bouncing wall to wall on every step."""
    a = np.sum(np.diff(path, axis=0) * across(path[:-1]), axis=-1)
    return float(np.mean(a[1:] * a[:-1] < 0)) if a.size > 1 else 0.0


def claim_1_valley(steps: dict[str, int] | None = None, grid: np.ndarray = QUARTER_DECADES) -> Claim:
    """SGD bounces across a long, narrow valley (the math: see the module docstring).

    On each landscape, every optimizer is swept over ``grid`` and kept at the learning rate that
    reaches the threshold soonest and stays below it (if none does, the lowest final loss).
    """
    steps = steps or {"valley": 1000, "Rosenbrock": 3000}
    numbers: dict[str, float] = {}
    arrays: dict[str, np.ndarray] = {}
    for land in (VALLEY, ROSENBROCK):
        record = sweep(land.loss, VALLEY_FAMILIES, grid, land.start, steps[land.name])
        for name in VALLEY_FAMILIES:
            rows = [record.row((name, lr)) for lr in grid]
            arrivals = [steps_to_stay_below(record.loss[row], land.threshold) for row in rows]
            final = np.nan_to_num(record.loss[rows, -1], nan=np.inf)
            best = int(np.lexsort((final, arrivals))[0])      # soonest arrival, else lowest final loss
            row = rows[best]
            journey = record.path[row, : int(min(arrivals[best], steps[land.name])) + 1]
            numbers[f"{land.name}.{name}.steps"] = arrivals[best]
            numbers[f"{land.name}.{name}.lr"] = float(grid[best])
            numbers[f"{land.name}.{name}.bounce"] = bounce_fraction(journey, land.across)
            below = record.loss[row] < land.threshold
            numbers[f"{land.name}.{name}.relapses"] = float(np.sum(below[:-1] & ~below[1:]))
            arrays[f"{land.name}.{name}.path"] = record.path[row]
            arrays[f"{land.name}.{name}.loss"] = record.loss[row]

    def n(land: str, name: str, what: str) -> float:
        return numbers[f"{land}.{name}.{what}"]

    slower = all(n(land, "SGD", "steps") > min(n(land, "SGD+momentum", "steps"), n(land, "Adam", "steps"))
                 for land in ("valley", "Rosenbrock"))
    bounces = n("valley", "SGD", "bounce") > 0.5
    verdict = (
        "steps to arrive (valley / Rosenbrock): " + ", ".join(
            f"{name} {format_steps(n('valley', name, 'steps'))} / {format_steps(n('Rosenbrock', name, 'steps'))}"
            for name in VALLEY_FAMILIES)
        + f"; SGD reverses its across-valley step on {n('valley', 'SGD', 'bounce'):.0%} of its steps "
        f"in the valley (momentum {n('valley', 'SGD+momentum', 'bounce'):.0%})"
    )
    setup = (
        "Two valleys: the quadratic ½θᵀHθ whose Hessian H has eigenvalues 1 and 100 (condition "
        "number 100), turned 30° from the axes, started 10 units along the valley and 1 up its "
        f"wall (loss 100, arrived below {VALLEY.threshold}); and Rosenbrock's (1−x)² + 100(y−x²)² "
        f"from (−1.2, 1) (loss 24.2, arrived below {ROSENBROCK.threshold}). Each optimizer is swept "
        f"over {len(grid)} learning rates from {format_lr(grid[0])} to {format_lr(grid[-1])} and shown at the one "
        f"that arrives soonest and stays (budgets {steps['valley']} and {steps['Rosenbrock']} steps). "
        "A bounce is a sign change of the step's component across the valley floor."
    )
    lr = n("valley", "SGD", "lr")
    notes = (
        f"At its best γ = {format_lr(lr)}, SGD multiplies its offset across the valley by 1 − 100γ = "
        f"{1 - 100 * lr:.2f} per step (negative: a bounce from wall to wall, shrinking as "
        f"|1 − 100γ|^t) and its offset along the valley by 1 − γ = {1 - lr:.3f} (a crawl); any "
        "γ > 2/100 makes the bounces grow instead. On Rosenbrock SGD's best γ is "
        f"{format_lr(n('Rosenbrock', 'SGD', 'lr'))}, small enough that only "
        f"{n('Rosenbrock', 'SGD', 'bounce'):.0%} of its steps reverse, and it crawls along the curved "
        f"floor. Momentum swings across the valley too ({n('valley', 'SGD+momentum', 'bounce'):.0%} "
        "of its steps reverse) but keeps going along it. RMSProp, without momentum, falls below the "
        f"threshold and climbs back out {n('valley', 'RMSProp', 'relapses'):.0f} times in the valley "
        f"and {n('Rosenbrock', 'RMSProp', 'relapses'):.0f} times on Rosenbrock (the spikes of its loss) "
        "before it stays."
    )
    return Claim(1, "SGD bounces across a long, narrow valley", setup, verdict, slower and bounces,
                 numbers, arrays, notes)
