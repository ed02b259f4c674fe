"""Layers with parameters or randomness: Linear (and its two named uses) and Dropout."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

import minigrad.functional as F
from minigrad import Tensor, get_default_dtype
from minigrad.checks import check_flag, is_int
from minigrad.random import as_generator
from models.module import Module, Parameter


def check_size(name: str, value: Any) -> None:
    """Raise unless ``value`` (a layer size called ``name``) is a positive integer."""
    if not is_int(value, 1):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_probability(p: Any) -> None:
    """Raise unless ``p`` is a valid dropout probability, a number in [0, 1)."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p < 1:
        raise ValueError(f"dropout probability p must be a number in [0, 1), got {p!r}")


class Linear(Module):
    """The affine map y = x Wᵀ + b, for inputs of shape (..., in_features).

    ``weight`` W has shape (out_features, in_features) and ``bias`` b shape (out_features,), as
    in PyTorch, so state dicts read the same way. Both start uniform in ±1/√in_features
    (PyTorch's default), drawn from ``rng``: a numpy Generator, an int seed, or None for the
    default generator that ``minigrad.manual_seed`` seeds. ``dtype`` defaults to the default
    dtype (float32).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        check_size("in_features", in_features)
        check_size("out_features", out_features)
        check_flag("bias", bias)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        generator = as_generator(rng)
        dtype = get_default_dtype() if dtype is None else dtype
        bound = 1.0 / math.sqrt(in_features)

        def uniform(*shape: int) -> Parameter:
            return Parameter(generator.uniform(-bound, bound, size=shape), dtype=dtype)

        self.weight = uniform(self.out_features, self.in_features)
        self.bias = uniform(self.out_features) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class LinearRegression(Linear):
    """Least-squares regression's model ŷ = x Wᵀ + b; train it with ``MSELoss``."""

    def __init__(
        self,
        in_features: int,
        out_features: int = 1,
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(in_features, out_features, bias=bias, rng=rng, dtype=dtype)


class LogisticRegression(Linear):
    """Multinomial logistic regression: class logits z = x Wᵀ + b, p = softmax(z).

    ``forward`` returns the logits; train them with ``CrossEntropyLoss`` (which applies the
    softmax itself, stably). For one binary logit with ``BCEWithLogitsLoss``, use
    ``Linear(in_features, 1)``.
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: Any = None,
    ) -> None:
        check_size("n_classes", n_classes)
        if n_classes == 1:
            raise ValueError(
                "LogisticRegression needs n_classes >= 2 (softmax over one class is constant); "
                "for a single binary logit use Linear(in_features, 1) with BCEWithLogitsLoss"
            )
        super().__init__(in_features, n_classes, bias=bias, rng=rng, dtype=dtype)


class Dropout(Module):
    """Inverted dropout: in training, each element is zeroed with probability p and the
    survivors are scaled by 1/(1-p), so E[output] = input; in eval mode, the identity.

    The masks are drawn from ``rng`` (a Generator or an int seed, fixed at construction), or
    from the default generator at call time when ``rng`` is None.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        check_probability(p)
        self.p = float(p)
        self.rng = None if rng is None else as_generator(rng)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):  # an array or a list, as Linear takes them: a constant
            x = Tensor(x)
        if not self.training or self.p == 0:
            return x
        keep = as_generator(self.rng).random(x.shape) >= self.p
        return x * (keep.astype(x.dtype) / (1 - self.p))

    def extra_repr(self) -> str:
        return f"p={self.p}"
