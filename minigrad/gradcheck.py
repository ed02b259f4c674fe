"""Check analytic gradients against central finite differences, in float64."""

from __future__ import annotations

import math
import reprlib
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

from minigrad.checks import as_real, is_nonnegative
from minigrad.ops.linalg import DtypeMismatchError
from minigrad.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with its finite-difference estimate."""


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Compare the gradients backward gives for ``fn(*inputs)`` with finite differences.

    Every input that requires grad is checked element by element, in float64:

        numeric = (L(x + eps·eᵢ) - L(x - eps·eᵢ)) / (2·eps)

    where L is ``fn``'s output reduced to a scalar. A non-scalar output is reduced as
    Σ w ⊙ out with fixed random weights w rather than a plain sum: a plain sum would hide
    errors whose total is zero (softmax rows, for instance, always sum to 1). A scalar output
    is L itself, so the values an error reports are the gradient of ``fn``.

    As in PyTorch, the inputs themselves are perturbed: while gradcheck runs, each leaf input's
    ``data`` is a float64 copy, so ``fn`` may reach a leaf another way too (a model's own
    parameters, passed as inputs and used by the model). Each leaf gets its ``data`` and
    ``grad`` back at the end. (A non-leaf input is replaced by a float64 leaf copy.)

    ``inputs`` is the list (or tuple) of ``fn``'s arguments: ``[x]`` for one Tensor ``x``. An
    element passes when |analytic − numeric| ≤ atol + rtol·|numeric|: ``eps`` must be a finite
    number > 0 (how large is the caller's choice: a large one measures a secant, not the
    derivative), ``atol`` a finite number ≥ 0 (in the units of the gradient, so no bound fits
    every function) and ``rtol`` a number with 0 ≤ rtol < 1 (from 1 on, an analytic gradient of
    0, a backward that was never written, passes against any numerical one); anything else is
    refused (TypeError for ``fn`` and ``inputs``, ValueError for the numbers) naming it.

    Returns True, or raises GradcheckError naming the input, the element and both values.
    """
    _check_arguments(fn, inputs, eps, atol, rtol)
    leaves = list({id(x): x for x in inputs if isinstance(x, Tensor) and x.is_leaf}.values())
    saved = [(x, x.data, x.grad) for x in leaves]
    try:
        for x in leaves:
            x.data, x.grad = _float64_copy(x.data), None
        args = [Tensor(_float64_copy(x.data), requires_grad=x.requires_grad)
                if isinstance(x, Tensor) and not x.is_leaf else x for x in inputs]
        _compare(fn, args, eps, atol, rtol)
    finally:
        for x, data, grad in saved:
            x.data, x.grad = data, grad
    return True


def _check_arguments(fn: Any, inputs: Any, eps: Any, atol: Any, rtol: Any) -> None:
    """Raise, naming the argument, unless each is of the kind ``gradcheck`` describes."""
    if not callable(fn):
        raise TypeError(f"gradcheck's fn must be a function, got {reprlib.repr(fn)}")
    if isinstance(inputs, str) or not isinstance(inputs, Sequence):
        raise TypeError(f"gradcheck's inputs must be a list (or tuple) of fn's arguments, got a "
                        f"{type(inputs).__name__}; for one Tensor x, pass [x]")
    if not 0 < as_real(eps) < math.inf:
        raise ValueError(f"gradcheck's eps must be a finite number > 0, got {reprlib.repr(eps)}")
    if not is_nonnegative(atol):
        raise ValueError(f"gradcheck's atol must be a finite number >= 0, got {reprlib.repr(atol)}")
    if not 0 <= as_real(rtol) < 1:
        raise ValueError(f"gradcheck's rtol must be a number with 0 <= rtol < 1, got {reprlib.repr(rtol)}")


def _float64_copy(data: np.ndarray) -> np.ndarray:
    """A float64 copy in C order, so that ``reshape(-1)`` of it is a view: perturbing that view
    perturbs the tensor holding it."""
    return np.array(data, dtype=np.float64, order="C")


def _call(fn: Callable[..., Tensor], args: list[Any]) -> Tensor:
    """``fn(*args)``, which must be a Tensor; a dtype error says why everything must be float64."""
    try:
        out = fn(*args)
    except DtypeMismatchError as error:
        raise DtypeMismatchError(
            f"{error}. gradcheck runs fn in float64 (its inputs are float64 while it runs), so "
            f"every other parameter fn uses must be float64 too: pass the parameters as inputs, "
            f"or build the model with dtype=np.float64"
        ) from None
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck needs fn to return a Tensor, got {type(out).__name__}")
    return out


def _compare(fn: Callable[..., Tensor], args: list[Any], eps: float, atol: float, rtol: float) -> None:
    checked = [i for i, x in enumerate(args) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck needs at least one input Tensor with requires_grad=True")
    out = _call(fn, args)
    weights = np.random.default_rng(0).uniform(0.5, 1.5, size=out.shape) if out.ndim else np.float64(1.0)

    def scalar_loss() -> float:
        return float(np.sum(_call(fn, args).data * weights))

    if out.requires_grad:  # (else no input reaches it: its gradients are 0, which is checked too)
        (out * weights).sum().backward()
    for i in checked:
        x = args[i]
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
