"""Ops that pick, elementwise, between two tensors: where, maximum, minimum."""

from __future__ import annotations

import numpy as np

from minigrad.autograd import Function


class Where(Function):
    """out = a where cond else b;  da = g where cond else 0, db = g where not cond else 0.

    ``cond`` is a boolean array, a constant of the op (it has no gradient).
    """

    def forward(self, a: np.ndarray, b: np.ndarray, cond: np.ndarray) -> np.ndarray:
        self.cond = np.broadcast_to(cond, np.broadcast_shapes(cond.shape, a.shape, b.shape))
        return np.where(self.cond, a, b)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        da = np.where(self.cond, g, 0) if self.needs_grad[0] else None
        db = np.where(self.cond, 0, g) if self.needs_grad[1] else None
        return da, db


class Maximum(Function):
    """out = max(a, b) elementwise;  da = g·([a > b] + ½[a = b]), db = g·([b > a] + ½[a = b]).

    At ties the gradient is split equally, as for ``Tensor.max``. A NaN wins (it propagates, as
    in numpy and PyTorch) and takes the whole gradient: a NaN in a, else the one in b.
    """

    pick = staticmethod(np.greater)
    combine = staticmethod(np.maximum)

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        first = self.pick(a, b) | np.isnan(a)
        self.share_a = (first + 0.5 * (a == b)).astype(np.result_type(a, b))
        self.share_b = 1 - self.share_a
        return self.combine(a, b)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return _shared(g, self.share_a), _shared(g, self.share_b)


class Minimum(Maximum):
    """out = min(a, b) elementwise;  da = g·([a < b] + ½[a = b]), db = g·([b < a] + ½[a = b]).

    As for ``Maximum``: ties split the gradient, and a NaN wins and takes all of it."""

    pick = staticmethod(np.less)
    combine = staticmethod(np.minimum)


def _shared(g: np.ndarray, share: np.ndarray) -> np.ndarray:
    """g·share, and 0 where the share is 0 even where g is ±∞ (0·∞ would be NaN)."""
    with np.errstate(invalid="ignore"):
        return np.where(share == 0, 0, g * share)
