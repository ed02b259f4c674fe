"""Losses as modules: each keeps its ``reduction`` and calls the fused op in minigrad.functional."""

from __future__ import annotations

from typing import Any

import minigrad.functional as F
from minigrad import Tensor
from models.module import Module


class _Loss(Module):
    """A loss with a ``reduction``: "mean" (default), "sum", or "none" (per element)."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F.check_reduction(reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error: mean of (prediction - target)² (their sum, or each, with ``reduction``
    "sum" or "none"); the shapes must match exactly."""

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.mse_loss(prediction, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits (N, C) against integer classes (N,):
    mean over i of logsumexp(zᵢ) - zᵢ[yᵢ] (the sum, or each, with ``reduction`` "sum" or "none")."""

    def forward(self, logits: Tensor, targets: Any) -> Tensor:
        return F.cross_entropy(logits, targets, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy from logits x against targets y in [0, 1]:
    mean of -[y·log σ(x) + (1-y)·log(1-σ(x))] (the sum, or each, with ``reduction`` "sum" or
    "none"), computed stably from x."""

    def forward(self, logits: Tensor, targets: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(logits, targets, self.reduction)
