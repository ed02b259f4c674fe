"""Claim 4: with a rarely active feature, AdaGrad keeps a larger step for it than for a frequent one.

A stream of least-squares losses L_t(w) = ½(w·x_t − y_t)² with x_t = (1, b_t), b_t ~ Bernoulli(p).
AdaGrad's step for weight j is γ/(√s_j + ε) with s_j = Σ_t g_{t,j}²; where the feature is absent
g = 0 and s_j stops growing. Both weights get the same gradient (the residual) when the rare
feature is present, so the ratio of their steps is √(Σ_all g²/Σ_present g²), about 1/√p once the
residuals are noise. SGD gives every weight the same step γ.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from minigrad import Tensor
from optim import SGD, Adagrad
from tour.claim import Claim, format_steps
from tour.race import Loss, effective_step, race


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
    """With a rarely active feature, AdaGrad keeps a larger step for it than for a frequent one (the
    math: see the module docstring). AdaGrad and SGD see the same stream of ``steps`` examples, the
    rare feature present with probability ``rare``."""
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
        f"{format_steps(numbers['AdaGrad.rare_examples_to_learn'])}, SGD {format_steps(numbers['SGD.rare_examples_to_learn'])}"
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
