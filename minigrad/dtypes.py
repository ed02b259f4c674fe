"""The default floating dtype: what Python numbers and lists become when wrapped in a Tensor."""

from __future__ import annotations

import numpy as np

_default_dtype = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """Return the dtype that Tensors built from Python numbers or lists take (float32 at start)."""
    return _default_dtype


def set_default_dtype(dtype: np.typing.DTypeLike) -> None:
    """Set the default dtype; it must be a floating dtype such as ``np.float64``."""
    global _default_dtype
    if dtype is None:  # (numpy reads None as float64)
        raise TypeError("the default dtype must be a floating dtype such as np.float64, got None")
    resolved = np.dtype(dtype)
    if resolved.kind != "f":
        raise TypeError(f"the default dtype must be a floating dtype, got {resolved}")
    _default_dtype = resolved
