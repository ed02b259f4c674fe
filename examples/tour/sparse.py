"""Claim 4: with a rarely active feature, AdaGrad keeps a larger step for it than for a frequent one.

A stream of least-squares losses L_t(w) = ½(w·x_t − y_t)² with x_t = (1, b_t), b_t ~ Bernoulli(p).
AdaGrad's step for weight j is γ/(√s_j + ε) with s_j = Σ_t g_{t,j}²; where the feature is absent
g = 0 and s_j stops growing. Both weights get the same gradient (the residual) when the rare
feature is present, so the ratio of their steps is √(Σ_all g²/Σ_present g²), about 1/√p once the
residuals are noise. SGD gives every weight the same step γ, so one γ has to serve both: the rare
weight moves only at its few examples and needs a large γ, while the frequent weight's noise
grows with γ.
"""

from __future__ import annotations

import math

import numpy as np

from minigrad import Tensor
from optim import SGD, Adagrad
from tour.claim import Claim, decades, format_lr
from tour.race import Family, Loss, effective_step, sweep

SPARSE_FAMILIES: dict[str, Family] = {"AdaGrad": (Adagrad, {}), "SGD": (SGD, {})}


def sparse_regression(rng: np.random.Generator, rare: float, noise: float, target: np.ndarray,
                      streams: int) -> Loss:
    """``streams`` independent streams of one-example least-squares losses L_t(w) = ½(w·x_t − y_t)²,
    with x_t = (1, b_t): a feature present in every example and one present with probability
    ``rare`` (b_t ~ Bernoulli(rare)), and y_t = w*·x_t + σ·ε_t. A run's parameters are (streams, 2)
    and its loss is the sum over its streams. Where b_t = 0 the rare weight's gradient
    (w·x_t − y_t)·b_t is exactly 0."""

    def loss(P: Tensor) -> Tensor:
        x = np.stack([np.ones(streams), rng.random(streams) < rare], axis=1).astype(np.float64)
        y = x @ target + noise * rng.standard_normal(streams)
        return (0.5 * ((P * x).sum(axis=2) - y) ** 2).sum(axis=1)

    return loss


def last_present(step: np.ndarray) -> np.ndarray:
    """From steps per unit gradient of shape (T, …) with nan where the gradient was 0: the last
    finite one of each column (nan for a column with none)."""
    seen = np.isfinite(step)
    last = step.shape[0] - 1 - np.argmax(seen[::-1], axis=0)
    return np.where(seen.any(axis=0), np.take_along_axis(step, last[None], axis=0)[0], np.nan)


