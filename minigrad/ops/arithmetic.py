"""Binary arithmetic: + - * / ** and unary minus.

Each op writes its gradients for the broadcast output shape; ``Function`` sums them back to
each input's shape. Notation: out = f(a, b), g = dL/d(out).
"""

from __future__ import annotations

import numpy as np

from minigrad.autograd import Function


class Add(Function):
    """out = a + b;  da = g, db = g."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return g, g


class Sub(Function):
    """out = a - b;  da = g, db = -g."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return g, (-g if self.needs_grad[1] else None)


class Mul(Function):
    """out = a·b;  da = g·b, db = g·a."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return a * b

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        da = g * self.b if self.needs_grad[0] else None
        db = g * self.a if self.needs_grad[1] else None
        return da, db


class Div(Function):
    """out = a / b;  da = g / b, db = -g·a / b² = -g·out / b."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.b = b
        with np.errstate(divide="ignore", invalid="ignore"):  # 1/0 = ∞, 0/0 = NaN, silently
            self.out = a / b
        return self.out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        with np.errstate(divide="ignore", invalid="ignore"):
            da = g / self.b if self.needs_grad[0] else None
            db = -g * self.out / self.b if self.needs_grad[1] else None
        return da, db


class Pow(Function):
    """out = a^b;  da = g·b·a^(b-1), db = g·out·ln(a).

    A negative base with an integer exponent (``x ** 2``) differentiates normally with respect
    to the base. So that no NaN leaks out of backward:
    - db is 0 where ln(a) is undefined (a ≤ 0; the limit at a = 0 for b > 0) and where g is 0
      (an unused branch, where a^b may be infinite);
    - da is 0 where b is 0 (a constant: at a = 0, b·a^(b-1) would be 0·∞) and where g is 0
      (at a = 0, a^(b-1) is infinite for b < 1).
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # 0^-1 = ∞ etc., silently
            self.out = a**b
        return self.out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        a, b = self.a, self.b
        da = None
        if self.needs_grad[0]:
            with np.errstate(divide="ignore", invalid="ignore"):
                da = g * b * a ** (b - 1)
            da = np.where((g == 0) | (b == 0), 0, da)
        db = None
        if self.needs_grad[1]:
            positive = a > 0
            with np.errstate(invalid="ignore"):  # 0·∞ where out is infinite (0^b, b < 0)
                db = g * self.out * np.log(np.where(positive, a, 1))
            db = np.where(positive & (g != 0), db, 0)
        return da, db


class Neg(Function):
    """out = -a;  da = -g."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        return -a

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return (-g,)
