"""Part 6: the weight norm ‖W‖ over training, each optimizer at its best setting.

Adam without decay is run at every learning rate of the grid and taken at its best; Adam+L2
and AdamW are taken at their best grid cells (part 4). If the grid has not been run, these two
fall back to ``DEFAULTS``, and the report says so. The norms after every epoch are recorded by
every MLP run, so the grid's runs are reused as they are.
"""

from __future__ import annotations

from typing import Any

from l2study import grid
from l2study.runs import Config, RunStore
from l2study.settings import Settings
from l2study.training import mlp_configs, over_seeds

NAME = "weight-norm"
TITLE = "6. Weight norm over training"
DEFAULTS = {"adam_l2": (1e-2, 1e-4), "adamw": (1e-2, 1e-1)}


def chosen(settings: Settings, store: RunStore) -> tuple[dict[str, tuple[float, float]], bool]:
    """(lr, λ) of Adam+L2 and AdamW, and whether they come from the grid."""
    if grid.complete(settings, store):
        return grid.best_cells(settings, store), True
    return dict(DEFAULTS), False


def adam_configs(settings: Settings) -> dict[float, list[Config]]:
    """Adam without decay at every learning rate of the grid."""
    lrs, _ = grid.axes(settings)
    return {lr: mlp_configs(settings, "adam", lr, 0.0) for lr in lrs}


def configs(settings: Settings, store: RunStore) -> list[Config]:
    settings_by_kind, _ = chosen(settings, store)
    runs = [config for group in adam_configs(settings).values() for config in group]
    for kind, (lr, wd) in settings_by_kind.items():
        runs += mlp_configs(settings, kind, lr, wd)
    return runs


def summarize(settings: Settings, store: RunStore) -> dict[str, Any]:
    """Each optimizer's setting, seed statistics and mean ‖W‖ per epoch; and Adam without decay
    at the learning rate of each decayed setting."""
    adam = {lr: over_seeds(store, runs) for lr, runs in adam_configs(settings).items()}
    adam_lr = max(adam, key=lambda lr: adam[lr]["val_accuracy"])  # chosen on validation rows
    settings_by_kind, from_grid = chosen(settings, store)
    curves = {"adam": {"lr": adam_lr, "weight_decay": 0.0, **adam[adam_lr]}}
    for kind, (lr, wd) in settings_by_kind.items():
        runs = mlp_configs(settings, kind, lr, wd)
        curves[kind] = {"lr": lr, "weight_decay": wd, **over_seeds(store, runs)}
    # Without decay at the learning rates of the decayed settings: what the decay held back.
    undecayed = {kind: {"lr": lr, **adam[lr]} for kind, (lr, _) in settings_by_kind.items()}
    return {"from_grid": from_grid, "curves": curves, "undecayed": undecayed}
