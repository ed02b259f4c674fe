"""Part 4: learning rate × weight decay grids for Adam+L2 and AdamW (MLP on the digits).

Every cell is trained with the same recipe (cosine schedule, ``training.mlp_shape``) for each
seed; we keep the mean and standard deviation of the test accuracy and of the final weight
norm. The same cells are also shown in the AdamW paper's parameterization, where the decay per
step is λ_p = γ·λ (PyTorch's ``weight_decay`` λ multiplies the learning rate; the paper's λ, in
its Algorithm 2, does not). A cell is at (γ, λ) in one view and at (γ, γλ) in the other. λ_p is
not the paper's *normalized* weight decay λ_norm = λ_p/√(b/(BT)) (b the batch size, B the
number of training points, T the epochs); those are the same in every cell, so λ_norm is
proportional to λ_p and its slopes are the same.

Whether lr and λ are coupled shows in how the best λ moves with the learning rate: if the best
λ falls by one decade per decade of γ (log-log slope −1), the product γλ is what matters, and
the best cells form a diagonal in PyTorch's parameterization and a horizontal line in the
paper's; a slope near 0 is the reverse. A row whose good λ reach the first or last λ of the
grid says nothing about that slope: its good λ may go on beyond the grid, so their centre is
set by where the grid ends. Such rows are left out of the slope, and with fewer than
``MIN_ROWS`` rows left the slope is not measured at all.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from l2study.runs import Config, RunStore
from l2study.settings import Settings
from l2study.training import mlp_configs, mlp_shape, over_seeds

NAME = "grid"
TITLE = "4. Learning rate × weight decay grids"
OPTIMIZERS = ("adam_l2", "adamw")
MIN_ROWS = 3  # rows with their good λ inside the grid that a slope needs


def axes(settings: Settings) -> tuple[tuple[float, ...], dict[str, tuple[float, ...]]]:
    """The learning rates, and each optimizer's weight decays: the same numeric λ means a much
    stronger decay in Adam+L2 than in AdamW (part 5), so each gets the five decades around
    where it acts, as the paper's Figure 2 gives each its own axis."""
    if settings.quick:
        return (3e-3, 1e-2, 3e-2), {"adam_l2": (1e-4, 1e-2, 1.0), "adamw": (1e-2, 1.0, 10.0)}
    return (1e-3, 3e-3, 1e-2, 3e-2, 1e-1), {"adam_l2": (1e-5, 1e-4, 1e-3, 1e-2, 1e-1),
                                            "adamw": (1e-3, 1e-2, 1e-1, 1.0, 10.0)}


def cell_configs(settings: Settings) -> dict[tuple[str, float, float], list[Config]]:
    """(optimizer, lr, λ) → the runs of that cell, one per seed."""
    lrs, wds = axes(settings)
    return {(kind, lr, wd): mlp_configs(settings, kind, lr, wd)
            for kind in OPTIMIZERS for lr in lrs for wd in wds[kind]}


def configs(settings: Settings, store: RunStore) -> list[Config]:
    return [config for runs in cell_configs(settings).values() for config in runs]


def complete(settings: Settings, store: RunStore) -> bool:
    """Whether every run of the grid is recorded."""
    return not store.pending(configs(settings, store))


def best_cells(settings: Settings, store: RunStore) -> dict[str, tuple[float, float]]:
    """Optimizer → the (lr, λ) of its highest mean validation accuracy (the first one on ties).
    Chosen on the validation rows, so that the test accuracy reported for it is not the
    maximum of many noisy test scores."""
    best: dict[str, tuple[float, tuple[float, float]]] = {}
    for (kind, lr, wd), runs in cell_configs(settings).items():
        accuracy = over_seeds(store, runs)["val_accuracy"]
        if kind not in best or accuracy > best[kind][0]:
            best[kind] = (accuracy, (lr, wd))
    return {kind: setting for kind, (_, setting) in best.items()}


