"""Models, optimizers and learning-rate schedules by name: the choices of ``examples/train.py``
and of the scikit-learn estimators (``models.estimators``), and a plot of a training History.

    model = build_model("mlp", data, hidden=(128, 128), seed=0)
    optimizer = build_optimizer("adamw", model, lr=1e-3, weight_decay=1e-2)
    scheduler = build_scheduler("warmup-cosine", optimizer, epochs=30)
"""

from __future__ import annotations

import math
import os
from functools import partial
from typing import Any, Iterable

import models
import optim
from minigrad.checks import is_int
from minigrad.data import Dataset
from minigrad.files import save_figure
from minigrad.train import History
from models.module import Module
from optim.lr_scheduler import LRScheduler
from optim.optimizer import Optimizer

# Name → (class, learning rate used when none is given, other settings).
OPTIMIZERS: dict[str, tuple[type[Optimizer], float, dict[str, Any]]] = {
    "sgd": (optim.SGD, 1e-2, {"momentum": 0.9}),
    "adagrad": (optim.Adagrad, 1e-2, {}),
    "rmsprop": (optim.RMSprop, 1e-3, {}),
    "adam": (optim.Adam, 1e-3, {}),
    "adamw": (optim.AdamW, 1e-3, {}),
    "nadam": (optim.NAdam, 2e-3, {}),
    "adamax": (optim.Adamax, 2e-3, {}),
    "radam": (optim.RAdam, 1e-3, {}),
    "lion": (optim.Lion, 1e-4, {}),
    "muon": (optim.Muon, 2e-2, {}),
}
SCHEDULES = ("constant", "step", "cosine", "warmup-cosine", "sgdr")


def build_model(kind: str, data: Dataset, hidden: Iterable[int] = (128,), seed: int = 0) -> Module:
    """An ``MLP`` with the given hidden widths, or the linear model of the task
    (``LogisticRegression`` or ``LinearRegression``), sized for ``data``."""
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a minigrad.data.Dataset (from load_dataset), got {type(data).__name__}")
    if kind == "mlp":
        return models.MLP(data.n_features, hidden, data.n_outputs, rng=seed)
    if kind == "linear" and data.task == "classification":
        return models.LogisticRegression(data.n_features, data.n_classes, rng=seed)
    if kind == "linear":
        return models.LinearRegression(data.n_features, data.n_outputs, rng=seed)
    raise ValueError(f"unknown model {kind!r}; known: mlp, linear")


def loss_for(task: str) -> Module:
    """Cross-entropy for classification, mean squared error for regression."""
    losses = {"classification": models.CrossEntropyLoss, "regression": models.MSELoss}
    if task not in losses:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(losses)}")
    return losses[task]()


def build_optimizer(name: str, model: Module, lr: float | None = None, weight_decay: float = 0.0) -> Optimizer:
    """Optimizer ``name`` (a key of ``OPTIMIZERS``) over ``model``'s parameters, with
    ``weight_decay`` on the weights only (the biases are in a group without decay).

    Muon takes matrices only: with "muon", every parameter that is not 2-D (the biases) is in a
    ``use_muon=False`` group, updated by AdamW at AdamW's recipe rate (1e-3, scaled by the same
    schedule); ``lr`` is Muon's rate for the matrices."""
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")
    cls, default_lr, settings = OPTIMIZERS[name]
    groups = models.param_groups(model, weight_decay)
    if cls is optim.Muon:
        groups = [part for group in groups for part in _split_off_non_matrices(group)]
    return cls(groups, lr=default_lr if lr is None else lr, weight_decay=weight_decay, **settings)


def _split_off_non_matrices(group: dict[str, Any]) -> list[dict[str, Any]]:
    """``group`` as a Muon group of its 2-D parameters and an AdamW group of the others
    (leaving out a part that would be empty)."""
    matrices = [p for p in group["params"] if p.ndim == 2]
    others = [p for p in group["params"] if p.ndim != 2]
    parts = [{**group, "params": matrices},
             {**group, "params": others, "use_muon": False, "lr": OPTIMIZERS["adamw"][1]}]
    return [part for part in parts if part["params"]]


