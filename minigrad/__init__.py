"""minigrad: a small reverse-mode autograd engine on numpy tensors.

    from minigrad import Tensor, no_grad, gradcheck
    import minigrad.functional as F
"""

from minigrad.autograd import is_grad_enabled, no_grad
from minigrad.dtypes import get_default_dtype, set_default_dtype
from minigrad.functional import concatenate, maximum, minimum, stack, where
from minigrad.gradcheck import GradcheckError, gradcheck
from minigrad.random import manual_seed
from minigrad.tensor import Tensor

__all__ = [
    "GradcheckError", "Tensor", "concatenate", "get_default_dtype", "gradcheck",
    "is_grad_enabled", "manual_seed", "maximum", "minimum", "no_grad", "set_default_dtype",
    "stack", "where",
]
