"""A tour of the optimizer story, SGD → AdaGrad → RMSProp → Adam → AdamW, one measured claim at a time.

    python examples/optimizer_tour.py                  # the whole tour (well under a minute)
    python examples/optimizer_tour.py --quick          # a smoke run in a few seconds
    python examples/optimizer_tour.py --out DIR --seed 1

Each step of the story rests on a claim, and each ``claim_*`` function below tests one with a small
experiment on a 2-D loss (parameters are minigrad Tensors, gradients come from ``backward()``,
updates from the optim/ classes). It returns a ``Claim``: the measured numbers, a one-line
verdict, whether the numbers bear the claim out, and the arrays its figure is drawn from.
``main()`` runs the seven claims and writes into ``--out``: ``tour.md`` (the claims in order, with
figures and numbers), ``claim1.png`` … ``claim7.png`` (if matplotlib is installed),
``results.json`` (every number and verdict) and ``raw.npz`` (the arrays behind the figures).

The runs of one experiment train side by side: their parameters are stacked into one tensor,
so a single graph and a single ``backward()`` per step serve them all (see ``race``).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Hashable

import numpy as np
from numpy.typing import ArrayLike
from tqdm import tqdm

from minigrad import Tensor, no_grad, stack
from optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

Loss = Callable[[Tensor], Tensor]
MakeOptimizer = Callable[[list[Tensor]], Optimizer]
# An optimizer family of a learning-rate sweep: its class and the settings other than lr.
Family = tuple[type[Optimizer], dict[str, Any]]


def decades(low: float, high: float, per_decade: int) -> np.ndarray:
    """Learning rates 10^low … 10^high, ``per_decade`` of them evenly spaced per factor of 10."""
    return 10.0 ** np.linspace(low, high, round((high - low) * per_decade) + 1)


QUARTER_DECADES = decades(-4.0, 0.5, 4)        # 1e-4 … 3.16, four per decade


@dataclass
class Claim:
    """What one experiment found: ``numbers`` are the measurements (plain floats, ``inf`` for
    "never"), ``verdict`` says them in one line, ``holds`` is whether they bear the claim out,
    ``arrays`` are what the figure is drawn from, ``setup`` describes the experiment and ``notes``
    says what else the numbers show (the nuances a one-line verdict leaves out)."""

    number: int
    title: str
    setup: str
    verdict: str
    holds: bool
    numbers: dict[str, float]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    notes: str = ""


# ==================================================================================== machinery
@dataclass
class Race:
    """The record of runs trained side by side: for run r (row ``keys.index(key)``),
    ``path[r, t]`` is θ after t steps (t = 0 … T), ``loss[r, t]`` the loss at ``path[r, t]`` and
    ``grad[r, t]`` its gradient (t = 0 … T−1)."""

    keys: list[Hashable]
    path: np.ndarray
    loss: np.ndarray
    grad: np.ndarray

    def row(self, key: Hashable) -> int:
        return self.keys.index(key)

    @property
    def steps(self) -> np.ndarray:
        """Δθ_t = θ_t − θ_{t−1}, shape (R, T, …)."""
        return np.diff(self.path, axis=1)


def race(loss: Loss, runs: dict[Hashable, MakeOptimizer], start: ArrayLike, steps: int) -> Race:
    """Train one copy of the parameters per run, all on the same loss, for ``steps`` steps.

    The R copies θ_r are stacked into one tensor P of shape (R, …); ``loss(P)`` returns the R
    losses L_r(θ_r), and one backward of Σ_r L_r gives every run its own gradient, since
    ∂(Σ_s L_s)/∂θ_r = ∂L_r/∂θ_r. Anything random inside ``loss`` is drawn once per step and
    shared by all runs (common random numbers), so differences between runs are the optimizers'.
    Diverging runs (a learning rate too large, in a sweep) are kept and end as inf or nan.
    """
    keys = list(runs)
    start = np.asarray(start, dtype=np.float64)
    params = [Tensor(start.copy(), requires_grad=True) for _ in keys]
    optimizers = [runs[key]([p]) for key, p in zip(keys, params)]
    record = Race(keys, np.empty((len(keys), steps + 1) + start.shape),
                  np.empty((len(keys), steps)), np.empty((len(keys), steps) + start.shape))
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            record.path[:, t] = [p.data for p in params]
            for p in params:
                p.grad = None
            losses = loss(stack(params))
            losses.sum().backward()
            record.loss[:, t] = losses.data
            record.grad[:, t] = [p.grad for p in params]
            for optimizer in optimizers:
                optimizer.step()
    record.path[:, steps] = [p.data for p in params]
    return record


def sweep(loss: Loss, families: dict[str, Family], grid: np.ndarray, start: ArrayLike, steps: int) -> Race:
    """``race`` every family at every learning rate of ``grid``; run keys are (name, lr)."""
    runs = {(name, lr): partial(cls, lr=lr, **settings)
            for name, (cls, settings) in families.items() for lr in grid}
    return race(loss, runs, start, steps)


def steps_to_stay_below(loss: np.ndarray, threshold: float) -> float:
    """The first t from which the loss stays below ``threshold`` to the end of the run
    (``inf`` if it never does): reaching the threshold and bouncing out again does not count."""
    above = np.flatnonzero(~(loss < threshold))
    if above.size == 0:
        return 0.0
    return math.inf if above[-1] == loss.size - 1 else float(above[-1] + 1)


def effective_step(record: Race, row: int) -> np.ndarray:
    """|Δθ_t| / |g_t| per coordinate: the step per unit of gradient, which for SGD is γ, for
    AdaGrad γ/(√s_t + ε) and for RMSProp γ/(√v_t + ε) (neither with momentum); nan where g_t = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(record.steps[row]) / np.abs(record.grad[row])
    return np.where(record.grad[row] != 0, ratio, np.nan)