def claim_4_rare_features(steps: int = 2000, streams: int = 64, rare: float = 0.02, noise: float = 0.5,
                          grid: np.ndarray = decades(-2.0, 0.5, 4), seed: int = 0) -> Claim:
    """With a rarely active feature, AdaGrad keeps a larger step for it than for a frequent one (the
    math: see the module docstring). AdaGrad and SGD run at every learning rate of ``grid`` on the
    same ``streams`` streams of ``steps`` examples; each is kept at the learning rate that ends
    nearest the target w* (the root mean square over streams of |w − w*|), and AdaGrad's step
    ratio is read there."""
    target = np.array([1.0, -1.0])
    rng = np.random.default_rng(seed)
    record = sweep(sparse_regression(rng, rare, noise, target, streams), SPARSE_FAMILIES, grid,
                   np.zeros((streams, 2)), steps)
    with np.errstate(over="ignore"):                                          # runs that diverged
        miss = np.nan_to_num(record.path[:, -1] - target, nan=np.inf) ** 2      # (runs, streams, 2)
    errors = np.sqrt(miss.mean(axis=1))                                        # per weight (runs, 2)
    distance = np.sqrt(miss.sum(axis=2).mean(axis=1))                         # |w − w*| (runs,)
    numbers: dict[str, float] = {"rare_examples": float(np.mean(np.sum(record.grad[0, :, :, 1] != 0, axis=0)))}
    arrays: dict[str, np.ndarray] = {"lr": grid}
    best: dict[str, int] = {}
    for name in SPARSE_FAMILIES:
        rows = [record.row((name, lr)) for lr in grid]
        best[name] = rows[int(np.argmin(distance[rows]))]
        numbers[f"{name}.lr"] = float(record.keys[best[name]][1])
        numbers[f"{name}.distance"] = float(distance[best[name]])
        numbers[f"{name}.frequent_error"] = float(errors[best[name], 0])
        numbers[f"{name}.rare_error"] = float(errors[best[name], 1])
        arrays[f"{name}.errors"] = errors[rows]
        arrays[f"{name}.step"] = effective_step(record, best[name])[:, 0]           # stream 0
    row = best["AdaGrad"]
    frequent, rare_step = last_present(effective_step(record, row)).T                 # per stream
    ratio = rare_step / frequent
    squares = np.sum(record.grad[row] ** 2, axis=0)                                   # (streams, 2)
    present = np.sum(record.grad[row, :, :, 1] != 0, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):                  # a stream without the feature
        predicted = np.sqrt(squares[:, 0] / squares[:, 1])
        rare_residual = np.sqrt(squares[:, 1] / present)
    numbers["AdaGrad.ratio_median"] = float(np.nanmedian(ratio))
    numbers["AdaGrad.ratio_low"] = float(np.nanmin(ratio))
    numbers["AdaGrad.ratio_high"] = float(np.nanmax(ratio))
    numbers["one_over_sqrt_rare"] = 1 / math.sqrt(rare)
    numbers["AdaGrad.residual"] = float(np.median(np.sqrt(squares[:, 0] / steps)))
    numbers["AdaGrad.rare_residual"] = float(np.nanmedian(rare_residual))
    numbers["ratio_vs_gradients"] = float(np.nanmax(np.abs(ratio / predicted - 1)))
    holds = (numbers["ratio_vs_gradients"] < 1e-6
             and 1 / 1.5 < numbers["AdaGrad.ratio_median"] * math.sqrt(rare) < 1.5
             and numbers["AdaGrad.distance"] < numbers["SGD.distance"])
    verdict = (
        f"after {steps} examples (about {numbers['rare_examples']:.0f} with the rare feature) AdaGrad's "
        f"step for the rare weight is {numbers['AdaGrad.ratio_median']:.1f}× that for the frequent one "
        f"(median over {streams} streams, {numbers['AdaGrad.ratio_low']:.1f}–{numbers['AdaGrad.ratio_high']:.1f}; "
        f"1/√p = {numbers['one_over_sqrt_rare']:.1f}). At their best γ, AdaGrad (γ = "
        f"{format_lr(numbers['AdaGrad.lr'])}) ends {numbers['AdaGrad.distance']:.3f} from the target "
        f"(errors {numbers['AdaGrad.frequent_error']:.3f} on the frequent weight, "
        f"{numbers['AdaGrad.rare_error']:.3f} on the rare one), SGD (γ = {format_lr(numbers['SGD.lr'])}) "
        f"{numbers['SGD.distance']:.3f} ({numbers['SGD.frequent_error']:.3f}, {numbers['SGD.rare_error']:.3f})"
    )
    setup = (
        f"Least squares on {streams} independent streams of {steps} single examples x = (1, b), b = 1 "
        f"with probability p = {rare}, targets y = 1·x₁ − 1·x₂ + noise (σ = {noise}), from w = (0, 0). "
        f"AdaGrad and SGD see the same streams at each of {len(grid)} learning rates from "
        f"{format_lr(grid[0])} to {format_lr(grid[-1])}, and each is kept at the one that ends nearest "
        "the target (the root mean square over streams of |w − w*|). Errors are root mean squares "
        "over streams; the step per unit of gradient |Δw|/|g| is read at the last example where "
        "each feature was present."
    )
    notes = (
        "In every stream the ratio is √(Σ g_frequent² / Σ g_rare²) from its recorded gradients, to "
        f"{numbers['ratio_vs_gradients']:.0e}: the two weights get the same gradient when the rare "
        "feature is present, and only the frequent one gets the rest. The check asks for that, for "
        "a median within a factor 1.5 of 1/√p, and for AdaGrad to end nearer the target than SGD. "
        "Equivalently the ratio is √(n/n_rare)·r_all/r_rare, with r the root mean square residual "
        "over all n examples and over the n_rare with the rare feature; r_all and r_rare are "
        f"{numbers['AdaGrad.residual']:.2f} and {numbers['AdaGrad.rare_residual']:.2f} (medians over "
        "streams), as the rare weight, learned from few examples, stays off longer. SGD's step per "
        "unit of gradient is γ for both weights, so its γ must serve both: one small enough to keep "
        "the frequent weight's noise down leaves the rare weight, which moves only at its few "
        "examples, short of its target (figure, right: each learning rate's two errors). The price "
        "of AdaGrad's large step for the rare weight is noise: it still jumps at each of its examples."
    )
    return Claim(4, "Sparse features: AdaGrad keeps a larger step for a rare feature", setup, verdict,
                 holds, numbers, arrays, notes)