def _step_factor(epoch: int, epochs: int) -> float:
    """The "step" schedule's factor: 1, then 0.1 from the first epoch of the second third of
    ``epochs``, then 0.01 from the first of the last third. (A module-level function, so that
    an estimator holding the scheduler can be pickled.)"""
    return 0.1 ** min(2, 3 * epoch // epochs)


def sgdr_periods(epochs: int) -> tuple[int, ...]:
    """The cycle lengths of the "sgdr" schedule over ``epochs``: three cycles in the proportion
    1 : 2 : 4 (two, 1 : 2, below 7 epochs; one below 3), each rounded to whole epochs at its
    end so that they add up to ``epochs`` exactly."""
    if not is_int(epochs, 1):
        raise ValueError(f"sgdr needs a positive whole number of epochs, got {epochs!r}")
    cycles = min(3, (epochs + 1).bit_length() - 1)  # the most with 2**cycles - 1 <= epochs
    units = 2**cycles - 1
    ends = [(2 * epochs * (2**i - 1) + units) // (2 * units) for i in range(cycles + 1)]  # rounded half up
    return tuple(end - start for start, end in zip(ends, ends[1:]))


def _sgdr_factor(epoch: int, periods: tuple[int, ...]) -> float:
    """The "sgdr" schedule's factor: ½(1 + cos(π·t/T)) in a cycle of T epochs, t epochs after it
    began; the cycles are ``periods``, then (for epochs past them) each twice the one before.
    (A module-level function, so that an estimator holding the scheduler can be pickled.)"""
    start, period, index = 0, periods[0], 0
    while epoch >= start + period:
        start, index = start + period, index + 1
        period = periods[index] if index < len(periods) else 2 * period
    return 0.5 * (1 + math.cos(math.pi * (epoch - start) / period))


def build_scheduler(name: str, optimizer: Optimizer, epochs: int) -> LRScheduler | None:
    """The learning-rate schedule ``name`` (one of ``SCHEDULES``) over ``epochs`` epochs:

    - constant: none;  step: ×0.1 after each third of the run;  cosine: from γ₀ to 0;
    - warmup-cosine: linear warm-up over the first tenth (at least one epoch), then cosine;
      it needs epochs >= 2 (ValueError otherwise);
    - sgdr: cosine with warm restarts, from γ₀ towards 0 in each of three cycles of T, 2T and 4T
      epochs, T = epochs/7, rounded so that the cycles end exactly at the last epoch (two
      cycles T, 2T with T = epochs/3 below 7 epochs, one below 3): see ``sgdr_periods``.
    """
    lr_scheduler = optim.lr_scheduler
    if not is_int(epochs, 1):  # (the schedules divide the run by its length)
        raise ValueError(f"a schedule needs epochs >= 1, got epochs={epochs!r}")
    if name == "constant":
        return None
    if name == "step":
        return lr_scheduler.LambdaLR(optimizer, partial(_step_factor, epochs=epochs))
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    if name == "warmup-cosine":
        if epochs < 2:
            raise ValueError(f"warmup-cosine needs epochs >= 2 (one of warm-up, then the cosine), got epochs={epochs}")
        return lr_scheduler.warmup_cosine(optimizer, max(1, epochs // 10), epochs)
    if name == "sgdr":
        return lr_scheduler.LambdaLR(optimizer, partial(_sgdr_factor, periods=sgdr_periods(epochs)))
    raise ValueError(f"unknown schedule {name!r}; known: {', '.join(SCHEDULES)}")


def plot_history(history: History, path: str | os.PathLike[str]) -> bool:
    """Save the loss curves and the validation metric to an image at ``path`` (atomically); returns
    False (and writes nothing) when matplotlib is not installed."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return False
    figure = Figure(figsize=(10, 4), layout="tight")
    left, right = figure.subplots(1, 2)
    left.plot(history.epoch, history.train_loss, label="train")
    if history.val_loss:
        left.plot(history.epoch, history.val_loss, label="validation")
        right.plot(history.epoch, history.val_metric, color="tab:green")
    left.set(xlabel="epoch", ylabel="loss", yscale="log", title="loss")
    left.legend()
    right.set(xlabel="epoch", ylabel=history.metric, title=f"validation {history.metric}")
    save_figure(figure, path, dpi=120)
    return True