def tilted_plane(slope: ArrayLike, noise: ArrayLike = 0.0, rng: np.random.Generator | None = None,
                 noise_shape: tuple[int, ...] | None = None) -> Loss:
    """L_t(θ) = Σ (s + σ·ξ_t)·θ: a steady gradient s, plus (when an ``rng`` is given) fresh noise
    σ·ξ_t at each step, ξ_t ~ N(0, 1) of ``noise_shape``, broadcast over the parameter."""
    slope = np.asarray(slope, dtype=np.float64)

    def loss(P: Tensor) -> Tensor:
        gradient = slope if rng is None else slope + noise * rng.standard_normal(noise_shape)
        return (P * gradient).reshape(P.shape[0], -1).sum(axis=1)

    return loss


def _lr(value: float) -> str:
    return f"{value:.3g}"


def _steps(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:.0f}"


# ======================================================================= claim 1: the valley
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
    """SGD bounces across a long, narrow valley.

    On each landscape, every optimizer is swept over ``grid`` and kept at the learning rate that
    reaches the threshold soonest and stays below it (if none does, the lowest final loss).
    The step of plain SGD is −γ∇L: across a valley of curvature h it multiplies the offset by
    (1 − γh), which is negative, a bounce, as soon as γ > 1/h, and it must keep γ < 2/h, so the
    long axis, of curvature h/100, is crossed at a crawl. Momentum sums the along-valley
    gradients, which agree from step to step, while the across-valley ones alternate and cancel.
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
            f"{name} {_steps(n('valley', name, 'steps'))} / {_steps(n('Rosenbrock', name, 'steps'))}"
            for name in VALLEY_FAMILIES)
        + f"; SGD reverses its across-valley step on {n('valley', 'SGD', 'bounce'):.0%} of its steps "
        f"in the valley (momentum {n('valley', 'SGD+momentum', 'bounce'):.0%})"
    )
    setup = (
        "Two valleys: the quadratic ½θᵀHθ whose Hessian H has eigenvalues 1 and 100 (condition "
        "number 100), turned 30° from the axes, started 10 units along the valley and 1 up its "
        f"wall (loss 100, arrived below {VALLEY.threshold}); and Rosenbrock's (1−x)² + 100(y−x²)² "
        f"from (−1.2, 1) (loss 24.2, arrived below {ROSENBROCK.threshold}). Each optimizer is swept "
        f"over {len(grid)} learning rates from {_lr(grid[0])} to {_lr(grid[-1])} and shown at the one "
        f"that arrives soonest and stays (budgets {steps['valley']} and {steps['Rosenbrock']} steps). "
        "A bounce is a sign change of the step's component across the valley floor."
    )
    lr = n("valley", "SGD", "lr")
    notes = (
        f"At its best γ = {_lr(lr)}, SGD multiplies its offset across the valley by 1 − 100γ = "
        f"{1 - 100 * lr:.2f} per step (negative: a bounce from wall to wall, shrinking as "
        f"|1 − 100γ|^t) and its offset along the valley by 1 − γ = {1 - lr:.3f} (a crawl); any "
        "γ > 2/100 makes the bounces grow instead. On Rosenbrock SGD's best γ is "
        f"{_lr(n('Rosenbrock', 'SGD', 'lr'))}, small enough that only "
        f"{n('Rosenbrock', 'SGD', 'bounce'):.0%} of its steps reverse, and it crawls along the curved "
        f"floor. Momentum swings across the valley too ({n('valley', 'SGD+momentum', 'bounce'):.0%} "
        "of its steps reverse) but keeps going along it. RMSProp, without momentum, falls below the "
        f"threshold and climbs back out {n('valley', 'RMSProp', 'relapses'):.0f} times in the valley "
        f"and {n('Rosenbrock', 'RMSProp', 'relapses'):.0f} times on Rosenbrock (the spikes of its loss) "
        "before it stays."
    )
    return Claim(1, "SGD bounces across a long, narrow valley", setup, verdict, slower and bounces,
                 numbers, arrays, notes)


# ============================================================== claim 2: one lr for two scales
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
    """One learning rate for all parameters is a bad fit when gradient scales differ.

    The loss is separable, so each coordinate is its own 1-D problem. SGD multiplies the error of
    a coordinate of curvature h by (1 − γh) per step: the fastest γ is 1/h, i.e. 1 for x and 0.01
    for y, and any γ > 2/100 makes y diverge while x needs γ ≳ ln(1/tolerance)/steps. AdaGrad,
    RMSProp and Adam divide each coordinate's gradient by a running size of its own gradients,
    so scaling a coordinate's gradient by c changes nothing (up to ε): both coordinates behave
    alike at every learning rate.
    """
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
        f"SGD's fastest lr is {_lr(numbers['SGD.best_lr_x'])} for x and "
        f"{_lr(numbers['SGD.best_lr_y'])} for y ({numbers['SGD.lr_ratio']:.0f}× apart) and "
        f"{numbers['SGD.lrs_for_both']:.0f} of {len(grid)} lrs bring both within {tolerance:g} in "
        f"{steps} steps; for " + ", ".join(adaptive) + " the fastest lr is the same for both ("
        + ", ".join(f"{numbers[f'{a}.lr_ratio']:.0f}×" for a in adaptive) + "), and "
        + ", ".join(f"{numbers[f'{a}.lrs_for_both']:.0f}" for a in adaptive)
        + " lrs bring both within it"
    )
    setup = (
        "L(x, y) = ½(x−1)² + ½·100·(y−1)² from (−0.5, −0.5), where the gradients are 1.5 and 150. "
        f"Each optimizer runs {steps} steps at each of {len(grid)} learning rates from {_lr(grid[0])} "
        f"to {_lr(grid[-1])}. A coordinate has arrived when it stays within {tolerance:g} of 1; we note "
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


# =========================================================== claim 3: AdaGrad's learning dies
def claim_3_adagrad_dies(steps: int = 10_000, lr: float = 0.01, alpha: float = 0.99) -> Claim:
    """AdaGrad's learning dies; RMSProp's does not.

    Under a steady gradient g, AdaGrad's accumulator is s_t = t·g², so its effective step
    γ/(√s_t + ε) = γ/(√t·|g|) falls like 1/√t. RMSProp's average v_t = (1 − α^t)·g² levels off at
    g² after about 1/(1 − α) steps, so its step γ/(√v_t + ε) settles at γ/|g|. (Its first steps are
    √(1/(1 − α)) = 10× larger: RMSProp has no bias correction, v_1 = (1 − α)·g².)
    """
    record = race(tilted_plane([1.0, 1.0]), {"AdaGrad": partial(Adagrad, lr=lr),
                                              "RMSProp": partial(RMSprop, lr=lr, alpha=alpha)},
                  (0.0, 0.0), steps)
    warm = round(1 / (1 - alpha))
    numbers: dict[str, float] = {}
    arrays: dict[str, np.ndarray] = {}
    for name in record.keys:
        step = effective_step(record, record.row(name))[:, 0] / lr        # in units of γ/|g|
        arrays[f"{name}.step"] = step
        numbers[f"{name}.first"] = float(step[0])
        numbers[f"{name}.at_{warm}"] = float(step[warm - 1])
        numbers[f"{name}.last"] = float(step[-1])
        numbers[f"{name}.last_over_first"] = float(step[-1] / step[0])
        numbers[f"{name}.last_over_{warm}"] = float(step[-1] / step[warm - 1])
        numbers[f"{name}.last_decade"] = float(step[-1] / step[steps // 10 - 1])
    holds = (abs(numbers["AdaGrad.last_over_first"] * math.sqrt(steps) - 1) < 0.1
             and 0.5 <= numbers[f"RMSProp.last_over_{warm}"] <= 2)
    verdict = (
        f"at t = {steps} AdaGrad's effective step is {numbers['AdaGrad.last_over_first']:.3g} of its "
        f"first (1/√t = {1 / math.sqrt(steps):.3g}); RMSProp's is {numbers[f'RMSProp.last_over_{warm}']:.2f}× "
        f"its value at t = {warm} (= 1/(1−α)) and level from there "
        f"({numbers['RMSProp.last_over_first']:.2f}× its first, un-bias-corrected step)"
    )
    setup = (
        f"A tilted plane L(θ) = g·θ, so the gradient g = (1, 1) never changes; AdaGrad and RMSProp "
        f"(α = {alpha}) with γ = {lr}, {steps} steps. The effective step is measured as |Δθ_t|/|g_t|, "
        "in units of γ/|g|."
    )
    notes = (
        f"RMSProp's first step is √(1/(1−α)) = {1 / math.sqrt(1 - alpha):.0f}× its level value, "
        "because v_1 = (1 − α)·g²: RMSProp has no bias correction (claim 5 shows Adam's). So its "
        f"level is measured from t = {warm}, once its average has filled in. Over the last decade, "
        f"t = {steps // 10} → {steps}, AdaGrad's step falls by {1 / numbers['AdaGrad.last_decade']:.2f}× "
        f"(√10 = {math.sqrt(10):.2f}), RMSProp's by {1 / numbers['RMSProp.last_decade']:.3f}×."
    )
    return Claim(3, "AdaGrad's learning dies", setup, verdict, holds, numbers, arrays, notes)


# ============================================================== claim 4: rare features
def sparse_regression(rng: np.random.Generator, rare: float, noise: float, target: np.ndarray) -> Loss:
    """A stream of one-example least-squares losses L_t(w) = ½(w·x_t − y_t)², with
    x_t = (1, b_t): a feature present in every example and one present with probability ``rare``
    (b_t ~ Bernoulli(rare)), and y_t = w*·x_t + σ·ε_t. Where b_t = 0 the rare weight's gradient
    (w·x_t − y_t)·b_t is exactly 0."""

    def loss(P: Tensor) -> Tensor:
        x = np.array([1.0, float(rng.random() < rare)])
        y = target @ x + noise * rng.standard_normal()
        return 0.5 * ((P * x).sum(axis=1) - y) ** 2

    return loss


def claim_4_rare_features(steps: int = 2000, rare: float = 0.02, noise: float = 0.5,
                          lr_adagrad: float = 0.5, lr_sgd: float = 0.05, seed: int = 0) -> Claim:
    """With a rarely active feature, AdaGrad keeps a larger step for it than for a frequent one.

    AdaGrad's step for weight j is γ/(√s_j + ε) with s_j = Σ_t g_{t,j}²: a weight whose feature
    is absent gets g = 0 and its accumulator stops growing. Here both weights get the same
    gradient (the residual) whenever the rare feature is present, so the ratio of their steps is
    √(Σ_all g²/Σ_present g²), about 1/√p once the residuals are noise. SGD gives every weight
    the same step γ.
    """
    target = np.array([1.0, -1.0])
    rng = np.random.default_rng(seed)
    record = race(sparse_regression(rng, rare, noise, target),
                  {"AdaGrad": partial(Adagrad, lr=lr_adagrad), "SGD": partial(SGD, lr=lr_sgd)},
                  (0.0, 0.0), steps)
    numbers: dict[str, float] = {"rare_examples": float(np.sum(record.grad[0, :, 1] != 0))}
    arrays: dict[str, np.ndarray] = {}
    for name, lr in (("AdaGrad", lr_adagrad), ("SGD", lr_sgd)):
        row = record.row(name)
        step = effective_step(record, row)
        last = [step[np.flatnonzero(np.isfinite(step[:, k]))[-1], k] for k in (0, 1)]
        numbers[f"{name}.frequent_step"] = float(last[0])
        numbers[f"{name}.rare_step"] = float(last[1])
        numbers[f"{name}.rare_over_frequent"] = float(last[1] / last[0])
        numbers[f"{name}.rare_weight_error"] = float(abs(record.path[row, -1, 1] - target[1]))
        numbers[f"{name}.frequent_weight_error"] = float(abs(record.path[row, -1, 0] - target[0]))
        near = np.flatnonzero(np.abs(record.path[row, :, 1] - target[1]) < 0.1)
        numbers[f"{name}.rare_examples_to_learn"] = (
            float(np.sum(record.grad[row, : near[0], 1] != 0)) if near.size else math.inf)
        arrays[f"{name}.step"] = step
        arrays[f"{name}.path"] = record.path[row]
    squares = np.sum(record.grad[record.row("AdaGrad")] ** 2, axis=0)
    numbers["AdaGrad.predicted_ratio"] = float(np.sqrt(squares[0] / squares[1]))
    numbers["one_over_sqrt_rare"] = 1 / math.sqrt(rare)
    holds = numbers["AdaGrad.rare_over_frequent"] > 2 and math.isclose(numbers["SGD.rare_over_frequent"], 1)
    verdict = (
        f"after {steps} examples ({numbers['rare_examples']:.0f} with the rare feature) AdaGrad's step "
        f"for the rare weight is {numbers['AdaGrad.rare_over_frequent']:.1f}× that for the frequent one "
        f"(1/√p = {numbers['one_over_sqrt_rare']:.1f}); SGD's is {numbers['SGD.rare_over_frequent']:.0f}×. "
        f"Rare examples until the rare weight first comes within 0.1 of its target: AdaGrad "
        f"{_steps(numbers['AdaGrad.rare_examples_to_learn'])}, SGD {_steps(numbers['SGD.rare_examples_to_learn'])}"
    )
    setup = (
        f"Least squares on a stream of {steps} single examples x = (1, b), b = 1 with probability "
        f"p = {rare}, targets y = 1·x₁ − 1·x₂ + noise (σ = {noise}), from w = (0, 0). AdaGrad "
        f"(γ = {lr_adagrad}) and SGD (γ = {lr_sgd}) see the same stream; the step per unit of "
        "gradient |Δw|/|g| is read at the last example where each feature was present."
    )
    notes = (
        f"The ratio is exactly √(Σ g_frequent² / Σ g_rare²) = {numbers['AdaGrad.predicted_ratio']:.2f} "
        "from the recorded gradients: the two weights get the same gradient when the rare feature is "
        f"present, and only the frequent one gets the rest. SGD's γ = {lr_sgd} is "
        f"{lr_sgd / numbers['AdaGrad.frequent_step']:.1f}× AdaGrad's final step for the frequent "
        "weight, so SGD is not held back on that one. The price of the rare weight's large step is "
        "noise: it still jumps at each of its examples (figure, right)."
    )
    return Claim(4, "Sparse features: AdaGrad keeps a larger step for a rare feature", setup, verdict,
                 holds, numbers, arrays, notes)


# ============================================================== claim 5: bias correction
def exponential_average(values: np.ndarray, beta: float) -> np.ndarray:
    """a_t = β·a_{t−1} + (1 − β)·x_t from a_0 = 0, for t = 1 … T (along the first axis)."""
    out = np.empty_like(values)
    running = np.zeros_like(values[0])
    for t, value in enumerate(values):
        running = beta * running + (1 - beta) * value
        out[t] = running
    return out


def claim_5_bias_correction(steps: int = 50, lr: float = 0.01, betas: tuple[float, float] = (0.9, 0.999),
                            eps: float = 1e-8) -> Claim:
    """Adam's bias correction keeps its first steps at the intended size.

    m_t and v_t start at 0, so early on they are too small: for a steady gradient g,
    m_t = (1 − β1^t)·g and v_t = (1 − β2^t)·g². Adam divides them by those factors,
    m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t), and steps γ·m̂/(√v̂ + ε) = γ from the first step on.
    Without the correction the step would be γ·m/(√v + ε) = γ·(1 − β1^t)/√(1 − β2^t): at t = 1
    that is γ·(1 − β1)/√(1 − β2) ≈ 3.16γ for β = (0.9, 0.999), and it grows before it shrinks.
    The uncorrected step is computed here from the same m and v (rebuilt from the recorded
    gradients); the corrected one is also read off the parameter's actual motion.
    """
    beta1, beta2 = betas
    record = race(tilted_plane([1.0, 1.0]), {"Adam": partial(Adam, lr=lr, betas=betas, eps=eps)},
                  (0.0, 0.0), steps)
    g = record.grad[0, :, 0]
    m, v = exponential_average(g, beta1), exponential_average(g**2, beta2)
    t = np.arange(1, steps + 1)
    corrected = lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps) / lr
    uncorrected = lr * m / (np.sqrt(v) + eps) / lr
    measured = np.abs(record.steps[0, :, 0]) / lr
    ratio = uncorrected / corrected
    numbers = {
        "first_corrected": float(measured[0]),
        "first_uncorrected": float(uncorrected[0]),
        "first_ratio": float(ratio[0]),
        "predicted_first_ratio": math.sqrt(1 / (1 - beta2)) * (1 - beta1),
        "peak_ratio": float(ratio.max()),
        "peak_step": float(t[np.argmax(ratio)]),
        "last_ratio": float(ratio[-1]),
        "formula_vs_motion": float(np.max(np.abs(corrected - measured))),
    }
    holds = math.isclose(numbers["first_ratio"], numbers["predicted_first_ratio"], rel_tol=1e-3)
    verdict = (
        f"Adam's first step is {numbers['first_corrected']:.3f}γ; without bias correction it would be "
        f"{numbers['first_uncorrected']:.3f}γ, {numbers['first_ratio']:.3f}× too large "
        f"(√(1/(1−β2))·(1−β1) = {numbers['predicted_first_ratio']:.3f}), peaking at "
        f"{numbers['peak_ratio']:.1f}× at step {numbers['peak_step']:.0f} and still "
        f"{numbers['last_ratio']:.1f}× at step {steps}"
    )
    setup = (
        f"Adam (γ = {lr}, β = {betas}) on the tilted plane L(θ) = g·θ with g = (1, 1), {steps} steps. "
        "The corrected step is Adam's actual motion |Δθ|; the uncorrected one is γ·m/(√v + ε) from "
        "the same m and v, both in units of γ."
    )
    arrays = {"corrected": corrected, "uncorrected": uncorrected, "measured": measured}
    notes = (
        f"v fills in over about 1/(1 − β2) = {1 / (1 - beta2):.0f} steps, so the error does not end with "
        f"the first steps: under a steady gradient the uncorrected step is still "
        f"{(1 - beta1**1000) / math.sqrt(1 - beta2**1000):.2f}× too large at t = 1000 "
        "((1 − β1^t)/√(1 − β2^t)). Adam's actual motion matches the corrected formula to "
        f"{numbers['formula_vs_motion']:.0e}γ, so these m and v are Adam's own."
    )
    return Claim(5, "Bias correction: Adam's first steps would be too large without it", setup, verdict,
                 holds, numbers, arrays, notes)


# ========================================================= claim 6: momentum smooths noise
def claim_6_momentum_smooths(steps: int = 2000, warmup: int = 200, lr: float = 0.01, noise: float = 3.0,
                             window: int = 100, seed: int = 0) -> Claim:
    """Momentum smooths noisy gradients.

    Adam's step uses m_t = β1·m_{t−1} + (1 − β1)·g_t, an average of about 2/(1 − β1) − 1 = 19
    gradients, where RMSProp uses g_t alone; both divide by √v (here the same average, α = β2 =
    0.99). With gradient noise of variance σ² the average's noise has variance
    σ²·(1 − β1)/(1 + β1), so Adam's steps should spread √((1 − β1)/(1 + β1)) ≈ 0.23× as much.
    What momentum does not remove is the drift of the noise over many steps: the sum of
    ``window`` steps spreads about as much for both.
    """
    beta1 = 0.9
    rng = np.random.default_rng(seed)
    record = race(tilted_plane([1.0, 1.0], noise, rng, (2,)),
                  {"RMSProp": partial(RMSprop, lr=lr, alpha=0.99),
                   "Adam": partial(Adam, lr=lr, betas=(beta1, 0.99))}, (0.0, 0.0), steps)
    numbers: dict[str, float] = {}
    arrays: dict[str, np.ndarray] = {}
    for name in record.keys:
        taken = record.steps[record.row(name), warmup:] / lr                       # (T', 2)
        arrays[f"{name}.path"] = record.path[record.row(name)]
        arrays[f"{name}.steps"] = taken
        numbers[f"{name}.mean_step"] = float(np.mean(-taken))
        numbers[f"{name}.step_spread"] = float(np.std(taken))
        sums = taken[: len(taken) // window * window].reshape(-1, window, 2).sum(axis=1)
        numbers[f"{name}.window_spread"] = float(np.std(sums))
    numbers["spread_ratio"] = numbers["Adam.step_spread"] / numbers["RMSProp.step_spread"]
    numbers["predicted_spread_ratio"] = math.sqrt((1 - beta1) / (1 + beta1))
    numbers["window_spread_ratio"] = numbers["Adam.window_spread"] / numbers["RMSProp.window_spread"]
    holds = numbers["spread_ratio"] < 0.5
    verdict = (
        f"the spread of Adam's steps is {numbers['spread_ratio']:.2f}× RMSProp's "
        f"(√((1−β1)/(1+β1)) = {numbers['predicted_spread_ratio']:.2f}) at about the same mean step "
        f"({numbers['Adam.mean_step']:.2f}γ vs {numbers['RMSProp.mean_step']:.2f}γ); summed over "
        f"{window} steps the spread ratio is {numbers['window_spread_ratio']:.2f}"
    )
    setup = (
        f"A tilted plane with noisy gradients g_t = (1, 1) + σ·ξ_t, σ = {noise}, ξ_t ~ N(0, I), the "
        f"same noise for both optimizers: RMSProp (α = 0.99) and Adam (β = ({beta1}, 0.99)), "
        f"γ = {lr}, {steps} steps; spreads are standard deviations of the steps (in units of γ) "
        f"after the first {warmup}."
    )
    notes = (
        "Momentum does not remove the noise, it spreads it over time: consecutive Adam steps are "
        f"correlated, and the sum of {window} steps spreads about as much as RMSProp's (ratio "
        f"{numbers['window_spread_ratio']:.2f}). What it buys is a steadier direction from one step "
        "to the next."
    )
    return Claim(6, "Momentum smooths noisy gradients", setup, verdict, holds, numbers, arrays, notes)


# ====================================================== claim 7: weight decay, coupled or not
def claim_7_weight_decay(steps: int = 1000, replicas: int = 256, lr: float = 0.01,
                         weight_decay: float = 0.1, seed: int = 0) -> Claim:
    """Weight decay in Adam is scaled by 1/√v̂; AdamW's is not.

    Adam's ``weight_decay`` adds λθ to the gradient, so the decay travels through m̂ and is
    divided by √v̂ like the rest: a parameter whose gradients are c times larger decays about c
    times more slowly, at a rate ≈ γλ/√v̂ per step. AdamW shrinks every parameter by the same
    factor (1 − γλ) per step, outside the moments.

    The two parameters see the same zero-mean gradient noise, scaled by 1 and by 100, so the
    loss pulls neither anywhere and Adam without decay moves them identically (it ignores the
    scale of a gradient): what differs is the decay. ``replicas`` independent copies average out
    the noise; the runs share it, so the decay rate of parameter i is
    κ_i = −ln(θ̄_i,decay(T)/θ̄_i,none(T))/T, with θ̄ the mean over replicas.
    """
    rng = np.random.default_rng(seed)
    loss = tilted_plane(0.0, SCALES[:, None], rng, (1, replicas))
    record = race(loss, {"no decay": partial(Adam, lr=lr),
                         "Adam+L2": partial(Adam, lr=lr, weight_decay=weight_decay),
                         "AdamW": partial(AdamW, lr=lr, weight_decay=weight_decay)},
                  np.ones((2, replicas)), steps)
    mean = record.path.mean(axis=-1)                                            # (runs, T+1, 2)
    kept = mean / mean[record.row("no decay")]
    numbers: dict[str, float] = {"decoupled_rate": -math.log(1 - lr * weight_decay)}
    for name in ("Adam+L2", "AdamW"):
        rate = -np.log(kept[record.row(name), -1]) / steps
        numbers[f"{name}.rate_small_gradient"] = float(rate[0])
        numbers[f"{name}.rate_large_gradient"] = float(rate[1])
        numbers[f"{name}.rate_ratio"] = float(rate[0] / rate[1])
    holds = numbers["Adam+L2.rate_ratio"] > 10 and abs(numbers["AdamW.rate_ratio"] - 1) < 0.01
    verdict = (
        f"per-step decay rates (gradient scale 1 / 100): Adam+L2 {numbers['Adam+L2.rate_small_gradient']:.2e}"
        f" / {numbers['Adam+L2.rate_large_gradient']:.2e}, a ratio of {numbers['Adam+L2.rate_ratio']:.0f}; "
        f"AdamW {numbers['AdamW.rate_small_gradient']:.2e} / {numbers['AdamW.rate_large_gradient']:.2e}, "
        f"a ratio of {numbers['AdamW.rate_ratio']:.3f} (−ln(1−γλ) = {numbers['decoupled_rate']:.2e})"
    )
    setup = (
        f"Two parameters, both starting at 1, whose gradients are pure noise c·ξ_t with the same ξ_t "
        f"and c = 1 and 100; {replicas} replicas, {steps} steps of Adam with and without "
        f"weight_decay = {weight_decay} and AdamW with weight_decay = {weight_decay}, γ = {lr}, on the "
        "same noise."
    )
    arrays = {f"{name}.kept": kept[record.row(name)] for name in ("Adam+L2", "AdamW")}
    notes = (
        "Under Adam+L2 the parameter with 100× larger gradients is decayed about 100× more slowly: "
        "its penalty gradient λθ is divided by √v̂ ≈ 100 like the rest of its gradient. AdamW decays "
        "both by (1 − γλ) per step, whatever their gradients. With no decay, Adam moves the two "
        "parameters identically here, so all of the difference is the decay."
    )
    return Claim(7, "Weight decay in Adam is scaled by 1/√v̂, AdamW's is not", setup, verdict, holds,
                 numbers, arrays, notes)


# ===================================================================================== figures
COLORS = {"SGD": "tab:gray", "SGD+momentum": "tab:blue", "AdaGrad": "tab:green", "RMSProp": "tab:orange",
          "Adam": "tab:red", "Adam+L2": "tab:red", "AdamW": "tab:purple"}


def _contours(ax: Any, land: Landscape, values: np.ndarray) -> None:
    """Log-spaced contour lines of a landscape's ``values`` over its plot window (no ticks: the
    window is given in the landscape's description)."""
    x0, x1, y0, y1 = land.window
    xs, ys = np.meshgrid(np.linspace(x0, x1, values.shape[1]), np.linspace(y0, y1, values.shape[0]))
    ax.contour(xs, ys, values, levels=np.geomspace(max(values.min(), 1e-3), values.max(), 18),
               colors="lightgray", linewidths=0.7)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), aspect="equal", xticks=[], yticks=[])


