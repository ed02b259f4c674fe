"""Functions of tensors that are not methods: activations, softmax family, losses, and the
tensor-combining functions re-exported at the package top (concatenate, stack, where, ...)."""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Sequence

import numpy as np

from minigrad import ops
from minigrad.tensor import Tensor, as_numbers

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str) -> None:
    """Raise unless ``reduction`` is one of ``REDUCTIONS``."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _constant(x: Any, what: str) -> np.ndarray:
    """``x`` (a Tensor, array, list or number) as a numeric array of its own dtype; anything
    else (None, text) is a TypeError naming ``what``."""
    return x.data if isinstance(x, Tensor) else as_numbers(x, None, what)


def _check_tensor(loss: str, name: str, x: Any) -> None:
    """A loss differentiates its first argument: it must be a Tensor, not a list or array."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{loss}: {name} must be a Tensor (the output of a model), got {type(x).__name__}")


# ------------------------------------------------------------------------------ activations
def relu(x: Tensor) -> Tensor:
    """max(x, 0);  gradient g where x > 0, else 0."""
    return ops.ReLU.apply(x)


def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e⁻ˣ), stable for any |x|;  gradient g·σ(x)·(1 − σ(x))."""
    return ops.Sigmoid.apply(x)


def tanh(x: Tensor) -> Tensor:
    """(eˣ - e⁻ˣ) / (eˣ + e⁻ˣ);  gradient g·(1 − tanh²x)."""
    return ops.Tanh.apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope·x otherwise;  gradient g, or negative_slope·g."""
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
        raise TypeError(f"leaky_relu: negative_slope must be a number, got {negative_slope!r}")
    if not math.isfinite(negative_slope):
        raise ValueError(f"leaky_relu: negative_slope must be finite, got {negative_slope!r}")
    return ops.LeakyReLU.apply(x, negative_slope=negative_slope)


def gelu(x: Tensor) -> Tensor:
    """x·Φ(x), Φ the standard normal CDF (the exact form, PyTorch's default);  gradient
    g·(Φ(x) + x·φ(x)), φ the normal density."""
    return ops.GELU.apply(x)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weightᵀ + bias, with weight of shape (out, in): one fused graph node."""
    return _affine(ops.Linear, x, weight, bias)


def linear_relu(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """relu(x @ weightᵀ + bias) as one fused graph node (the ReLU done in place): the same
    numbers as ``relu(linear(x, weight, bias))``, with one node and one array fewer."""
    return _affine(ops.LinearReLU, x, weight, bias)


def _affine(op: type[ops.Linear], x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``op`` applied to x, weight and, when there is one, bias."""
    return op.apply(x, weight) if bias is None else op.apply(x, weight, bias)


# --------------------------------------------------------------------------- softmax family
def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """e^x / Σ e^x along ``axis``, computed after subtracting the max (stable at |x| = 1e4)."""
    return ops.Softmax.apply(x, axis=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis`` (stable)."""
    return ops.LogSoftmax.apply(x, axis=axis)


def logsumexp(x: Tensor, axis: int | Sequence[int] | None = -1, keepdims: bool = False) -> Tensor:
    """log Σ e^x over ``axis``, as max + log Σ e^(x - max) (stable)."""
    return ops.LogSumExp.apply(x, axis=axis, keepdims=keepdims)


# ------------------------------------------------------------------------------------ losses
def cross_entropy(logits: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of logits (N, C) against integer class targets (N,), fused.

    lossᵢ = logsumexp(logitsᵢ) - logitsᵢ[targetsᵢ], with gradient softmax(logitsᵢ) - onehot(targetsᵢ);
    ``reduction`` "mean" (the default) averages the lossᵢ (and divides the gradient by N),
    "sum" adds them, "none" returns them all.
    """
    check_reduction(reduction)
    _check_tensor("cross_entropy", "logits", logits)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy expects logits of shape (N, C), got {logits.shape}")
    t = _constant(targets, "cross_entropy targets")
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy targets must be integer class indices, got dtype {t.dtype} "
            f"(pass a numpy integer array, e.g. y.astype(int))"
        )
    n, classes = logits.shape
    if classes == 0:
        raise ValueError(f"cross_entropy needs at least one class, got logits of shape {logits.shape}")
    if t.shape != (n,):
        raise ValueError(f"cross_entropy targets must have shape ({n},), got {t.shape}")
    index = t.astype(np.intp, copy=False)
    # One test for both ends: read as unsigned, a negative index is larger than any class.
    if n and np.maximum.reduce(index.view(np.uintp)) >= classes:
        raise ValueError(
            f"cross_entropy targets must lie in [0, {classes}) for {classes} classes; "
            f"got values from {t.min()} to {t.max()}"
        )
    return ops.CrossEntropy.apply(logits, targets=index, reduction=reduction)


