"""Claim 3: AdaGrad's learning dies; RMSProp's does not.

Under a steady gradient g, AdaGrad's accumulator is s_t = t·g², so its effective step
γ/(√s_t + ε) = γ/(√t·|g|) falls like 1/√t. RMSProp's average v_t = (1 − α^t)·g² levels off at g²
after about 1/(1 − α) steps, and its step γ/(√v_t + ε) settles at γ/|g| (its first steps are
√(1/(1 − α)) times larger: RMSProp has no bias correction, v_1 = (1 − α)·g²).
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from optim import Adagrad, RMSprop
from tour.claim import Claim
from tour.race import effective_step, race, tilted_plane


def claim_3_adagrad_dies(steps: int = 10_000, lr: float = 0.01, alpha: float = 0.99) -> Claim:
    """AdaGrad's learning dies; RMSProp's does not (the math: see the module docstring). Both run
    ``steps`` steps at γ = ``lr`` on a steady gradient, RMSProp with average factor ``alpha``."""
    record = race(tilted_plane([1.0, 1.0]), {"AdaGrad": partial(Adagrad, lr=lr),
                                              "RMSProp": partial(RMSprop, lr=lr, alpha=alpha)},
                  (0.0, 0.0), steps)
    warm, decade = round(1 / (1 - alpha)), steps // 10
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
        numbers[f"{name}.last_decade"] = float(step[-1] / step[decade - 1])
    holds = (abs(numbers["AdaGrad.last_over_first"] * math.sqrt(steps) - 1) < 1e-6
             and abs(numbers["RMSProp.last_decade"] - 1) < 0.01)
    verdict = (
        f"at t = {steps} AdaGrad's effective step is {numbers['AdaGrad.last_over_first']:.3g} of its "
        f"first (1/√t = {1 / math.sqrt(steps):.3g}) and fell {1 / numbers['AdaGrad.last_decade']:.2f}× over "
        f"the last decade, t = {decade} → {steps} (√10 = {math.sqrt(10):.2f}); RMSProp's changed by "
        f"{abs(1 - numbers['RMSProp.last_decade']):.3%} over it and ends at "
        f"{numbers['RMSProp.last']:.3f}γ/|g|, after falling to {numbers['RMSProp.last_over_first']:.2f}× "
        f"its first, un-bias-corrected step and to {numbers[f'RMSProp.last_over_{warm}']:.2f}× its "
        f"value at t = {warm} (= 1/(1−α))"
    )
    setup = (
        f"A tilted plane L(θ) = g·θ, so the gradient g = (1, 1) never changes; AdaGrad and RMSProp "
        f"(α = {alpha}) with γ = {lr}, {steps} steps. The effective step is measured as |Δθ_t|/|g_t|, "
        "in units of γ/|g|. The check asks AdaGrad's last step to be 1/√t of its first (to 1e-6) "
        "and RMSProp's to change by less than 1 % over the last decade."
    )
    notes = (
        f"RMSProp's first step is √(1/(1−α)) = {1 / math.sqrt(1 - alpha):.0f}× its level value, "
        "because v_1 = (1 − α)·g²: RMSProp has no bias correction (claim 5 shows Adam's). Its average "
        f"v_t = (1 − α^t)·g² fills in over a few times 1/(1 − α) = {warm} steps: at t = {warm} its step "
        f"is still 1/√(1 − α^{warm}) = {1 / math.sqrt(1 - alpha**warm):.2f}× its level value, at t = {decade} "
        f"{1 / math.sqrt(1 - alpha**decade):.5f}×."
    )
    return Claim(3, "AdaGrad's learning dies", setup, verdict, holds, numbers, arrays, notes)