def _grid_values(land: Landscape, size: int = 200) -> np.ndarray:
    """The landscape's loss on a size × size grid over its window (rows are y, columns x)."""
    x0, x1, y0, y1 = land.window
    xs, ys = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y0, y1, size))
    with no_grad():
        return land.loss(Tensor(np.stack([xs.ravel(), ys.ravel()], axis=1))).data.reshape(xs.shape)


def _finish(ax: Any, title: str, **settings: Any) -> None:
    """Title, axis settings (labels, limits) and legend of one panel."""
    ax.set(title=title, **settings)
    ax.legend(fontsize=8)


def figure_1(claim: Claim, plt: Any) -> Any:
    fig = plt.figure(figsize=(15, 11))
    panels = fig.add_gridspec(3, 4)
    for row, land in enumerate((VALLEY, ROSENBROCK)):
        values = _grid_values(land)
        losses = fig.add_subplot(panels[2, 2 * row: 2 * row + 2])
        for column, name in enumerate(VALLEY_FAMILIES):
            key = f"{land.name}.{name}"
            label = f"{name}, γ = {_lr(claim.numbers[key + '.lr'])}"
            ax = fig.add_subplot(panels[row, column])
            _contours(ax, land, values)
            path = claim.arrays[key + ".path"]
            ax.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=0.8, color=COLORS[name])
            ax.set_title(f"{land.name}: {label}\narrives in {_steps(claim.numbers[key + '.steps'])} "
                         f"steps; {claim.numbers[key + '.bounce']:.0%} of them bounce", fontsize=9)
            losses.semilogy(claim.arrays[key + ".loss"], color=COLORS[name], label=label)
        losses.axhline(land.threshold, color="k", ls=":", lw=0.8, label="arrived")
        _finish(losses, f"{land.name}: loss", xlabel="step", ylabel="loss", ylim=(1e-8, None))
    fig.suptitle("1. Trajectories at each optimizer's best learning rate")
    return fig