def binary_cross_entropy_with_logits(logits: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """-[y·log σ(x) + (1-y)·log(1-σ(x))] from logits x, stable for any |x|; y in [0, 1]. Averaged
    over all elements ("mean", the default), added up ("sum"), or per element ("none");
    gradient (σ(x) − y)·g, divided by the number of elements for "mean"."""
    check_reduction(reduction)
    _check_tensor("binary_cross_entropy_with_logits", "logits", logits)
    if isinstance(targets, Tensor) and targets.requires_grad:
        raise ValueError(
            "binary_cross_entropy_with_logits treats its targets as constants and would drop "
            "their gradient; pass targets.detach()"
        )
    y = _constant(targets, "binary_cross_entropy_with_logits targets")
    if y.shape != logits.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: targets of shape {y.shape} do not match "
            f"logits of shape {logits.shape}"
        )
    if y.size and not (y.min() >= 0 and y.max() <= 1):  # (NaN fails this too)
        raise ValueError(f"binary cross-entropy targets must lie in [0, 1], got {y.min()}..{y.max()}")
    return ops.BCEWithLogits.apply(logits, targets=y.astype(logits.dtype), reduction=reduction)


def mse_loss(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error (prediction - target)², averaged over all elements ("mean", the default),
    added up ("sum"), or per element ("none"); gradient 2·(prediction − target)·g, divided by
    the number of elements for "mean".

    The shapes must match exactly: a prediction of shape (N, 1) against a target of shape (N,)
    would broadcast to (N, N) and give a silently wrong loss.
    """
    check_reduction(reduction)
    _check_tensor("mse_loss", "prediction", prediction)
    values = _constant(target, "mse_loss target")
    if not (isinstance(target, Tensor) and target.requires_grad):
        # data, not a graph input: in the prediction's dtype, so float32 stays float32
        target = values.astype(prediction.dtype, copy=False)
    if prediction.shape != values.shape:
        raise ValueError(
            f"mse_loss: prediction shape {prediction.shape} and target shape {values.shape} "
            f"differ (they would broadcast into a wrong loss); reshape one of them"
        )
    diff = prediction - target
    squared = diff * diff
    if reduction == "none":
        return squared
    return squared.mean() if reduction == "mean" else squared.sum()


# ---------------------------------------------------------------- combining several tensors
def concatenate(tensors: Iterable[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    return ops.Concatenate.apply(*_operands("concatenate", tensors), axis=axis)


def stack(tensors: Iterable[Tensor], axis: int = 0) -> Tensor:
    """Join tensors of equal shape along a new axis."""
    return ops.Stack.apply(*_operands("stack", tensors), axis=axis)


def _operands(name: str, tensors: Any) -> list[Any]:
    """The tensors that ``name`` joins, from a list or any other iterable of them (not from one
    Tensor or array: iterating it would join its rows)."""
    if isinstance(tensors, (Tensor, np.ndarray)) or not isinstance(tensors, Iterable):
        raise TypeError(f"{name} takes a list (or other sequence) of Tensors, got a {type(tensors).__name__}")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{name} needs at least one tensor")
    return tensors


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise a where condition is true, else b (condition: a boolean array, or values
    read as true where nonzero)."""
    cond = _constant(condition, "where()'s condition").astype(bool, copy=False)
    return ops.Where.apply(a, b, cond=cond)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max; at ties each side gets half the gradient."""
    return ops.Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min; at ties each side gets half the gradient."""
    return ops.Minimum.apply(a, b)
