"""Part 2: where Adam+L2 and AdamW converge on a convex problem.

The problem is full-batch least squares without intercept (X standardized, y centred), trained
in float64 for many steps with a cosine schedule annealed to zero (stepped every step).

Adam+L2 minimises the penalised loss  L(θ) = (1/2n)‖Xθ − y‖² + (λ/2)‖θ‖², a strictly convex
function, so any method that converges at all must end at its minimiser, the ridge solution.
``sklearn.linear_model.Ridge`` minimises ‖Xθ − y‖² + α‖θ‖²; multiplying L by 2n, which does not
move the minimiser, gives ‖Xθ − y‖² + nλ‖θ‖², so the matching ridge is α = nλ.

AdamW minimises no penalised loss. Its step is θ ← θ(1 − γλ) − γ·m̂/(√v̂ + ε). On a full batch
near a limit point the gradient g is (nearly) constant, so m̂ → g, v̂ → g² and a fixed point
needs  λθ_i = −g_i/(|g_i| + ε).  Either |g_i| ≫ ε and then θ_i = −sign(g_i)/λ: the coordinate sits
on the face of the box |θ_i| ≤ 1/λ with the loss pushing outward; or |θ_i| < 1/λ and then
|g_i| = ελ|θ_i|/(1 − λ|θ_i|) ≈ 0: the coordinate is free. These are the optimality (KKT)
conditions of  min (1/2n)‖Xθ − y‖² subject to |θ_i| ≤ 1/λ, a box-constrained least-squares
problem, solved exactly by ``scipy.optimize.lsq_linear``. The match is only approximate: near
the fixed point the normalised step m̂/√v̂ responds to the gradient's sign more than to its
size, so coordinates approach their limits slowly, and ε blurs the boundary case.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad.functional as F
import models
import optim
from l2study.data import least_squares
from l2study.runs import Config, RunStore
from l2study.settings import Settings
from minigrad import Tensor
from optim.lr_scheduler import CosineAnnealingLR

NAME = "convergence"
TITLE = "2. Where each one converges"
LR = 0.01
# λ per problem, chosen so that the box |θ_i| ≤ 1/λ cuts off some least-squares coefficients.
WEIGHT_DECAYS = {"synthetic": (0.5, 1.0, 2.0), "diabetes": (3.0, 5.0, 10.0)}


def steps(settings: Settings) -> int:
    return 2000 if settings.quick else 20000


def configs(settings: Settings, store: RunStore) -> list[Config]:
    """Adam+L2 and AdamW for every problem and λ (the middle λ only if quick), on the base seed."""
    return [{"kind": "least_squares", "problem": problem, "optimizer": kind, "weight_decay": wd,
             "lr": LR, "steps": steps(settings), "seed": settings.seed}
            for problem, wds in WEIGHT_DECAYS.items() for wd in (wds[1:2] if settings.quick else wds)
            for kind in ("adam_l2", "adamw")]


def fit(x: np.ndarray, y: np.ndarray, kind: str, *, weight_decay: float, lr: float, steps: int,
        seed: int) -> np.ndarray:
    """θ after ``steps`` full-batch steps of Adam+L2 or AdamW on (1/2n)‖Xθ − y‖², with a cosine
    learning rate from ``lr`` down to 0."""
    model = models.LinearRegression(x.shape[1], 1, bias=False, rng=seed, dtype=np.float64)
    make = optim.AdamW if kind == "adamw" else optim.Adam
    optimizer = make(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = CosineAnnealingLR(optimizer, T_max=steps)
    inputs, targets = Tensor(x), y[:, None]
    for _ in range(steps):
        optimizer.zero_grad()
        (0.5 * F.mse_loss(model(inputs), targets)).backward()
        optimizer.step()
        scheduler.step()
    return model.weight.data.ravel().copy()


def references(x: np.ndarray, y: np.ndarray, weight_decay: float) -> dict[str, np.ndarray]:
    """The three solutions to compare with: least squares, ridge (α = nλ), box |θ_i| ≤ 1/λ."""
    from scipy.optimize import lsq_linear
    from sklearn.linear_model import Ridge

    bound = 1 / weight_decay
    ridge = Ridge(alpha=len(y) * weight_decay, fit_intercept=False).fit(x, y).coef_
    box = lsq_linear(x, y, bounds=(-bound, bound), method="bvls", tol=1e-15).x
    return {"ls": np.linalg.lstsq(x, y, rcond=None)[0], "ridge": ridge, "box": box}


def run(config: Config) -> dict[str, Any]:
    """The final θ, the references, and ‖θ − ridge‖_∞, ‖θ − box‖_∞."""
    x, y = least_squares(config["problem"], config["seed"])
    theta = fit(x, y, config["optimizer"], weight_decay=config["weight_decay"], lr=config["lr"],
                steps=config["steps"], seed=config["seed"])
    refs = references(x, y, config["weight_decay"])
    return {"theta": theta.tolist(), **{k: v.tolist() for k, v in refs.items()},
            "to_ridge": float(np.max(np.abs(theta - refs["ridge"]))),
            "to_box": float(np.max(np.abs(theta - refs["box"])))}


def summarize(settings: Settings, store: RunStore) -> dict[str, Any]:
    """A row per (problem, λ) with both optimizers' distances to both references, and the
    coefficient vectors for the plot."""
    rows = []
    cfgs = configs(settings, store)
    for adam_config, adamw_config in zip(cfgs[::2], cfgs[1::2]):
        adam, adamw = store.metrics(adam_config), store.metrics(adamw_config)
        bound = 1 / adam_config["weight_decay"]
        rows.append({
            "problem": adam_config["problem"], "weight_decay": adam_config["weight_decay"],
            "bound": bound, "n_coefficients": len(adam["box"]),
            "n_active": int(np.sum(np.abs(adam["box"]) >= bound * (1 - 1e-9))),
            "n_ls_outside": int(np.sum(np.abs(adam["ls"]) > bound)),
            "adam_l2_to_ridge": adam["to_ridge"], "adam_l2_to_box": adam["to_box"],
            "adamw_to_box": adamw["to_box"], "adamw_to_ridge": adamw["to_ridge"],
            "coefficients": {"Adam+L2": adam["theta"], "AdamW": adamw["theta"],
                             "ridge": adam["ridge"], "box": adam["box"], "least squares": adam["ls"]},
        })
    return {"rows": rows, "steps": steps(settings), "lr": LR}