def figure_2(claim: Claim, plt: Any) -> Any:
    fig, axes = plt.subplots(1, len(SCALE_FAMILIES), figsize=(14, 3.6), sharey=True)
    lr = claim.arrays["lr"]
    for ax, name in zip(axes, SCALE_FAMILIES):
        error = np.clip(claim.arrays[f"{name}.final_error"], 1e-17, 1e3)
        ax.loglog(lr, error[:, 0], "o-", ms=3, label="x (gradient 1.5)")
        ax.loglog(lr, error[:, 1], "s--", ms=3, label="y (gradient 150)")
        ax.set(title=name, xlabel="learning rate")
    axes[0].set_ylabel("final |error| (clipped to 1e3)")
    axes[0].legend(fontsize=8, loc="lower left")
    fig.suptitle("2. Final error of each coordinate against the learning rate")
    return fig


def figure_3(claim: Claim, plt: Any) -> Any:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name in ("AdaGrad", "RMSProp"):
        step = claim.arrays[f"{name}.step"]
        ax.loglog(np.arange(1, step.size + 1), step, color=COLORS[name], label=name)
    t = np.arange(1, claim.arrays["AdaGrad.step"].size + 1)
    ax.loglog(t, 1 / np.sqrt(t), "k:", lw=0.8, label="1/√t")
    _finish(ax, "3. Effective step under a steady gradient", xlabel="step t",
            ylabel="effective step |Δθ|/|g|, in units of γ/|g|")
    return fig


