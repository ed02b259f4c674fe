"""Claim 5: Adam's bias correction keeps its first steps at the intended size.

m_t = β1·m_{t−1} + (1 − β1)·g_t and v_t = β2·v_{t−1} + (1 − β2)·g_t² start at 0, so for a steady
gradient g they are m_t = (1 − β1^t)·g and v_t = (1 − β2^t)·g². Adam divides by those factors,
m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t), and steps γ·m̂/(√v̂ + ε) = γ from the first step on. The
uncorrected step γ·m/(√v + ε) = γ·(1 − β1^t)/√(1 − β2^t) is γ·(1 − β1)/√(1 − β2) ≈ 3.16γ at t = 1
for β = (0.9, 0.999), and grows before it shrinks.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from optim import Adam
from tour.claim import Claim
from tour.race import race, tilted_plane


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
    """Adam's bias correction keeps its first steps at the intended size (the math: see the module
    docstring). The uncorrected step is computed here from the same m and v (rebuilt from the
    recorded gradients); the corrected one is also read off the parameter's actual motion.
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
        "motion_vs_intended": float(np.max(np.abs(measured - 1))),
    }
    holds = numbers["motion_vs_intended"] < 1e-6 and numbers["formula_vs_motion"] < 1e-9
    verdict = (
        f"Adam's actual steps are γ to within {numbers['motion_vs_intended']:.0e}γ over all {steps} "
        f"steps, as the bias-corrected formula says (to {numbers['formula_vs_motion']:.0e}γ); without "
        f"bias correction its first step would be {numbers['first_uncorrected']:.3f}γ, "
        f"{numbers['first_ratio']:.3f}× too large "
        f"(√(1/(1−β2))·(1−β1) = {numbers['predicted_first_ratio']:.3f}), peaking at "
        f"{numbers['peak_ratio']:.1f}× at step {numbers['peak_step']:.0f} and still "
        f"{numbers['last_ratio']:.1f}× at step {steps}"
    )
    setup = (
        f"Adam (γ = {lr}, β = {betas}) on the tilted plane L(θ) = g·θ with g = (1, 1), {steps} steps. "
        "The corrected step is Adam's actual motion |Δθ|; the uncorrected one is γ·m/(√v + ε) from "
        "the same m and v, both in units of γ. The check asks Adam's steps to be γ to within 1e-6γ "
        f"(ε = {eps:g} makes them slightly shorter) and the corrected formula, rebuilt from the "
        "recorded gradients, to match them to 1e-9γ."
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
