"""Part 5: the same numeric ``weight_decay`` through Adam and through AdamW.

At a fixed learning rate, λ runs from 1e-4 to 1. For Adam+L2, λ is the strength of the
penalty λ/2‖W‖² in the loss. At W = 0 the output ignores the input, so the data's gradient on
every weight vanishes (the biases fit the class frequencies): W = 0 is a stationary point of
the penalised loss, and a minimum once the penalty's curvature λ outweighs the data's. Adam
goes there, and the accuracy drops to chance. For AdamW the same number only sets the shrink per step,
γλ; its fixed points satisfy λθ = −m̂/(√v̂ + ε), so |θ_i| ≤ 1/λ, a bound and not a pull to zero.
We measure test accuracy, the final ‖W‖, and ‖W‖ relative to its value at initialization.
"""

from __future__ import annotations

from typing import Any

from l2study.runs import Config, RunStore
from l2study.settings import Settings
from l2study.training import mlp_configs, over_seeds

NAME = "same-number"
TITLE = "5. The same number, two meanings"
LR = 1e-3
OPTIMIZERS = ("adam_l2", "adamw")
COLLAPSE_ACCURACY = 0.2  # chance is 0.1 on ten balanced classes


def weight_decays(settings: Settings) -> tuple[float, ...]:
    if settings.quick:
        return (1e-4, 1e-2, 1.0)
    return (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)


def setting_configs(settings: Settings) -> dict[tuple[str, float], list[Config]]:
    return {(kind, wd): mlp_configs(settings, kind, LR, wd)
            for kind in OPTIMIZERS for wd in weight_decays(settings)}


def configs(settings: Settings, store: RunStore) -> list[Config]:
    return [config for runs in setting_configs(settings).values() for config in runs]


def summarize(settings: Settings, store: RunStore) -> dict[str, Any]:
    """Per optimizer, the seed statistics at every λ, and the smallest λ at which the mean test
    accuracy falls below ``COLLAPSE_ACCURACY`` (None if it never does)."""
    wds = weight_decays(settings)
    result: dict[str, Any] = {"lr": LR, "weight_decays": list(wds), "optimizers": {}}
    for kind in OPTIMIZERS:
        stats = [over_seeds(store, setting_configs(settings)[kind, wd]) for wd in wds]
        collapsed = [wd for wd, s in zip(wds, stats) if s["accuracy"] < COLLAPSE_ACCURACY]
        result["optimizers"][kind] = {"stats": stats, "collapse_at": collapsed[0] if collapsed else None}
    return result
