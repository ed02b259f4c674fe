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
from typing import Callable, Hashable

import numpy as np

from minigrad import Tensor
from optim import SGD, Adam, RMSprop
from tour.claim import Claim, decades, format_lr, format_steps, steps_to_stay_below
from tour.race import Family, Loss, Race, Runs, lr_runs


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
    number 100), turned 30° away from the axes. θᵀH is written out elementwise, not as a
    matmul, so that a run's numbers are the same bits alone or among any other runs."""
    return 0.5 * ((P.reshape(-1, 2, 1) * VALLEY_HESSIAN).sum(axis=1) * P).sum(axis=1)


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


def arrival(loss: np.ndarray, threshold: float, window: int) -> float:
    """The step t from which ``loss`` stays below ``threshold`` to the end of the run, if it is
    within the first ``window`` steps (t < window; else inf): a run that gets below the
    threshold within the window but climbs back out before the end has not arrived."""
    t = steps_to_stay_below(loss, threshold)
    return t if t < window else math.inf


def relapses(loss: np.ndarray, threshold: float) -> float:
    """How many times ``loss`` climbs from below ``threshold`` back to or above it."""
    below = loss < threshold
    return float(np.sum(below[:-1] & ~below[1:]))


def _sweep_to_horizon(land: Landscape, grid: np.ndarray, window: int, horizon: int) -> tuple[Race, Race]:
    """Sweep every optimizer over ``grid`` for ``window`` steps (``early``); then train on to
    ``horizon`` steps only the runs that can arrive within the window, those below the threshold
    at its end (for an optimizer with none, its run lowest there) (``late``)."""
    runs = Runs(lr_runs(VALLEY_FAMILIES, grid), land.start)
    early = runs.train(land.loss, window)
    end_loss = np.nan_to_num(early.loss[:, -1], nan=np.inf)
    kept: list[Hashable] = []
    for name in VALLEY_FAMILIES:
        keys = [(name, lr) for lr in grid]
        lowest = min(keys, key=lambda key: end_loss[early.row(key)])
        kept += [key for key in keys if end_loss[early.row(key)] < land.threshold] or [lowest]
    return early, early.then(runs.train(land.loss, horizon - window, kept))


