"""The metrics ``fit`` and ``evaluate`` report: accuracy for classifiers, R² for regressors.

    from minigrad.metrics import score
    score(logits, labels)              # accuracy: the arg-max of each row against its label
    score(predictions, targets, "r2")  # R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)², per column, averaged

``metric_name`` picks the metric a run reports, from its loss (or, without one, its targets).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

import models
from minigrad import Tensor
from minigrad.tensor import as_numbers

LossFn = Callable[[Tensor, np.ndarray], Tensor]


def metric_name(targets: np.ndarray, loss_fn: LossFn | None = None) -> str:
    """"accuracy" for ``CrossEntropyLoss`` and ``BCEWithLogitsLoss``, "r2" for ``MSELoss``
    (integer targets included: a regression on counts); for any other loss or none,
    "accuracy" for integer class labels and "r2" for float targets."""
    if isinstance(loss_fn, (models.CrossEntropyLoss, models.BCEWithLogitsLoss)):
        return "accuracy"
    if isinstance(loss_fn, models.MSELoss):
        return "r2"
    return "accuracy" if np.asarray(targets).dtype.kind in "iub" else "r2"


def score(outputs: np.ndarray, targets: np.ndarray, metric: str | None = None) -> float:
    """``metric`` ("accuracy" or "r2"; by default ``metric_name(targets)``) of ``outputs``.

    - accuracy: with several output columns and one label per row, the arg-max of the logits
      against the labels; otherwise, entry by entry, logit > 0 against target > 0.5 (a single
      binary logit, or several independent ones);
    - R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² per output column, averaged over the columns.

    Outputs and targets must have the same shape, except that a 1-D array of N values counts
    as the single column (N, 1) (so (N,) targets go with a model's (N, 1) outputs); any other
    difference raises a ValueError. Outputs that are not all finite (a diverged model) score NaN;
    targets must be finite.
    """
    outputs, targets = as_numbers(outputs, None, "score's outputs"), as_numbers(targets, None, "score's targets")
    metric = metric_name(targets) if metric is None else metric
    if outputs.size == 0 or targets.size == 0 or outputs.ndim == 0 or targets.ndim == 0:
        raise ValueError(f"{metric} needs at least one row, got outputs of shape {outputs.shape} "
                         f"and targets of shape {targets.shape} (a single value has no rows: pass [value])")
    check_finite(np.atleast_1d(targets), "score's targets")
    if metric == "accuracy":
        value = _accuracy(outputs, targets)
    elif metric == "r2":
        value = _r2(*_as_columns(outputs, targets))
    else:
        raise ValueError(f"unknown metric {metric!r}; known: accuracy, r2")
    return value if np.isfinite(outputs).all() else math.nan


def _as_columns(outputs: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``outputs`` and ``targets`` with a 1-D array of N values made the column (N, 1); their
    shapes must then be equal."""
    columns = [a.reshape(len(a), 1) if a.ndim == 1 else a for a in (outputs, targets)]
    if columns[0].shape != columns[1].shape:
        raise ValueError(
            f"outputs of shape {outputs.shape} and targets of shape {targets.shape} do not match: "
            f"they need the same shape (a 1-D array of N values counts as shape (N, 1))"
        )
    return columns[0], columns[1]


def _accuracy(outputs: np.ndarray, targets: np.ndarray) -> float:
    """The arg-max of several logits against one label per row, or else logit > 0 against
    target > 0.5 entry by entry. Labels the outputs cannot give (a class without a column, a
    binary target outside [0, 1]) raise a ValueError, as the losses do."""
    if outputs.ndim == 2 and outputs.shape[1] > 1 and targets.size == len(outputs):
        labels, classes = targets.reshape(-1), outputs.shape[1]
        if not np.all((labels >= 0) & (labels < classes) & (labels == np.round(labels))):
            raise ValueError(f"accuracy needs class labels 0 to {classes - 1} for {classes} output columns; "
                             f"got labels from {labels.min()} to {labels.max()}")
        return float(np.mean(outputs.argmax(axis=1) == labels))
    logits, labels = _as_columns(outputs, targets)
    if not np.all((labels >= 0) & (labels <= 1)):
        raise ValueError(f"accuracy of single logits needs targets in [0, 1]; got targets from "
                         f"{labels.min()} to {labels.max()}")
    return float(np.mean((logits > 0) == (labels > 0.5)))


def _r2(outputs: np.ndarray, targets: np.ndarray) -> float:
    """R² of (N, K) outputs against (N, K) targets, averaged over the K columns."""
    residual = ((targets - outputs) ** 2).sum(axis=0)
    total = ((targets - targets.mean(axis=0)) ** 2).sum(axis=0)
    # Constant targets leave R² undefined; as scikit-learn does, a perfect fit counts 1, else 0.
    safe_total = np.where(total > 0, total, 1)
    r2 = np.where(total > 0, 1 - residual / safe_total, np.where(residual == 0, 1.0, 0.0))
    return float(np.mean(r2))


def check_finite(values: np.ndarray, what: str) -> None:
    """No NaN or ±∞ in ``values`` (rows of data), or a ValueError naming the first row with one.
    (Training on it would only report a diverged loss, and a metric would take it as a number.)"""
    if values.dtype.kind != "f":
        return
    bad_rows = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
    if bad_rows.any():
        narrow = "" if values.dtype.itemsize >= 8 else (
            f"; the model computes in {values.dtype}, where a number beyond ±{np.finfo(values.dtype).max:.3g} "
            f"is infinite")
        raise ValueError(f"{what} holds NaN or infinite values, first in row {int(bad_rows.argmax())}{narrow}")
