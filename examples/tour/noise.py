"""Claim 6: momentum smooths noisy gradients.

Adam's step uses m_t = β1·m_{t−1} + (1 − β1)·g_t, an average of about 2/(1 − β1) − 1 gradients,
where RMSProp uses g_t alone; both divide by √v. With gradient noise of variance σ² the average's
noise has variance σ²·(1 − β1)/(1 + β1), so Adam's steps spread √((1 − β1)/(1 + β1)) times as
much as RMSProp's (≈ 0.23 for β1 = 0.9). The drift of the noise over many steps stays: sums of
many consecutive steps spread about as much for both.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from optim import Adam, RMSprop
from tour.claim import Claim
from tour.race import race, tilted_plane


def claim_6_momentum_smooths(steps: int = 2000, warmup: int = 200, lr: float = 0.01, noise: float = 3.0,
                             window: int = 100, seed: int = 0) -> Claim:
    """Momentum smooths noisy gradients (the math: see the module docstring). RMSProp and Adam share
    α = β2 = 0.99, so they differ only in momentum; spreads are measured after ``warmup`` steps, and
    also for sums of ``window`` consecutive steps."""
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
