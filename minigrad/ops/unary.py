"""Elementwise functions of one tensor. Notation: out = f(a), g = dL/d(out)."""

from __future__ import annotations

import math
import reprlib

import numpy as np

from minigrad.autograd import Function
from minigrad.checks import is_real


def stable_sigmoid(a: np.ndarray, e: np.ndarray | None = None) -> np.ndarray:
    """σ(a) from e = e^(-|a|) ≤ 1, so nothing overflows: 1/(1+e) for a ≥ 0, e/(1+e) for a < 0."""
    if e is None:
        e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1, e) / (1 + e)


class Exp(Function):
    """out = eᵃ;  da = g·out."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):  # e^1000 = ∞, silently
            self.out = np.exp(a)
        return self.out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (g * self.out,)


class Log(Function):
    """out = ln a;  da = g / a.

    At a = 0 the derivative is infinite; where g is 0 there, the quotient is taken as 0 rather
    than 0/0 = NaN, so an unused branch through ln 0 does not poison the gradient.
    """

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        with np.errstate(divide="ignore", invalid="ignore"):  # ln 0 = -inf, ln(-1) = NaN, silently
            return np.log(a)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        da = np.zeros_like(g)
        with np.errstate(divide="ignore"):  # g / 0 = ±∞ where g is not 0, as forward's ln 0
            np.divide(g, self.a, out=da, where=g != 0)
        return (da,)


class Sqrt(Function):
    """out = √a;  da = g / (2·out).

    At a = 0 the derivative is infinite; where g is 0 there, the product is taken as 0 rather
    than 0·∞ = NaN, so an unused branch through √0 does not poison the gradient.
    """

    def forward(self, a: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):  # √-1 = NaN, silently
            self.out = np.sqrt(a)
        return self.out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        da = np.zeros_like(g)
        with np.errstate(divide="ignore", invalid="ignore"):  # at 0 (∞) and below (NaN), as forward
            np.divide(g, 2 * self.out, out=da, where=g != 0)
        return (da,)


class Abs(Function):
    """out = |a|;  da = g·sign(a)  (0 at a = 0, a subgradient)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.abs(a)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (g * np.sign(self.a),)


class Tanh(Function):
    """out = tanh a;  da = g·(1 - out²)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.tanh(a)
        return self.out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (g * (1 - self.out * self.out),)


class Sigmoid(Function):
    """out = σ(a) = 1 / (1 + e⁻ᵃ);  da = g·out·(1 - out).

    Computed by ``stable_sigmoid``, which does not overflow at |a| = 1e4.
    """

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = stable_sigmoid(a)
        return self.out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (g * self.out * (1 - self.out),)


class ReLU(Function):
    """out = max(a, 0);  da = g·[a > 0] = g·sign(out)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.maximum(a, 0)
        return self.out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (relu_backward(self.out, g),)


def relu_backward(out: np.ndarray, g: np.ndarray) -> np.ndarray:
    """g where out = max(a, 0) > 0, and 0 elsewhere, even where g is infinite (as in PyTorch).
    Where a is NaN the result is NaN while g is all finite, else 0 (PyTorch passes g).

    Computed as g·sign(out) (out ≥ 0, so sign(out) is the indicator as floats): a product is
    several times cheaper than selecting with ``np.where``. It is wrong only at 0·∞ = NaN, so
    a g that is not all finite is selected from instead.
    """
    if not np.isfinite(g).all():
        return np.where(out > 0, g, 0)
    da = np.sign(out)
    da *= g
    return da


class LeakyReLU(Function):
    """out = a if a > 0 else s·a;  da = g·(1 if a > 0 else s)."""

    def forward(self, a: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
        self.slope = np.where(a > 0, 1, negative_slope).astype(a.dtype)
        return a * self.slope

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (g * self.slope,)


class GELU(Function):
    """out = a·Φ(a), Φ the standard normal CDF;  da = g·(Φ(a) + a·φ(a)).

    Φ(a) = (1 + erf(a/√2))/2 and φ(a) = e^(-a²/2)/√(2π), the exact form (PyTorch's default).
    """

    def forward(self, a: np.ndarray) -> np.ndarray:
        from scipy.special import erf  # scipy comes with scikit-learn; imported only when used

        self.a = a
        self.cdf = (0.5 * (1 + erf(a / math.sqrt(2)))).astype(a.dtype)
        return a * self.cdf

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        a = self.a
        pdf = np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
        return (g * (self.cdf + a * pdf),)


class Clip(Function):
    """out = min(max(a, lo), hi);  da = g·[lo ≤ a ≤ hi]  (either bound may be None)."""

    def forward(self, a: np.ndarray, lo: float | None = None, hi: float | None = None) -> np.ndarray:
        for bound in (lo, hi):
            if bound is not None and not is_real(bound):
                raise TypeError(f"clip bounds must be numbers or None, got {bound!r}")
        # As Python floats the bounds take a's dtype (a numpy float64 would promote float32 a).
        try:
            lo, hi = (None if bound is None else float(bound) for bound in (lo, hi))
        except OverflowError:  # a Python int beyond any float
            raise ValueError(f"clip bounds must fit in a float, got lo={reprlib.repr(lo)}, "
                             f"hi={reprlib.repr(hi)}") from None
        if lo is None and hi is None:
            raise ValueError("clip needs at least one bound, lo or hi (as in PyTorch)")
        if any(bound is not None and np.isnan(bound) for bound in (lo, hi)):
            raise ValueError(f"clip bounds must not be NaN, got lo={lo}, hi={hi}")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clip needs lo <= hi, got lo={lo}, hi={hi}")
        self.inside = np.ones(a.shape, dtype=bool)
        if lo is not None:
            self.inside &= a >= lo
        if hi is not None:
            self.inside &= a <= hi
        return np.clip(a, lo, hi)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (np.where(self.inside, g, 0),)  # (not g·inside: that is NaN where g is ±∞)
