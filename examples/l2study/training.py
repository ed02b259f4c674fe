"""Training a small MLP on the digits, the way every MLP part of the study does it.

Three optimizers are compared, each given the same (lr, λ):

- ``"adam"``: Adam without any decay;
- ``"adam_l2"``: ``Adam(weight_decay=λ)``, i.e. coupled L2: g ← g + λθ before the moments;
- ``"adamw"``: ``AdamW(weight_decay=λ)``, decoupled: θ ← θ(1 − γλ) before the Adam step.

Only the weight matrices are decayed (``models.param_groups``), never the biases; the "weight
norm" is ‖W‖ = √(Σ over layers of ‖W_l‖²_F), the quantity the decay acts on.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import minigrad.functional as F
import models
import optim
from l2study.data import TEST_FRACTION, VAL_FRACTION, digits
from l2study.runs import Config, RunStore
from l2study.settings import Settings
from minigrad import Tensor
from minigrad.data import Dataset, batches
from minigrad.train import evaluate
from optim.lr_scheduler import CosineAnnealingLR

OPTIMIZERS = ("adam", "adam_l2", "adamw")
LABELS = {"adam": "Adam (no decay)", "adam_l2": "Adam+L2", "adamw": "AdamW"}


def make_optimizer(kind: str, model: models.Module, lr: float, weight_decay: float) -> optim.Optimizer:
    """The optimizer ``kind`` (one of ``OPTIMIZERS``) over ``model``, decaying its weights only."""
    if kind not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {kind!r}; expected one of {OPTIMIZERS}")
    decay = 0.0 if kind == "adam" else weight_decay
    groups = models.param_groups(model, decay)
    return optim.AdamW(groups, lr=lr) if kind == "adamw" else optim.Adam(groups, lr=lr)


def weights(model: models.Module) -> list[models.Parameter]:
    """The decayed parameters: every weight matrix, no bias."""
    return [p for name, p in model.named_parameters() if name.endswith("weight")]


def weight_norm(model: models.Module) -> float:
    """‖W‖ = √(Σ_l ‖W_l‖²_F) over the weight matrices."""
    return float(np.sqrt(sum(np.sum(w.data**2) for w in weights(model))))


def accuracy(model: models.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose largest logit is the true class (measured by ``evaluate``: in eval
    mode, without recording a graph)."""
    return evaluate(model, (x, y))["accuracy"]


def make_mlp(data: Dataset, hidden: int, seed: int) -> models.MLP:
    """MLP(n_features → hidden → n_classes), ReLU, float64, initialised from ``seed``."""
    return models.MLP(data.n_features, (hidden,), data.n_outputs, rng=seed, dtype=np.float64)


def train_classifier(model: models.Module, optimizer: optim.Optimizer, data: Dataset, *,
                     epochs: int, batch_size: int, seed: int, cosine: bool = True,
                     step: Callable[[], None] | None = None) -> dict[str, Any]:
    """Minibatch training on softmax cross-entropy; the batches are reshuffled every epoch.

    ``cosine``: the learning rate follows γ_e = γ_0·(1 + cos(πe/epochs))/2, stepped once per
    epoch. ``step`` replaces ``optimizer.step`` (it must call it): part 3 wraps the step to
    watch it. Returns the final validation, test and train accuracy, the last epoch's mean training
    loss (per row: the batch means weighted by batch size, as ``fit``'s History has it), and ‖W‖ at
    the start and after every epoch (``weight_norms``, epochs + 1 numbers).
    """
    step = optimizer.step if step is None else step
    scheduler = CosineAnnealingLR(optimizer, T_max=epochs) if cosine else None
    rng = np.random.default_rng((seed, 1))  # a stream apart from the one that drew the weights
    norms = [weight_norm(model)]
    for _ in range(epochs):
        losses, sizes = [], []
        for xb, yb in batches(data.X_train, data.y_train, batch_size, rng=rng):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(Tensor(xb)), yb)
            loss.backward()
            step()
            losses.append(loss.item())
            sizes.append(len(yb))
        if scheduler is not None:
            scheduler.step()
        norms.append(weight_norm(model))
    return {
        "val_accuracy": accuracy(model, data.X_val, data.y_val),
        "test_accuracy": accuracy(model, data.X_test, data.y_test),
        "train_accuracy": accuracy(model, data.X_train, data.y_train),
        "train_loss": float(np.average(losses, weights=sizes)),
        "weight_norms": norms,
    }


def mlp_shape(settings: Settings) -> dict[str, Any]:
    """The MLP, its training length and the data split, shared by every MLP part (so equal runs
    are shared; runs recorded with another split are not mistaken for these)."""
    split = {"test_size": TEST_FRACTION, "val_size": VAL_FRACTION}
    if settings.quick:
        return {"hidden": 32, "epochs": 4, "batch_size": 64, **split}
    return {"hidden": 64, "epochs": 20, "batch_size": 64, **split}


def mlp_configs(settings: Settings, kind: str, lr: float, weight_decay: float) -> list[Config]:
    """One MLP run of optimizer ``kind`` at (lr, λ) per seed of ``settings``."""
    return [{"kind": "mlp", "optimizer": kind, "lr": lr, "weight_decay": weight_decay,
             "seed": seed, **mlp_shape(settings)} for seed in settings.seed_list]


def _mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def over_seeds(store: RunStore, configs: list[Config]) -> dict[str, Any]:
    """Mean ± std over the seeds of ``configs`` (the runs of one setting): test accuracy,
    final ‖W‖, ‖W‖ relative to its start, and the mean ‖W‖ after each epoch; and the mean
    validation accuracy, on which settings are chosen."""
    runs = [store.metrics(config) for config in configs]
    accuracy, accuracy_std = _mean_std([r["test_accuracy"] for r in runs])
    val_accuracy, val_accuracy_std = _mean_std([r["val_accuracy"] for r in runs])
    norm, norm_std = _mean_std([r["weight_norms"][-1] for r in runs])
    ratio, _ = _mean_std([r["weight_norms"][-1] / r["weight_norms"][0] for r in runs])
    return {"accuracy": accuracy, "accuracy_std": accuracy_std, "val_accuracy": val_accuracy,
            "val_accuracy_std": val_accuracy_std, "norm": norm, "norm_std": norm_std,
            "norm_ratio": ratio, "norms": np.mean([r["weight_norms"] for r in runs], axis=0).tolist()}


def run_mlp(config: dict[str, Any]) -> dict[str, Any]:
    """One MLP run on the digits: ``config`` holds optimizer, lr, weight_decay, seed, hidden,
    epochs and batch_size; the seed fixes the split, the initial weights and the batches."""
    data = digits(config["seed"])
    model = make_mlp(data, config["hidden"], config["seed"])
    optimizer = make_optimizer(config["optimizer"], model, config["lr"], config["weight_decay"])
    return train_classifier(model, optimizer, data, epochs=config["epochs"],
                            batch_size=config["batch_size"], seed=config["seed"])