def good_band(wds: list[float], accuracy: np.ndarray, accuracy_std: np.ndarray) -> list[float]:
    """The λ of one learning rate's row whose mean accuracy is within one standard deviation
    (over seeds, of the row's best cell) of the row's best: the decays that the seeds cannot
    tell apart from the best. Unlike the argmax alone, this does not depend on how ties fall."""
    top = int(np.argmax(accuracy))
    return [wd for wd, a in zip(wds, accuracy) if a >= accuracy[top] - accuracy_std[top]]


def edges(band: list[float], wds: list[float]) -> tuple[bool, bool]:
    """Whether a good band reaches the first λ of the grid, and whether it reaches the last: at
    such an end the band may go on beyond the grid."""
    return band[0] == wds[0], band[-1] == wds[-1]


def at_edge(band: list[float], wds: list[float]) -> bool:
    """Whether a good band reaches either end of the grid."""
    return any(edges(band, wds))


def band_centre(band: list[float]) -> float:
    """The geometric centre of a good band."""
    return float(10 ** np.mean(np.log10(band)))


def coupling_slope(lrs: list[float], bands: list[list[float]], wds: list[float]) -> dict[str, Any]:
    """Least-squares slope of log10(λ) against log10(γ), λ the centre of each row's good band,
    over the rows whose band stays inside the grid (``at_edge`` rows are dropped): ``slope``
    (None if fewer than ``MIN_ROWS`` rows are left), ``rows`` used and ``dropped``."""
    inside = [(lr, band_centre(band)) for lr, band in zip(lrs, bands) if not at_edge(band, wds)]
    slope = None
    if len(inside) >= MIN_ROWS:
        x, y = np.log10(inside).T
        slope = float(np.polyfit(x, y, 1)[0])
    return {"slope": slope, "rows": len(inside), "dropped": len(lrs) - len(inside)}


def summarize(settings: Settings, store: RunStore) -> dict[str, Any]:
    """Per optimizer: the mean/std tables over (lr, λ), the best cell, for each lr the best λ
    and the band of λ within one std of it, the slope of the band's (geometric) centre against
    lr in both parameterizations (None if it cannot be measured; see ``coupling_slope``), and
    how many cells are within one std of the best cell (the best cell itself included)."""
    lrs, wds_of = axes(settings)
    cells = {key: over_seeds(store, runs) for key, runs in cell_configs(settings).items()}
    best = best_cells(settings, store)
    result: dict[str, Any] = {"lrs": list(lrs), "seeds": settings.seeds, **mlp_shape(settings),
                              "optimizers": {}}
    for kind in OPTIMIZERS:
        wds = list(wds_of[kind])
        table = {name: [[cells[kind, lr, wd][name] for wd in wds] for lr in lrs]
                 for name in ("accuracy", "accuracy_std", "val_accuracy", "val_accuracy_std", "norm", "norm_std")}
        # Which λ suit each learning rate is read on the validation rows, like the best cell.
        accuracy, accuracy_std = np.array(table["val_accuracy"]), np.array(table["val_accuracy_std"])
        best_lr, best_wd = best[kind]
        top = cells[kind, best_lr, best_wd]
        bands = [good_band(wds, row, row_std) for row, row_std in zip(accuracy, accuracy_std)]
        fit = coupling_slope(list(lrs), bands, wds)
        result["optimizers"][kind] = {
            "weight_decays": wds, **table, "best": {"lr": best_lr, "weight_decay": best_wd, **top},
            "best_wd_per_lr": [wds[int(np.argmax(row))] for row in accuracy],
            "best_accuracy_per_lr": accuracy.max(axis=1).tolist(),
            "bands": bands, "slope": fit["slope"], "slope_paper": None if fit["slope"] is None else fit["slope"] + 1,
            "slope_rows": fit["rows"], "slope_dropped": fit["dropped"],
            "near_best": int(np.sum(accuracy >= top["val_accuracy"] - top["val_accuracy_std"])),
        }
    return result
