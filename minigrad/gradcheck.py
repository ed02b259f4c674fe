"""Check analytic gradients against central finite differences, in float64."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from minigrad.ops.linalg import DtypeMismatchError
from minigrad.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with its finite-difference estimate."""


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Tensor],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Compare the gradients backward gives for ``fn(*inputs)`` with finite differences.

    Every input that requires grad is copied to float64 and checked element by element:

        numeric = (L(x + eps·eᵢ) - L(x - eps·eᵢ)) / (2·eps)

    where L is ``fn``'s output reduced to a scalar. A non-scalar output is reduced as
    Σ w ⊙ out with fixed random weights w rather than a plain sum: a plain sum would hide
    errors whose total is zero (softmax rows, for instance, always sum to 1).

    Returns True, or raises GradcheckError naming the input, the element and both values.
    """
    inputs = [
        # C order, so that x.data.reshape(-1) below is a view: perturbing it perturbs x.
        Tensor(np.array(x.data, dtype=np.float64, order="C"), requires_grad=x.requires_grad)
        if isinstance(x, Tensor)
        else x
        for x in inputs
    ]
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck needs at least one input Tensor with requires_grad=True")

    try:
        out = fn(*inputs)
    except DtypeMismatchError as error:
        raise DtypeMismatchError(
            f"{error}. gradcheck runs fn on float64 copies of its inputs, so the parameters fn "
            f"uses must be float64 too (a model built with dtype=np.float64)"
        ) from None
    weights = np.random.default_rng(0).uniform(0.5, 1.5, size=out.shape)

    def scalar_loss() -> float:
        return float(np.sum(fn(*inputs).data * weights))

    if out.requires_grad:  # (an output that no input reaches has zero gradients)
        (out * weights).sum().backward()
    for i in checked:
        x = inputs[i]
        analytic = x.grad if x.grad is not None else np.zeros_like(x.data)
        flat = x.data.reshape(-1)
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            plus = scalar_loss()
            flat[j] = original - eps
            minus = scalar_loss()
            flat[j] = original
            numeric = (plus - minus) / (2 * eps)
            value = analytic.reshape(-1)[j]
            if not abs(value - numeric) <= atol + rtol * abs(numeric):
                element = tuple(int(k) for k in np.unravel_index(j, x.shape))
                raise GradcheckError(
                    f"gradient mismatch for input {i} at element {element}: "
                    f"analytic {float(value)!r}, numerical {float(numeric)!r}"
                )
    return True
