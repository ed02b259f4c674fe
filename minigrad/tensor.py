"""The Tensor: a numpy array that remembers how it was computed, so gradients can flow back."""

from __future__ import annotations

import itertools
import reprlib
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from minigrad import autograd
from minigrad.checks import is_bool
from minigrad.dtypes import get_default_dtype

Axis = int | Sequence[int] | None
Hook = Callable[[np.ndarray], "np.ndarray | None"]


class HookHandle:
    """What ``Tensor.register_hook`` returns: ``remove()`` unregisters that one registration
    (a function registered twice stays once; a second ``remove()`` does nothing)."""

    _count = itertools.count()

    def __init__(self, hooks: dict[int, Hook]) -> None:
        self._hooks, self._key = hooks, next(self._count)

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


class Tensor:
    """A numpy array plus what reverse-mode autograd needs.

    ``data`` is the ndarray; ``grad`` is an ndarray of the same shape, or None until a backward
    pass reaches this tensor. A tensor made by an op remembers that op in ``_ctx`` (a Function);
    a tensor made by the user is a leaf (``_ctx is None``). Gradients are stored on leaves that
    require grad, and accumulate across backward calls until they are reset.

    Dtypes: float numpy arrays keep their dtype; Python numbers, lists and integer arrays take
    the default dtype (float32; see ``minigrad.set_default_dtype``).
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_hooks", "__weakref__")
    # numpy must hand `ndarray (op) Tensor` over to our reflected operators, not loop over us.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if not is_bool(requires_grad):
            raise TypeError(f"requires_grad must be True or False, got {requires_grad!r}")
        self.data = _to_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._ctx: autograd.Function | None = None
        self._hooks: dict[int, Hook] | None = None  # see register_hook

    @classmethod
    def _from_op(cls, data: np.ndarray, fn: autograd.Function | None) -> Tensor:
        """Fast constructor for op outputs (no dtype conversion, no checks)."""
        out = object.__new__(cls)
        out.data = data if isinstance(data, np.ndarray) else np.asarray(data)
        out.grad = None
        out.requires_grad = fn is not None
        out._ctx = fn
        out._hooks = None
        return out

    # ----------------------------------------------------------------- array-like properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user, False for results of recorded ops."""
        return self._ctx is None

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def __float__(self) -> float:
        """``float(loss)``: the value of a one-element tensor, as ``item()``."""
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"``: a 0-d tensor formats as its number, as in PyTorch."""
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return super().__format__(spec)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is None and not copy:
            return self.data
        return np.array(self.data, dtype=dtype, copy=True if copy is None else copy)

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, prefix="Tensor(", separator=", ")
        extra = f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn={type(self._ctx).__name__}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    __hash__ = object.__hash__

    # ------------------------------------------------------------------------------ autograd
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate ∂L/∂leaf into ``leaf.grad`` for every leaf that requires grad, where L is
        this tensor (a loss), or Σ grad·self when ``grad`` is given: each leaf receives the
        vector–Jacobian product Σᵢ gradᵢ·∂selfᵢ/∂leaf.

        ``grad`` is the gradient flowing into this tensor, of its shape; it may be omitted only
        for a one-element tensor (a loss), where it is 1.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True (or it ran under no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a grad argument needs a scalar output, but this tensor "
                    f"has shape {self.shape}; pass grad= of that shape (or reduce it, e.g. .sum())"
                )
            grad = np.array(1, dtype=self.data.dtype).reshape(self.data.shape)  # (np.ones is slower)
        else:
            grad = as_numbers(grad.data if isinstance(grad, Tensor) else grad, self.dtype, "a gradient")
            if grad.shape != self.shape:
                raise ValueError(
                    f"backward(grad=...) got a gradient of shape {grad.shape} for a tensor of "
                    f"shape {self.shape}; they must be equal"
                )
        autograd.run_backward(self, grad, retain_graph)

    def retain_grad(self) -> None:
        """Keep this tensor's gradient in ``grad`` at the backward passes to come, though it
        is not a leaf, as PyTorch's ``retain_grad``: to look at the gradient reaching an
        intermediate result (an activation, the logits). Like a leaf's, it accumulates until
        reset. A leaf that requires grad keeps its gradient anyway."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad: no gradient reaches it")
        if self._ctx is not None and self._ctx is not autograd._FREED:  # (freed: no backward can reach it)
            self._ctx.retains_grad = True

    def register_hook(self, hook: Hook) -> HookHandle:
        """Call ``hook(grad)`` at every backward pass, once this tensor's gradient is complete
        (the sum over all its uses), as PyTorch's ``register_hook``: to look at the gradient
        reaching a tensor, or to change it. ``hook`` returns None to leave the gradient as it
        is, or a real-valued array of its shape that replaces it: from there on it is what flows back
        through the graph, or what a leaf adds to its ``.grad``. It must not change ``grad``
        in place (the array may be shared); the engine does not change it either. Hooks run in
        the order they were registered, each on the previous one's result, and before
        ``retain_grad`` keeps the gradient. A copy of the tensor (``copy.deepcopy``, pickle) has
        no hooks. E.g.

            h.register_hook(lambda g: print("‖∂L/∂h‖ =", np.linalg.norm(g)))
            w.register_hook(lambda g: np.clip(g, -1, 1))      # clip w's gradient

        Returns a handle whose ``remove()`` unregisters the hook."""
        if not callable(hook):
            raise TypeError(f"register_hook needs a function of the gradient, got {type(hook).__name__}")
        if not self.requires_grad:
            raise RuntimeError("register_hook on a tensor that does not require grad: no gradient reaches it")
        if self._hooks is None:
            self._hooks = {}
        handle = HookHandle(self._hooks)
        self._hooks[handle._key] = hook
        return handle

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        """What pickle and ``copy.deepcopy`` keep: everything but the hooks, as in PyTorch (they
        are functions, often lambdas, registered on this very tensor)."""
        kept = (name for name in Tensor.__slots__ if name not in ("_hooks", "__weakref__"))
        return None, {name: getattr(self, name) for name in kept}

    def __setstate__(self, state: tuple[None, dict[str, Any]]) -> None:
        for name, value in state[1].items():
            setattr(self, name, value)
        self._hooks = None  # (also for a tensor pickled before tensors had hooks)

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut off from the graph."""
        return Tensor._from_op(self.data, None)

    # ---------------------------------------------------------------------------- arithmetic
    def __add__(self, other: Any) -> Tensor:
        """self + other, broadcasting as numpy;  gradient g to each, summed back to its shape."""
        return ops.Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        """self − other, broadcasting;  gradient g to self, −g to other."""
        return ops.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        """self·other elementwise, broadcasting;  gradient g·other to self, g·self to other."""
        return ops.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        """self / other, broadcasting;  gradient g/other to self, −g·self/other² to other."""
        return ops.Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(other, self)

    def __pow__(self, other: Any) -> Tensor:
        """self^other, broadcasting;  gradient g·other·self^(other−1) to self,
        g·self^other·ln(self) to other."""
        return ops.Pow.apply(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(other, self)

    def __neg__(self) -> Tensor:
        """−self;  gradient −g."""
        return ops.Neg.apply(self)

    # In place: inside no_grad(), ``x -= y`` changes a leaf's data itself, as in an optimizer
    # step (without these methods Python would run x = x - y, and a model holding the old x
    # would never see the change). Elsewhere x names the result of x - y, recorded where
    # needed: a graph may have saved x's array for its backward, and without PyTorch's version
    # counters a change in place would go unnoticed. On a leaf that requires grad that would
    # detach it from the model, so it is refused, as in PyTorch. x keeps its shape and dtype.
    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place(ops.Add, np.add, other, "+=")

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place(ops.Sub, np.subtract, other, "-=")

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place(ops.Mul, np.multiply, other, "*=")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place(ops.Div, np.divide, other, "/=")

    def _in_place(self, op: type[autograd.Function], ufunc: np.ufunc, other: Any, symbol: str) -> Tensor:
        recording = autograd.is_grad_enabled()
        if recording or self._ctx is not None:
            if recording and self._ctx is None and self.requires_grad:
                raise RuntimeError(
                    f"x {symbol} y on a leaf tensor that requires grad, outside no_grad(): "
                    f"inside no_grad() it changes x in place (as an optimizer step does)"
                )
            result = op.apply(self, other)
            if result.shape != self.shape or result.dtype != self.dtype:
                raise ValueError(
                    f"x {symbol} y would turn x of shape {self.shape} and dtype {self.dtype} into "
                    f"shape {result.shape} and dtype {result.dtype}; write z = x {symbol[0]} y"
                )
            return result
        try:
            other = autograd._as_tensors((self, other))[1]  # taken as x + y takes it (None, text refused)
            ufunc(self.data, other.data, out=self.data, casting="same_kind")
        except (ValueError, TypeError) as error:
            raise autograd.renamed(error, f"x {symbol} y with x of shape {self.shape}: {error}") from None
        return self

    def __matmul__(self, other: Any) -> Tensor:
        """The matrix product self @ other (numpy's rules for 1-D and batched operands);
        gradient g @ otherᵀ to self, selfᵀ @ g to other."""
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(other, self)

    # Comparisons give plain boolean arrays: they have no gradient.
    def __lt__(self, other: Any) -> np.ndarray:
        return self.data < _raw(other)

    def __le__(self, other: Any) -> np.ndarray:
        return self.data <= _raw(other)

    def __gt__(self, other: Any) -> np.ndarray:
        return self.data > _raw(other)

    def __ge__(self, other: Any) -> np.ndarray:
        return self.data >= _raw(other)

    def __eq__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        return self.data == _raw(other)

    def __ne__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        return self.data != _raw(other)

    # ---------------------------------------------------------------------------- reductions
    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Σ over ``axis`` (all axes when None);  gradient g broadcast back over the summed axes."""
        return ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """(1/n)·Σ over ``axis``, n the number of entries averaged;  gradient g/n broadcast back."""
        return ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """The largest entry over ``axis``;  gradient g to the entries equal to it, split equally
        among ties (as ``torch.amax``)."""
        return ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """The smallest entry over ``axis``;  gradient g to the entries equal to it, split equally
        among ties (as ``torch.amin``)."""
        return ops.Min.apply(self, axis=axis, keepdims=keepdims)

    # ------------------------------------------------------------------------------- unary
    def exp(self) -> Tensor:
        """eˣ elementwise;  gradient g·eˣ."""
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        """ln x elementwise;  gradient g/x."""
        return ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        """√x elementwise;  gradient g/(2√x)."""
        return ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        """|x| elementwise;  gradient g·sign(x) (0 at x = 0)."""
        return ops.Abs.apply(self)

    __abs__ = abs  # abs(x), as for numbers and arrays

    def tanh(self) -> Tensor:
        """tanh x elementwise;  gradient g·(1 − tanh²x)."""
        return ops.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        """σ(x) = 1/(1 + e⁻ˣ) elementwise, computed without overflow;  gradient g·σ(x)·(1 − σ(x))."""
        return ops.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        """max(x, 0) elementwise;  gradient g where x > 0, else 0."""
        return ops.ReLU.apply(self)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        """min(max(x, lo), hi) elementwise (a bound may be None);  gradient g where lo ≤ x ≤ hi,
        else 0."""
        return ops.Clip.apply(self, lo=lo, hi=hi)

    # ------------------------------------------------------------------------------- shape
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same entries in another shape (given as ints or one sequence; −1 once for "the rest");
        gradient g reshaped back."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            given = shape[0]
            if isinstance(given, np.ndarray) and given.ndim == 0:
                shape = (given[()],)  # (one size, as a 0-d array: Reshape checks it is an integer)
            elif isinstance(given, Iterable) and not isinstance(given, str):
                shape = tuple(given)
            else:
                raise TypeError(f"reshape takes sizes as ints or as one tuple or list of ints, got {given!r}")
        return ops.Reshape.apply(self, shape=shape)

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """The axes permuted as ``axes`` says (reversed when none are given);  gradient g permuted back."""
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = tuple(axes[0])
        return ops.Transpose.apply(self, axes=axes or None)

    def __getitem__(self, index: Any) -> Tensor:
        """numpy indexing (ints, slices, None, ..., integer or boolean arrays);  gradient g put back
        at the indexed entries, added up where an index repeats."""
        parts = index if isinstance(index, tuple) else (index,)
        if any(isinstance(p, Tensor) for p in parts):
            raise TypeError(
                "index a Tensor with ints, slices or numpy integer/boolean arrays, not with a "
                "Tensor: a Tensor holds floats, so a boolean mask in it would read as positions "
                "0 and 1 (use mask.data > 0, or .data.astype(int) for positions)"
            )
        return ops.GetItem.apply(self, index=index)


def _raw(x: Any) -> Any:
    """The array of a Tensor, or ``x`` itself; a Python int beyond any float is refused by name
    (numpy would raise a bare OverflowError)."""
    if isinstance(x, Tensor):
        return x.data
    if type(x) is int and abs(x) > _LARGEST_FLOAT_INT:
        raise ValueError(f"{reprlib.repr(x)} is a number too large for any float")
    return x


_LARGEST_FLOAT_INT = int(np.finfo(np.float64).max)


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """Convert user data to the ndarray a Tensor wraps, applying the dtype rules."""
    if isinstance(data, Tensor):
        data = data.data
    if data is None:  # numpy would make it NaN
        raise TypeError("cannot make a Tensor from None: expected a number, a list of numbers or an array")
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Tensor dtype must be a floating dtype, got {dtype}")
    elif isinstance(data, (np.ndarray, np.generic)):
        if data.dtype.kind == "f":
            return np.asarray(data)
        if data.dtype.kind not in "biu":
            raise TypeError(f"cannot make a Tensor from a numpy array of dtype {data.dtype}")
        dtype = get_default_dtype()
    else:
        dtype = get_default_dtype()
    return as_numbers(data, dtype, "a Tensor")


def as_numbers(data: Any, dtype: np.dtype | None, what: str) -> np.ndarray:
    """``data`` (a number, a list of numbers, a numeric array) as an array of ``dtype`` (None:
    its own); None, text and ragged lists raise a TypeError naming ``what`` (numpy would read
    None as NaN, and "1.5" as 1.5)."""
    try:
        probe = np.asarray(data)
        if probe.dtype.kind == "O" and dtype is not None and not any(x is None for x in probe.flat):
            probe = np.asarray(data, dtype=dtype)  # e.g. integers too large for int64
        if probe.dtype.kind not in "biuf":
            raise TypeError(f"it holds {reprlib.repr(data)}")
        return probe if dtype is None else probe.astype(dtype, copy=False)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"cannot make {what} from {type(data).__name__}: expected a number, a "
            f"(rectangular) list of numbers or a numeric numpy array ({error})"
        ) from None
    except OverflowError:  # a Python int beyond any float
        raise ValueError(f"cannot make {what} from {reprlib.repr(data)}: a number too large for {dtype}") from None


autograd._bind_tensor_class(Tensor)

# The ops import Function from autograd, which needs the Tensor class bound above.
from minigrad import ops  # noqa: E402
