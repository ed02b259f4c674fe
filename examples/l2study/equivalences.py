"""Part 1: two equivalences and one difference, on float64 trajectories.

On a small least-squares problem, L(θ) = (1/2n)‖Xθ − y‖², each variant below takes 100 steps
from the same start, and we compare the whole trajectories by max_t ‖θ_t − θ'_t‖_∞:

- Adam(weight_decay=λ)  vs  Adam on L + λ/2‖θ‖² (``models.l2_penalty``): the optimizer adds λθ
  to the gradient, the penalty's gradient is λθ; same update, up to rounding.
- SGD(weight_decay=λ)  vs  SGD on L + λ/2‖θ‖²  vs  decoupled SGD θ ← θ(1 − γλ) − γ∇L: for plain
  SGD all three are θ − γ(∇L + λθ), up to rounding.
- SGD with momentum μ, coupled (λθ enters the buffer b ← μb + g + λθ) vs decoupled (θ shrinks
  by (1 − γλ), the buffer sees ∇L only): different algorithms.
- Adam(weight_decay=λ) vs AdamW(weight_decay=λ): λθ divided by √v̂ vs not; different.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import minigrad.functional as F
import models
import optim
from l2study.data import least_squares
from l2study.runs import Config, RunStore
from l2study.settings import Settings
from minigrad import Tensor, no_grad

NAME = "equivalences"
TITLE = "1. Equivalences and the one difference"
STEPS, LR, WEIGHT_DECAY, MOMENTUM = 100, 0.05, 0.1, 0.9


@dataclass(frozen=True)
class Variant:
    """An optimizer made from (params, γ, λ), and where the decay goes: into the loss as
    λ/2‖θ‖² (``penalty``), or applied by hand as θ ← θ(1 − γλ) before the step (``decoupled``),
    or neither (then the optimizer itself handles λ)."""

    make: Callable[[list[Tensor], float, float], optim.Optimizer]
    penalty: bool = False
    decoupled: bool = False


VARIANTS: dict[str, Variant] = {
    "adam_wd": Variant(lambda p, lr, wd: optim.Adam(p, lr=lr, weight_decay=wd)),
    "adam_penalty": Variant(lambda p, lr, wd: optim.Adam(p, lr=lr), penalty=True),
    "adamw": Variant(lambda p, lr, wd: optim.AdamW(p, lr=lr, weight_decay=wd)),
    "sgd_wd": Variant(lambda p, lr, wd: optim.SGD(p, lr=lr, weight_decay=wd)),
    "sgd_penalty": Variant(lambda p, lr, wd: optim.SGD(p, lr=lr), penalty=True),
    "sgd_decoupled": Variant(lambda p, lr, wd: optim.SGD(p, lr=lr), decoupled=True),
    "sgdm_wd": Variant(lambda p, lr, wd: optim.SGD(p, lr=lr, momentum=MOMENTUM, weight_decay=wd)),
    "sgdm_decoupled": Variant(lambda p, lr, wd: optim.SGD(p, lr=lr, momentum=MOMENTUM), decoupled=True),
}

# (variant a, variant b, what the spec says: "equal" to rounding, or "differ").
COMPARISONS: list[tuple[str, str, str]] = [
    ("adam_wd", "adam_penalty", "equal"),
    ("sgd_wd", "sgd_penalty", "equal"),
    ("sgd_wd", "sgd_decoupled", "equal"),
    ("sgdm_wd", "sgdm_decoupled", "differ"),
    ("adam_wd", "adamw", "differ"),
]

DESCRIPTIONS = {
    "adam_wd": "Adam(weight_decay=λ)",
    "adam_penalty": "Adam + λ/2‖θ‖² in the loss",
    "adamw": "AdamW(weight_decay=λ)",
    "sgd_wd": "SGD(weight_decay=λ)",
    "sgd_penalty": "SGD + λ/2‖θ‖² in the loss",
    "sgd_decoupled": "SGD, θ ← θ(1 − γλ) − γ∇L",
    "sgdm_wd": f"SGD(momentum={MOMENTUM}, weight_decay=λ)",
    "sgdm_decoupled": f"SGD(momentum={MOMENTUM}), decoupled θ ← θ(1 − γλ)",
}


def trajectory(variant: str, x: np.ndarray, y: np.ndarray, *, steps: int, lr: float,
               weight_decay: float, seed: int) -> np.ndarray:
    """θ_0 … θ_steps (shape (steps + 1, d)) of ``variant`` on (1/2n)‖Xθ − y‖², float64."""
    spec = VARIANTS[variant]
    model = models.LinearRegression(x.shape[1], 1, bias=False, rng=seed, dtype=np.float64)
    params = model.parameters()
    optimizer = spec.make(params, lr, weight_decay)
    inputs, targets = Tensor(x), y[:, None]
    thetas = [model.weight.data.ravel().copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        loss = 0.5 * F.mse_loss(model(inputs), targets)
        if spec.penalty:
            loss = loss + models.l2_penalty(params, weight_decay)
        loss.backward()
        if spec.decoupled:
            with no_grad():
                for p in params:
                    p.data *= 1 - lr * weight_decay
        optimizer.step()
        thetas.append(model.weight.data.ravel().copy())
    return np.array(thetas)


def configs(settings: Settings, store: RunStore) -> list[Config]:
    """One run per comparison, on the base seed's problem."""
    return [{"kind": "equivalence", "a": a, "b": b, "seed": settings.seed, "steps": STEPS,
             "lr": LR, "weight_decay": WEIGHT_DECAY} for a, b, _ in COMPARISONS]


def run(config: Config) -> dict[str, Any]:
    """Both trajectories of one comparison: max over steps of ‖θ_a − θ_b‖_∞."""
    x, y = least_squares("synthetic", config["seed"])
    common = dict(steps=config["steps"], lr=config["lr"], weight_decay=config["weight_decay"],
                  seed=config["seed"])
    a = trajectory(config["a"], x, y, **common)
    b = trajectory(config["b"], x, y, **common)
    return {"max_abs_diff": float(np.max(np.abs(a - b)))}


def summarize(settings: Settings, store: RunStore) -> dict[str, Any]:
    """A row per comparison: the two variants, the spec's expectation, the measured gap."""
    rows = []
    for config, (_, _, expected) in zip(configs(settings, store), COMPARISONS):
        metrics = store.metrics(config)
        rows.append({"a": DESCRIPTIONS[config["a"]], "b": DESCRIPTIONS[config["b"]],
                     "expected": expected, **metrics})
    equal = [r["max_abs_diff"] for r in rows if r["expected"] == "equal"]
    differ = [r["max_abs_diff"] for r in rows if r["expected"] == "differ"]
    return {"rows": rows, "steps": STEPS, "lr": LR, "weight_decay": WEIGHT_DECAY,
            "momentum": MOMENTUM, "worst_equal": max(equal), "smallest_difference": min(differ)}
