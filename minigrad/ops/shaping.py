"""Ops that move elements without changing them: reshape, transpose, indexing, concatenate,
stack. Their backward moves the gradient back the same way."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.autograd import Function
from minigrad.ops.reductions import normalize_axes, normalize_axis


class Reshape(Function):
    """out = a viewed with a new shape;  da = g reshaped to a's shape."""

    def forward(self, a: np.ndarray, shape: tuple[int, ...] = ()) -> np.ndarray:
        for n in shape:  # (numpy reads True as 1, and any negative size as -1)
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"shape {shape}: a size must be an integer, got {n!r}")
            if n < -1:
                raise ValueError(f"invalid size {n} in shape {shape}: a size is >= 0, or -1 (once) for the rest")
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (g.reshape(self.shape),)


class Transpose(Function):
    """out = a with its axes permuted (reversed when axes is None);  da = g with the inverse
    permutation."""

    def forward(self, a: np.ndarray, axes: tuple[int, ...] | None = None) -> np.ndarray:
        if axes is not None:
            # (normalize_axes refuses an axis out of range, or one given twice)
            if len(normalize_axes(tuple(axes), a.ndim)) != a.ndim:
                raise ValueError(f"axes {tuple(axes)} are not a permutation of the {a.ndim} axes")
            axes = tuple(int(x) % a.ndim for x in axes)
        self.axes = axes
        return np.transpose(a, axes)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        if self.axes is None:
            return (np.transpose(g),)
        return (np.transpose(g, np.argsort(self.axes)),)


def _is_basic(index) -> bool:
    """True for basic indexing (ints, slices, None, ...): every element is selected once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts
    )


class GetItem(Function):
    """out = a[index];  da = zeros with g added at the selected positions.

    With integer-array indices an element may be selected several times; np.add.at adds all
    its gradients (a plain assignment would keep only the last one).
    """

    def forward(self, a: np.ndarray, index: Any = ()) -> np.ndarray:
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return a[index]

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        da = np.zeros(self.shape, dtype=self.dtype)
        if _is_basic(self.index):
            da[self.index] = g
        else:
            np.add.at(da, self.index, g)
        return (da,)


class Concatenate(Function):
    """out = [a₁, a₂, …] joined along ``axis``;  daᵢ = the slice of g that came from aᵢ."""

    def forward(self, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(
                    f"cannot concatenate 0-d tensors (zero-dimensional, as the one at position {i} is): stack them"
                )
        self.axis = normalize_axis(axis, arrays[0].ndim)
        self.sizes = [a.shape[self.axis] for a in arrays]
        return np.concatenate(arrays, axis=self.axis)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return tuple(np.split(g, np.cumsum(self.sizes)[:-1], axis=self.axis))


class Stack(Function):
    """out = [a₁, a₂, …] stacked along a new ``axis``;  daᵢ = g taken at position i of it."""

    def forward(self, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
        self.axis = normalize_axis(axis, arrays[0].ndim + 1)  # (the new axis counts)
        return np.stack(arrays, axis=self.axis)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return tuple(np.take(g, i, axis=self.axis) for i in range(g.shape[self.axis]))