def figure_4(claim: Claim, plt: Any) -> Any:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    for name, marker in (("AdaGrad", "o"), ("SGD", "s")):
        step = claim.arrays[f"{name}.step"]
        t = np.arange(1, step.shape[0] + 1)
        left.semilogy(t, step[:, 0], color=COLORS[name], lw=1, label=f"{name}, frequent feature")
        seen = np.isfinite(step[:, 1])
        left.semilogy(t[seen], step[seen, 1], marker, ms=4, color=COLORS[name], ls="none",
                      label=f"{name}, rare feature")
        right.plot(claim.arrays[f"{name}.path"][:, 1], color=COLORS[name], label=f"{name}: rare weight")
    right.axhline(-1.0, color="k", ls=":", lw=0.8, label="its target")
    _finish(left, "step per unit gradient", xlabel="example", ylabel="|Δw|/|g|")
    _finish(right, "the rare weight", xlabel="example", ylabel="w₂")
    fig.suptitle("4. A rare feature keeps a large AdaGrad step")
    return fig


def figure_5(claim: Claim, plt: Any) -> Any:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    t = np.arange(1, claim.arrays["measured"].size + 1)
    ax.plot(t, claim.arrays["uncorrected"], color=COLORS["Adam"], ls="--", label="without bias correction γ·m/√v")
    ax.plot(t, claim.arrays["corrected"], color=COLORS["Adam"], label="with bias correction γ·m̂/√v̂")
    ax.plot(t, claim.arrays["measured"], "k.", ms=3, label="Adam's measured step |Δθ|")
    _finish(ax, "5. Adam's first steps under a steady gradient", xlabel="step t",
            ylabel="step size, in units of γ", ylim=(0, None))
    return fig


