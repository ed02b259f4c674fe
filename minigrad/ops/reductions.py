"""Reductions over axes: sum, mean, max, min, logsumexp.

Notation: out = f(a) reduced over the axes R; g = dL/d(out). Each backward first re-inserts
the reduced axes into g (``_expand``) so that it broadcasts against a.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from minigrad.autograd import Function


def normalize_axes(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """Turn an axis argument (None, int, or tuple) into a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, (int, np.integer, tuple, list)):
        raise TypeError(f"an axis must be an integer or a tuple of integers, got {axis!r}")
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for ax in axes:
        if isinstance(ax, bool) or not isinstance(ax, (int, np.integer)):
            raise TypeError(f"an axis must be an integer, got {ax!r}")
        if not -ndim <= ax < ndim:
            raise ValueError(f"axis {ax} is out of range for a tensor with {ndim} dimensions")
        result.append(int(ax) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(result))


def normalize_axis(axis: int, ndim: int) -> int:
    """One axis (an integer, negative counting from the end) as a non-negative index."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"an axis must be an integer, got {axis!r}")
    return normalize_axes(axis, ndim)[0]


class _Reduction(Function):
    """Shared bookkeeping: check keepdims, remember the input shape and which axes were reduced."""

    def _setup(self, a, axis, keepdims):
        if keepdims is not False and keepdims is not True:  # the usual case costs two identity tests
            if not isinstance(keepdims, np.bool_):
                raise TypeError(f"keepdims must be True or False, got {keepdims!r}")
            keepdims = bool(keepdims)  # ndarray.sum and mean refuse a numpy bool
        self.shape = a.shape
        self.axes = normalize_axes(axis, a.ndim)
        self.keepdims = keepdims
        return self.axes

    def _expand(self, g):
        """g with the reduced axes put back as size-1 axes (a no-op when keepdims=True)."""
        return g if self.keepdims else np.expand_dims(g, self.axes)


class Sum(_Reduction):
    """out = Σ_R a;  da = g broadcast back over R."""

    def forward(self, a: np.ndarray, axis: int | Sequence[int] | None = None,
                keepdims: bool = False) -> np.ndarray:
        axes = self._setup(a, axis, keepdims)
        return a.sum(axis=axes, keepdims=self.keepdims)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (np.broadcast_to(self._expand(g), self.shape),)


class Mean(_Reduction):
    """out = (1/n)·Σ_R a with n the number of reduced elements;  da = g/n broadcast over R."""

    def forward(self, a: np.ndarray, axis: int | Sequence[int] | None = None,
                keepdims: bool = False) -> np.ndarray:
        axes = self._setup(a, axis, keepdims)
        self.n = int(np.prod([a.shape[i] for i in axes]))
        if self.n == 0:
            raise ValueError("mean of an empty selection")
        return a.mean(axis=axes, keepdims=self.keepdims)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (np.broadcast_to(self._expand(g) / self.n, self.shape),)


class _Extremum(_Reduction):
    """out = max_R a;  da = g·[a = out] / (number of tied entries).

    At ties the gradient is shared equally among the tied entries (as ``torch.amax`` does),
    so the total gradient still sums to g.
    """

    reduce: staticmethod

    def forward(self, a: np.ndarray, axis: int | Sequence[int] | None = None,
                keepdims: bool = False) -> np.ndarray:
        axes = self._setup(a, axis, keepdims)
        if any(a.shape[i] == 0 for i in axes):
            raise ValueError(f"{type(self).__name__.lower()} over an empty axis (shape {a.shape}) has no value")
        kept = self.reduce(a, axis=axes, keepdims=True)
        self.winners = a == kept
        self.count = self.winners.sum(axis=axes, keepdims=True).astype(a.dtype)
        return kept if self.keepdims else np.squeeze(kept, axis=axes)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (self.winners * (self._expand(g) / self.count),)


class Max(_Extremum):
    __doc__ = _Extremum.__doc__
    reduce = staticmethod(np.max)


class Min(_Extremum):
    __doc__ = _Extremum.__doc__.replace("max_R", "min_R").replace("amax", "amin")
    reduce = staticmethod(np.min)


class LogSumExp(_Reduction):
    """out = log Σ_R eᵃ, computed as m + log Σ_R e^(a - m) with m = max_R a (stable);
    da = g·e^(a - out) = g·softmax_R(a). An empty sum gives log 0 = −∞, as in PyTorch.
    """

    def forward(self, a: np.ndarray, axis: int | Sequence[int] | None = None,
                keepdims: bool = False) -> np.ndarray:
        axes = self._setup(a, axis, keepdims)
        m = np.max(a, axis=axes, keepdims=True, initial=-np.inf)
        m = np.where(np.isfinite(m), m, 0)
        self.a = a
        with np.errstate(divide="ignore"):  # log 0 = −∞: all of a is −∞, or R is empty
            self.out = m + np.log(np.sum(np.exp(a - m), axis=axes, keepdims=True))
        return self.out if self.keepdims else np.squeeze(self.out, axis=axes)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (self._expand(g) * np.exp(self.a - self.out),)
