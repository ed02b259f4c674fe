"""Softmax, log-softmax and the fused, numerically stable losses built on them."""

from __future__ import annotations

import numpy as np

from minigrad.autograd import Function
from minigrad.ops.reductions import normalize_axis
from minigrad.ops.unary import stable_sigmoid


def _shifted_exp(a: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """s = a - max(a) (so no exponential overflows), eˢ, and Σ eˢ (keeping the reduced axis).
    s and eˢ are row-major (C-ordered) whatever a's layout. (The max of an empty row is −∞.)

    (``np.maximum.reduce`` is ``np.max`` without its Python-level wrapper: on the small arrays
    of a training step that wrapper costs as much as the reduction itself.)
    """
    shifted = np.subtract(a, np.maximum.reduce(a, axis=axis, keepdims=True, initial=-np.inf), order="C")
    exp = np.exp(shifted)
    return shifted, exp, np.add.reduce(exp, axis=axis, keepdims=True)


def _log_softmax(a: np.ndarray, axis: int) -> np.ndarray:
    """a - logsumexp(a) = s - log Σ eˢ. Over an empty axis there is nothing to normalise: the
    result is empty, as in PyTorch."""
    if a.shape[normalize_axis(axis, a.ndim)] == 0:
        return np.empty_like(a)
    shifted, _, total = _shifted_exp(a, axis)
    return shifted - np.log(total)


class LogSoftmax(Function):
    """out = a - log Σ_axis eᵃ;  da = g - softmax(a)·Σ_axis g."""

    def forward(self, a: np.ndarray, axis: int = -1) -> np.ndarray:
        self.axis = axis
        self.out = _log_softmax(a, axis)
        return self.out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (g - np.exp(self.out) * g.sum(axis=self.axis, keepdims=True),)


class Softmax(Function):
    """out = eᵃ / Σ_axis eᵃ;  da = out·(g - Σ_axis g·out)."""

    def forward(self, a: np.ndarray, axis: int = -1) -> np.ndarray:
        self.axis = axis
        self.out = np.exp(_log_softmax(a, axis))
        return self.out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        out = self.out
        return (out * (g - (g * out).sum(axis=self.axis, keepdims=True)),)


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return losses
    if reduction == "mean" and losses.size == 0:
        raise ValueError("the mean loss over an empty batch has no value (use reduction='sum')")
    total = np.add.reduce(losses, axis=None)
    return total / losses.size if reduction == "mean" else total


class CrossEntropy(Function):
    """Fused softmax cross-entropy with integer class targets t, logits a of shape (N, C).

    lossᵢ = -log softmax(aᵢ)[tᵢ] = logsumexp(aᵢ) - aᵢ[tᵢ]
    da = (softmax(a) - onehot(t)) · g   (divided by N for reduction="mean")

    With s = a - max(a) (so no exponential overflows), logsumexp(a) - a[t] = log Σ eˢ - s[t];
    the eˢ and Σ eˢ of the forward pass give softmax(a) = eˢ / Σ eˢ in backward for free.
    """

    def forward(self, logits: np.ndarray, targets: np.ndarray, reduction: str = "mean") -> np.ndarray:
        shifted, self.exp, self.total = _shifted_exp(logits, axis=1)
        n, classes = logits.shape
        # Position of each aᵢ[tᵢ] in the flattened (N·C) array: one 1-D gather (and, in backward,
        # one scatter) is several times cheaper than numpy's two-array fancy indexing.
        self.picked = np.arange(0, n * classes, classes) + targets
        self.reduction = reduction
        return _reduce(np.log(self.total[:, 0]) - shifted.reshape(-1)[self.picked], reduction)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        da = self.exp / self.total  # softmax (a new array: backward may run again, retain_graph)
        da.reshape(-1)[self.picked] -= 1
        if self.reduction == "none":
            da *= g[:, np.newaxis]
        elif len(da):  # (an empty batch has nothing to scale)
            # g is a 0-d array; as a Python float it scales the array without a numpy scalar
            # operation first.
            da *= float(g) / len(da) if self.reduction == "mean" else float(g)
        return (da,)


class BCEWithLogits(Function):
    """Binary cross-entropy on logits a with targets y in [0, 1], stable for any |a|:

    loss = -[y·log σ(a) + (1 - y)·log(1 - σ(a))] = max(a, 0) - a·y + log(1 + e^(-|a|))
    da = (σ(a) - y) · g   (divided by the number of elements for reduction="mean")
    """

    def forward(self, logits: np.ndarray, targets: np.ndarray, reduction: str = "mean") -> np.ndarray:
        e = np.exp(-np.abs(logits))
        self.residual = stable_sigmoid(logits, e) - targets
        self.reduction = reduction
        losses = np.maximum(logits, 0) - logits * targets + np.log1p(e)
        return _reduce(losses, reduction)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        if self.reduction == "mean":
            return (self.residual * (g / self.residual.size),)
        return (self.residual * g,)