def figure_6(claim: Claim, plt: Any) -> Any:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name in ("RMSProp", "Adam"):
        path = claim.arrays[f"{name}.path"]
        left.plot(path[:400, 0], path[:400, 1], lw=0.8, color=COLORS[name], label=f"{name}, first 400 steps")
        right.hist(claim.arrays[f"{name}.steps"].ravel(), bins=60, alpha=0.6, color=COLORS[name],
                   label=f"{name}: spread {claim.numbers[f'{name}.step_spread']:.2f}γ")
    _finish(left, "paths", xlabel="θ₁", ylabel="θ₂")
    _finish(right, "steps after the warm-up", xlabel="step Δθ per coordinate, in units of γ",
            ylabel="count")
    fig.suptitle("6. The same noisy gradients, with and without momentum")
    return fig


def figure_7(claim: Claim, plt: Any) -> Any:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name, style in (("Adam+L2", "-"), ("AdamW", "--")):
        kept = claim.arrays[f"{name}.kept"]
        ax.plot(kept[:, 0], style, color=COLORS[name], label=f"{name}, gradient scale 1")
        ax.plot(kept[:, 1], style, color=COLORS[name], alpha=0.45, lw=3, label=f"{name}, gradient scale 100")
    _finish(ax, "7. How much weight decay each parameter receives", xlabel="step",
            ylabel="weight kept (decay run / no-decay run)")
    return fig