def claim_1_valley(window: int = 1000, horizon: int = 10_000, grid: np.ndarray = QUARTER_DECADES) -> Claim:
    """SGD bounces across a long, narrow valley (the math: see the module docstring).

    An optimizer has arrived at step t if its loss is below the landscape's threshold from t
    until step ``horizon`` and t is within the first ``window`` steps. On each landscape every
    optimizer is swept over ``grid`` and kept at the learning rate that arrives soonest (if none
    does, the one whose loss is lowest at the end of the window).
    """
    if horizon < 2 * window:
        raise ValueError(f"the horizon ({horizon} steps) must be at least twice the window ({window})")
    numbers: dict[str, float] = {}
    arrays: dict[str, np.ndarray] = {}
    for land in (VALLEY, ROSENBROCK):
        early, late = _sweep_to_horizon(land, grid, window, horizon)
        below = early.loss < land.threshold
        first = np.where(below.any(axis=1), below.argmax(axis=1), math.inf)      # per run of early
        for name in VALLEY_FAMILIES:
            rows = [late.row(key) for key in late.keys if key[0] == name]
            arrivals = [arrival(late.loss[r], land.threshold, window) for r in rows]
            at_window = np.nan_to_num(late.loss[rows, window - 1], nan=np.inf)
            best = int(np.lexsort((at_window, arrivals))[0])   # soonest arrival, else lowest at the window's end
            row = rows[best]
            key = f"{land.name}.{name}"
            numbers[f"{key}.steps"] = arrivals[best]
            numbers[f"{key}.lr"] = float(late.keys[row][1])
            journey = late.path[row, : int(min(arrivals[best], window)) + 1]
            numbers[f"{key}.bounce"] = bounce_fraction(journey, land.across)
            numbers[f"{key}.relapses"] = relapses(late.loss[row], land.threshold)
            soonest = min(((name, lr) for lr in grid), key=lambda run: first[early.row(run)])
            reached = first[early.row(soonest)] < math.inf
            numbers[f"{key}.first_below"] = float(first[early.row(soonest)])
            numbers[f"{key}.first_below_lr"] = float(soonest[1]) if reached else math.nan
            numbers[f"{key}.first_below_relapses"] = (
                relapses(early.loss[early.row(soonest)], land.threshold) if reached else math.nan)
            arrays[f"{key}.path"] = late.path[row]
            arrays[f"{key}.loss"] = late.loss[row]

    def n(land: str, name: str, what: str) -> float:
        return numbers[f"{land}.{name}.{what}"]

    faster = all(n(land, "SGD", "steps") > n(land, "SGD+momentum", "steps") for land in ("valley", "Rosenbrock"))
    bounces = n("valley", "SGD", "bounce") > 0.5
    verdict = (
        f"steps to get below the threshold and stay there until step {horizon} (valley / Rosenbrock): "
        + ", ".join(
            f"{name} {format_steps(n('valley', name, 'steps'))} / {format_steps(n('Rosenbrock', name, 'steps'))}"
            for name in VALLEY_FAMILIES)
        + f"; SGD reverses its across-valley step on {n('valley', 'SGD', 'bounce'):.0%} of its steps "
        f"in the valley (momentum {n('valley', 'SGD+momentum', 'bounce'):.0%})"
    )
    setup = (
        "Two valleys: the quadratic ½θᵀHθ whose Hessian H has eigenvalues 1 and 100 (condition "
        "number 100), turned 30° from the axes, started 10 units along the valley and 1 up its "
        f"wall (loss 100, threshold {VALLEY.threshold}); and Rosenbrock's (1−x)² + 100(y−x²)² "
        f"from (−1.2, 1) (loss 24.2, threshold {ROSENBROCK.threshold}). Each optimizer is swept "
        f"over {len(grid)} learning rates from {format_lr(grid[0])} to {format_lr(grid[-1])}. It has "
        f"arrived at step t if its loss is below the threshold from t until step {horizon}, with t "
        f"within the first {window} steps (a visit that ends before step {horizon} does not count), "
        "and is shown at the learning rate that arrives soonest (if none does, the one lowest at the "
        "end of the window). A bounce is a sign change of the step's component across the valley floor."
    )

    def settled(land: str, name: str) -> str:
        shown = f"{name} (γ = {format_lr(n(land, name, 'lr'))})"
        if math.isinf(n(land, name, "steps")):
            return f"{shown} does not arrive and stay"
        return f"{shown} climbs back out {n(land, name, 'relapses'):.0f} times before it stays"

    lr = n("valley", "SGD", "lr")
    notes = (
        f"At its best γ = {format_lr(lr)}, SGD multiplies its offset across the valley by 1 − 100γ = "
        f"{1 - 100 * lr:.2f} per step (negative: a bounce from wall to wall, shrinking as "
        f"|1 − 100γ|^t) and its offset along the valley by 1 − γ = {1 - lr:.3f} (a crawl); any "
        "γ > 2/100 makes the bounces grow instead. On Rosenbrock SGD is shown at γ = "
        f"{format_lr(n('Rosenbrock', 'SGD', 'lr'))}, small enough that only "
        f"{n('Rosenbrock', 'SGD', 'bounce'):.0%} of its steps reverse, and it crawls along the curved "
        f"floor. Momentum swings across the valley too ({n('valley', 'SGD+momentum', 'bounce'):.0%} "
        "of its steps reverse) but keeps going along it. In the valley RMSProp and Adam first get "
        f"below the threshold after {format_steps(n('valley', 'RMSProp', 'first_below'))} and "
        f"{format_steps(n('valley', 'Adam', 'first_below'))} steps (γ = "
        f"{format_lr(n('valley', 'RMSProp', 'first_below_lr'))} and "
        f"{format_lr(n('valley', 'Adam', 'first_below_lr'))}), but at those γ their loss climbs back "
        f"above it {n('valley', 'RMSProp', 'first_below_relapses'):.0f} and "
        f"{n('valley', 'Adam', 'first_below_relapses'):.0f} times within the first {window} steps: "
        "dividing the gradient by its own running size keeps their steps of order γ however small "
        "the gradient gets, so near the bottom they can be kicked back out. At the γ shown, "
        + "; ".join(settled("valley", name) for name in ("RMSProp", "Adam"))
        + ". The check compares SGD with momentum only: the claim is that SGD bounces across the "
        "valley, which momentum's running average cancels; RMSProp and Adam are shown for comparison."
    )
    return Claim(1, "SGD bounces across a long, narrow valley", setup, verdict, faster and bounces,
                 numbers, arrays, notes)
