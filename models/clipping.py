"""Gradient clipping by the total norm, as ``torch.nn.utils.clip_grad_norm_``.

With g all the given parameters' gradients laid end to end and ‖g‖_p their p-norm
(‖g‖_∞ = max |gᵢ|), every gradient is scaled in place by

    c = min(1, max_norm / (‖g‖_p + 10⁻⁶)),

so a gradient longer than ``max_norm`` keeps its direction and gets a norm just under
``max_norm``, and a shorter one is left exactly as it is. (The 10⁻⁶, as in PyTorch, keeps c
finite when g = 0.) Clipping happens between ``backward()`` and ``optimizer.step()``.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from minigrad import Tensor
from minigrad.checks import as_real, check_flag
from models.module import parameter_list


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale the gradients of ``parameters`` in place so that their total ``norm_type``-norm is
    at most ``max_norm``, and return that norm as it was before (a numpy float64, which is a
    float with ``.item()``). ``max_norm=math.inf`` only measures.

    Parameters without a gradient are skipped (with none, the norm is 0.0). The norm is taken
    in float64 (so float32 gradients of 1e30 are measured), and rescaled by the largest |gᵢ|
    when even float64's powers overflow (gradients of 1e200): PyTorch's norm is ∞ in both.
    When it is not finite (a gradient holds NaN or ±∞, or the norm exceeds float64's range)
    the gradients are left as they are, and with ``error_if_nonfinite=True`` that is a
    RuntimeError instead. (PyTorch multiplies them by NaN or 0 then; either way the step is
    lost.)
    """
    params = parameter_list([parameters] if isinstance(parameters, Tensor) else parameters, "clip_grad_norm_")
    if not as_real(max_norm) >= 0:
        raise ValueError(f"max_norm must be a number >= 0 (math.inf: measure only), got {max_norm!r}")
    p = math.inf if isinstance(norm_type, str) and norm_type == "inf" else as_real(norm_type)
    if not p > 0:
        raise ValueError(f"norm_type must be a number > 0, or math.inf or 'inf', got {norm_type!r}")
    check_flag("error_if_nonfinite", error_if_nonfinite)
    for t in params:
        if not (t.grad is None or isinstance(t.grad, np.ndarray)):
            raise TypeError(f"a parameter of shape {t.shape} has a gradient of type {type(t.grad).__name__}; "
                            f".grad must be a numpy array")
        if t.grad is not None and (t.grad.dtype != t.data.dtype or t.grad.dtype.kind != "f"):
            raise TypeError(f"a parameter of shape {t.shape} and dtype {t.data.dtype} has a gradient of dtype "
                            f"{t.grad.dtype}; .grad must be floating-point, of its parameter's dtype")
    grads = [t.grad for t in params if t.grad is not None]
    # ‖g‖_p of the whole is the p-norm of the parameters' own p-norms (for p = ∞ too).
    norms = [_p_norm(g.astype(np.float64).ravel(), p) for g in grads if g.size]
    total = np.float64(_p_norm(np.array(norms), p) if norms else 0.0)
    if not math.isfinite(total):
        if error_if_nonfinite:
            raise RuntimeError(
                f"the total {norm_type}-norm of the gradients is {total}, so they cannot be clipped; "
                f"pass error_if_nonfinite=False to leave them as they are"
            )
        return total
    scale = float(max_norm) / (float(total) + 1e-6)
    if scale < 1:
        for g in grads:
            g *= scale
    return total


def _p_norm(x: np.ndarray, p: float) -> np.float64:
    """‖x‖_p of a float64 vector; when the sum of powers overflows although every entry is
    finite, computed as m·‖x/m‖_p with m = max |xᵢ|."""
    with np.errstate(over="ignore"):  # (a norm beyond float64's range is ∞, and said so by the caller)
        norm = np.linalg.norm(x, p)
        if math.isinf(norm):
            largest = np.max(np.abs(x))
            if math.isfinite(largest):
                norm = largest * np.linalg.norm(x / largest, p)
    return norm