FIGURES: dict[int, Callable[[Claim, Any], Any]] = {
    1: figure_1, 2: figure_2, 3: figure_3, 4: figure_4, 5: figure_5, 6: figure_6, 7: figure_7,
}


def _pyplot() -> Any:
    """matplotlib.pyplot with a file-only backend, or None where matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


# ================================================================================== the report
def plan(quick: bool, seed: int) -> list[tuple[Callable[..., Claim], dict[str, Any]]]:
    """The seven experiments with their settings: full, or small enough for a smoke run."""
    if quick:
        return [
            (claim_1_valley, {"steps": {"valley": 300, "Rosenbrock": 500}}),
            (claim_2_two_scales, {"grid": decades(-4.0, 1.0, 2)}),
            (claim_3_adagrad_dies, {"steps": 1000}),
            (claim_4_rare_features, {"steps": 500, "seed": seed}),
            (claim_5_bias_correction, {}),
            (claim_6_momentum_smooths, {"steps": 600, "seed": seed}),
            (claim_7_weight_decay, {"steps": 300, "replicas": 64, "seed": seed}),
        ]
    return [
        (claim_1_valley, {}), (claim_2_two_scales, {}), (claim_3_adagrad_dies, {}),
        (claim_4_rare_features, {"seed": seed}), (claim_5_bias_correction, {}),
        (claim_6_momentum_smooths, {"seed": seed}), (claim_7_weight_decay, {"seed": seed}),
    ]


def _number(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:.4g}"


def report(claims: list[Claim], figures: bool, command: str, seconds: float) -> str:
    """tour.md: a summary table, then each claim in order with its setup, figure, numbers and verdict."""
    lines = [
        "# Optimizer tour: the claims of the SGD → AdaGrad → RMSProp → Adam → AdamW story, measured",
        "",
        f"Produced by `{command}` in {seconds:.1f} s.",
        "",
    ]
    if not figures:
        lines += ["Figures were skipped: matplotlib is not installed (`pip install -e \".[plot]\"`). "
                  "The numbers and verdicts below are measured all the same.", ""]
    lines += ["| # | claim | borne out |", "| --- | --- | --- |"]
    lines += [f"| {c.number} | {c.title} | {'yes' if c.holds else 'NO'} |" for c in claims]
    for c in claims:
        lines += ["", f"## {c.number}. {c.title}", "", c.setup, ""]
        if figures:
            lines += [f"![claim {c.number}](claim{c.number}.png)", ""]
        lines += [f"**Verdict ({'borne out' if c.holds else 'not borne out'}):** {c.verdict}.", "",
                  c.notes, "", "| measured | value |", "| --- | --- |"]
        lines += [f"| {key} | {_number(value)} |" for key, value in c.numbers.items()]
    return "\n".join(lines) + "\n"


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def main(argv: list[str] | None = None) -> list[Claim]:
    """Run the tour as the command line asks, write its files, print a summary; return the claims."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("results/optimizer_tour"),
                        help="folder for tour.md, the figures, results.json and raw.npz")
    parser.add_argument("--quick", action="store_true", help="small runs, for a smoke test (a few seconds)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the noisy experiments (claims 4, 6, 7)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    plt = _pyplot()
    began = time.perf_counter()
    claims = []
    for run, settings in tqdm(plan(args.quick, args.seed), desc="optimizer tour", unit="claim"):
        claim = run(**settings)
        claims.append(claim)
        if plt is not None:
            fig = FIGURES[claim.number](claim, plt)
            fig.tight_layout()
            fig.savefig(args.out / f"claim{claim.number}.png", dpi=110)
            plt.close(fig)
    seconds = time.perf_counter() - began
    command = "python examples/optimizer_tour.py" + (" --quick" if args.quick else "") + f" --seed {args.seed}"
    (args.out / "tour.md").write_text(report(claims, plt is not None, command, seconds), encoding="utf-8")
    results = {"seed": args.seed, "quick": args.quick, "seconds": seconds, "claims": [
        {"number": c.number, "title": c.title, "holds": c.holds, "verdict": c.verdict, "setup": c.setup,
         "notes": c.notes, "numbers": {k: _json_number(v) for k, v in c.numbers.items()}} for c in claims]}
    (args.out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    np.savez_compressed(args.out / "raw.npz", **{f"claim{c.number}.{k}": a for c in claims
                                                 for k, a in c.arrays.items()})
    for c in claims:
        print(f"{c.number}. {c.title}: {'borne out' if c.holds else 'NOT borne out'}\n   {c.verdict}")
    print(f"{len(claims)} claims in {seconds:.1f} s; tour.md, results.json, raw.npz"
          + (" and figures" if plt is not None else " (figures skipped: no matplotlib)") + f" in {args.out}")
    return claims


if __name__ == "__main__":
    main()
