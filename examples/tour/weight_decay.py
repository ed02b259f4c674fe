"""Claim 7: weight decay in Adam is scaled by 1/√v̂; AdamW's is not.

Adam's ``weight_decay`` adds λθ to the gradient, so the decay travels through m̂ and is divided by
√v̂ like the rest: a parameter whose gradients are c times larger decays about c times more slowly.
For gradients c·ξ_t with ξ_t of variance 1, √v̂ ≈ c and the mean decays by about (1 − γλ/c) per
step, a rate −ln(1 − γλ/c). AdamW shrinks every parameter by the same factor (1 − γλ) per step,
outside the moments, a rate −ln(1 − γλ). The decay rate of parameter i is measured as
κ_i = −ln(θ̄_i,decay(T)/θ̄_i,none(T))/T, θ̄ the mean over replicas that share the noise.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from optim import Adam, AdamW
from tour.claim import Claim
from tour.race import race, tilted_plane
from tour.scales import SCALES


def claim_7_weight_decay(steps: int = 1000, replicas: int = 256, lr: float = 0.01,
                         weight_decay: float = 0.1, seed: int = 0) -> Claim:
    """Weight decay in Adam is scaled by 1/√v̂; AdamW's is not (the math: see the module docstring).

    The two parameters see the same zero-mean gradient noise, scaled by 1 and by 100, so the
    loss pulls neither anywhere and Adam without decay moves them identically (it ignores the
    scale of a gradient): what differs is the decay. ``replicas`` independent copies average out
    the noise, and the runs share it.
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
    coupled = -np.log(1 - lr * weight_decay / SCALES)          # √v̂ ≈ c, as the noise has variance 1
    numbers["coupled_rate_small_gradient"] = float(coupled[0])
    numbers["coupled_rate_large_gradient"] = float(coupled[1])
    off = []
    for name, prediction in (("Adam+L2", coupled), ("AdamW", numbers["decoupled_rate"])):
        rate = -np.log(kept[record.row(name), -1]) / steps
        numbers[f"{name}.rate_small_gradient"] = float(rate[0])
        numbers[f"{name}.rate_large_gradient"] = float(rate[1])
        numbers[f"{name}.rate_ratio"] = float(rate[0] / rate[1])
        off.append(float(np.max(np.abs(rate / prediction - 1))))
    numbers["rate_vs_prediction"] = max(off)
    holds = numbers["rate_vs_prediction"] < 0.05 and abs(numbers["AdamW.rate_ratio"] - 1) < 1e-6
    verdict = (
        f"per-step decay rates (gradient scale 1 / 100): Adam+L2 {numbers['Adam+L2.rate_small_gradient']:.3e}"
        f" / {numbers['Adam+L2.rate_large_gradient']:.3e} (−ln(1−γλ/c) = {coupled[0]:.3e} / {coupled[1]:.3e}), "
        f"a ratio of {numbers['Adam+L2.rate_ratio']:.0f}; AdamW {numbers['AdamW.rate_small_gradient']:.3e} / "
        f"{numbers['AdamW.rate_large_gradient']:.3e} (−ln(1−γλ) = {numbers['decoupled_rate']:.3e}), a ratio of "
        f"{numbers['AdamW.rate_ratio']:.6f}; every rate is within {numbers['rate_vs_prediction']:.1%} of its prediction"
    )
    setup = (
        f"Two parameters, both starting at 1, whose gradients are pure noise c·ξ_t with the same ξ_t "
        f"and c = 1 and 100; {replicas} replicas, {steps} steps of Adam with and without "
        f"weight_decay = {weight_decay} and AdamW with weight_decay = {weight_decay}, γ = {lr}, on the "
        "same noise. The check asks every rate to be within 5 % of its prediction (the means over "
        "replicas carry some noise) and AdamW's two rates to agree to 1e-6."
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
