"""Matrix products: matmul (with numpy's broadcasting rules) and the fused affine map."""

from __future__ import annotations

import math

import numpy as np

from minigrad.autograd import Function
from minigrad.ops.unary import relu_backward


def _swap(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


class DtypeMismatchError(TypeError):
    """Operands of a matrix product (or a linear map) whose dtypes differ."""


def _check_same_dtype(op: str, a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    """A matrix product of float32 and float64 is refused, as in PyTorch: numpy would compute
    it in float64, so a float32 model fed float64 data would silently run in float64."""
    if a.dtype != b.dtype:
        raise DtypeMismatchError(
            f"{op}: the {names[0]} is {a.dtype} but the {names[1]} is {b.dtype}; convert one to "
            f"the other's dtype (data fed to a model: Tensor(data, dtype=<the model's dtype>))"
        )


class MatMul(Function):
    """out = a @ b (vectors, matrices, or batches of matrices that broadcast);
    da = g @ bᵀ, db = aᵀ @ g  (over the last two axes).

    A 1-D a is treated as a row (1, n) and a 1-D b as a column (n, 1), as numpy does; the
    gradients are computed in that 2-D form and the added axis is dropped again. Batch axes
    that were broadcast are summed away centrally by ``unbroadcast``.
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul needs tensors with at least one dimension; use * for scalars")
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if a.shape[-1] != inner_b:
            raise ValueError(
                f"inner dimensions differ: a has {a.shape[-1]} columns, b has {inner_b} rows"
            )
        _check_same_dtype("matmul", a, b, ("left operand", "right operand"))
        self.a, self.b = a, b
        return a @ b

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        a, b = self.a, self.b
        if a.ndim == 1 and b.ndim == 1:
            return g * b, g * a
        a2 = a[np.newaxis, :] if a.ndim == 1 else a
        b2 = b[:, np.newaxis] if b.ndim == 1 else b
        g2 = np.expand_dims(g, -2) if a.ndim == 1 else g
        g2 = np.expand_dims(g2, -1) if b.ndim == 1 else g2
        da = db = None
        if self.needs_grad[0]:
            da = g2 @ _swap(b2)
            da = da[..., 0, :] if a.ndim == 1 else da
        if self.needs_grad[1]:
            db = _swap(a2) @ g2
            db = db[..., 0] if b.ndim == 1 else db
        return da, db


class Linear(Function):
    """out = x @ Wᵀ + b, with W of shape (out, in) as in PyTorch; one node for the whole map.

    With X = x flattened to rows (N, in) and G = g as (N, out):
    dx = g @ W,  dW = Gᵀ @ X  (out, in: already C-contiguous),  db = Σ_rows G.
    """

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise ValueError(
                f"linear expects input (..., in) and weight (out, in); got input {x.shape} "
                f"and weight {weight.shape}"
            )
        _check_same_dtype("linear", x, weight, ("input", "weight"))
        if bias is not None and bias.shape != (weight.shape[0],):
            raise ValueError(f"linear bias must have shape ({weight.shape[0]},), got {bias.shape}")
        if bias is not None:
            _check_same_dtype("linear", bias, weight, ("bias", "weight"))
        self.x, self.weight = x, weight
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        x, w = self.x, self.weight
        dx = g @ w if self.needs_grad[0] else None
        dw = db = None
        # Rows (N, out) and (N, in), batch axes flattened; N is given, as -1 is ambiguous at size 0.
        g2 = g if g.ndim == 2 else g.reshape(math.prod(g.shape[:-1]), g.shape[-1])
        if self.needs_grad[1]:
            dw = g2.T @ (x if x.ndim == 2 else x.reshape(len(g2), x.shape[-1]))
        if len(self.needs_grad) == 3 and self.needs_grad[2]:
            db = np.add.reduce(g2, axis=0)
        return dx, dw, db


class LinearReLU(Linear):
    """out = max(x @ Wᵀ + b, 0): a Linear and the ReLU after it, as one node.

    The ReLU is applied in place to the affine map's fresh output, so no second array is made.
    With m = [out > 0] (= sign(out), as out ≥ 0), the gradient into the affine map is g·m, and
    from there Linear's: dx = (g·m) @ W, dW = (g·m)ᵀ @ X, db = Σ_rows g·m.
    """

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        self.out = super().forward(x, weight, bias)
        np.maximum(self.out, 0, out=self.out)
        return self.out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return super().backward(relu_backward(self.out, g))
