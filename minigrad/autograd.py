"""The machinery of reverse mode: grad mode, the Function base class, and the backward pass.

Every primitive op is a small subclass of ``Function`` that states only its math:

    forward(self, *arrays, **params) -> ndarray     (may keep on ``self`` what backward needs)
    backward(self, grad) -> tuple                   (one gradient or None per input)

Everything else is done here, once, for every op:

* Python numbers, lists and numpy arrays given as operands become constant tensors (numbers,
  lists and integer arrays take the dtype of the computation they join, as a Python number
  does in numpy 2 and PyTorch; float arrays keep theirs);
* an error from numpy (a shape that does not fit, an axis or index of the wrong kind) is
  re-raised naming the op and the shapes involved;
* a node is recorded only when grad mode is on and some input requires grad;
* in backward, each input's gradient is reduced back to that input's shape (``unbroadcast``),
  cast to its dtype, and accumulated: a tensor used twice receives the sum of both paths;
  once a tensor's gradient is complete, its hooks (``Tensor.register_hook``) see it, and may
  replace it, before it flows on or is stored.

The graph holds no reference cycles: an output tensor points to the Function that made it, the
Function points to its inputs, and nothing points back. After ``backward`` each node lets go of
its Function, and with it the Function's inputs and saved arrays, so intermediate memory is
freed at once, without the garbage collector.
"""

from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


class _GradMode(threading.local):
    """Whether ops are recorded, per thread (as in PyTorch): a thread inside ``no_grad`` must
    not stop another thread's graph from being recorded."""

    enabled = True


_grad_mode = _GradMode()
_sequence = itertools.count()  # numbers the recorded Functions in the order they were made


def is_grad_enabled() -> bool:
    """True when operations are being recorded for backward."""
    return _grad_mode.enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Context manager in which no graph is recorded (evaluation, optimizer updates), in the
    calling thread only."""
    previous = _grad_mode.enabled
    _grad_mode.enabled = False
    try:
        yield
    finally:
        _grad_mode.enabled = previous


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: the adjoint of numpy broadcasting.

    Broadcasting first prepends axes, then stretches size-1 axes; the gradient of a broadcast
    input is therefore the sum over the prepended axes and over the stretched ones. A ``grad``
    that no broadcast of ``shape`` could have produced raises ValueError.
    """
    if grad.shape == shape:
        return grad
    reduced = grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        reduced = reduced.sum(axis=tuple(range(extra)))
    if extra >= 0:
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and reduced.shape[i] != 1)
        if stretched:
            reduced = reduced.sum(axis=stretched, keepdims=True)
    if reduced.shape != shape:
        raise ValueError(f"a gradient of shape {grad.shape} does not broadcast from shape {shape}")
    return reduced


class Function:
    """A node of the graph: one primitive op. See the module docstring for the contract."""

    inputs: tuple[Tensor, ...]
    needs_grad: tuple[bool, ...]
    seq: int
    retains_grad = False  # set by Tensor.retain_grad: its output keeps its gradient in .grad

    def forward(self, *arrays: np.ndarray, **params: Any) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def apply(cls, *operands: Any, **params: Any) -> Tensor:
        """Run the op forward on tensors (or numbers/arrays) and record it if needed."""
        inputs = _as_tensors(operands)
        fn = cls()
        try:
            out = fn.forward(*[t.data for t in inputs], **params)
        except (ValueError, IndexError, TypeError) as error:
            shapes = ", ".join(str(t.data.shape) for t in inputs)
            raise renamed(error, f"{cls.__name__.lower()} of shapes {shapes}: {error}") from None
        if _grad_mode.enabled:
            needs = tuple([t.requires_grad for t in inputs])
            if True in needs:
                fn.seq = next(_sequence)
                fn.inputs = inputs
                fn.needs_grad = needs
                return _make_tensor(out, fn)
        return _make_tensor(out, None)


def renamed(error: Exception, message: str) -> Exception:
    """An error of ``error``'s type carrying ``message``; of its built-in base type when the
    type needs more to be built (some numpy exceptions take extra arguments)."""
    try:
        return type(error)(message)
    except TypeError:
        base = next(kind for kind in (ValueError, IndexError, TypeError) if isinstance(error, kind))
        return base(message)


class _Freed(Function):
    """Stands in for a Function after backward has used it and let it go."""

    seq = -1
    inputs = needs_grad = ()


_FREED = _Freed()


def _freed_graph_error() -> RuntimeError:
    return RuntimeError(
        "backward through a graph that was already freed: a second backward over the "
        "same graph needs backward(retain_graph=True) the first time"
    )


def _as_tensors(operands: tuple) -> tuple[Tensor, ...]:
    """Wrap numbers, lists and arrays into constant tensors.

    A float array keeps its dtype. Anything else (numbers, lists, integer arrays) takes the
    dtype of the computation it joins: that of the tensor operands (promoted together), else of
    the first float array; only with neither does it take the default dtype. (So a constant is
    never rounded to float32 inside a float64 computation.)
    """
    Tensor = _tensor_cls
    for x in operands:
        if not isinstance(x, Tensor):
            break
    else:
        return operands  # the common case: all operands are tensors already
    tensor_dtypes = [x.data.dtype for x in operands if isinstance(x, Tensor)]
    like = np.result_type(*tensor_dtypes) if tensor_dtypes else None
    if like is None:
        like = next((x.dtype for x in operands if _is_float_array(x)), None)
    return tuple(x if isinstance(x, Tensor) else Tensor(x, dtype=_constant_dtype(x, like)) for x in operands)


def _constant_dtype(x: object, like: np.dtype | None) -> np.dtype | None:
    """The dtype for a constant operand: ``like`` for numbers, lists and integer or boolean
    arrays; None (keep or refuse, as ``Tensor()`` decides) for float arrays and anything else."""
    if isinstance(x, np.ndarray):
        return like if x.dtype.kind in "biu" else None
    return like if isinstance(x, (bool, int, float, list, tuple, np.bool_, np.integer, np.floating)) else None


def _is_float_array(x: object) -> bool:
    return isinstance(x, np.ndarray) and x.dtype.kind == "f"


def run_backward(root: Tensor, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Propagate ``grad`` (the gradient of some scalar w.r.t. ``root``) to every leaf.

    Nodes are visited in reverse topological order, so a node's gradient is complete (all its
    consumers have contributed) before it is passed on to its inputs. Every op is recorded
    after its inputs exist, so the recording sequence numbers are a topological order: the
    walk always takes next, from a heap, the pending node recorded last. (Any consumer of that
    node still to come would have been recorded later, and so would be reached first.) The
    walk is iterative: a chain of 100,000 ops needs no recursion.

    A leaf keeps the gradient array it receives without copying it only when that array is
    *private*: made by a backward for this input alone. The caller's ``grad`` and an incoming
    gradient passed straight through (``Add`` returns ``g, g``) may be seen elsewhere, so a
    leaf copies those. (A backward may therefore return its own ``g`` for several inputs, but
    must not return one new array for two inputs.)
    """
    if root._ctx is None:
        _accumulate_grad(root, run_hooks(root, grad) if root._hooks else grad, False)
        return
    if root._ctx is _FREED:
        raise _freed_graph_error()
    # Pending gradients, keyed by tensor (tensors hash by identity), each with a flag: private?
    grads: dict[Tensor, tuple[np.ndarray, bool]] = {root: (grad, False)}
    pending = [(-root._ctx.seq, root)]
    leaves = []
    while pending:
        node = heappop(pending)[1]
        fn = node._ctx
        g = grads.pop(node)[0]
        if node._hooks:
            g = run_hooks(node, g)
        if fn.retains_grad:  # complete now: all the node's consumers have contributed
            _accumulate_grad(node, g, False)
        for inp, needs, ig in zip(fn.inputs, fn.needs_grad, fn.backward(g)):
            if not needs or ig is None:
                continue
            data = inp.data
            own = ig is not g
            if ig.shape != data.shape:
                ig, own = _fit_to_input(ig, data.shape, fn), True
            if ig.dtype is not data.dtype:
                cast = ig.astype(data.dtype, copy=False)
                ig, own = cast, own or cast is not ig
            previous = grads.get(inp)
            if previous is None:  # the first gradient to arrive is kept as it is (no copy)
                grads[inp] = (ig, own)
                ctx = inp._ctx
                if ctx is None:
                    leaves.append(inp)
                elif ctx is _FREED:
                    raise _freed_graph_error()
                else:
                    heappush(pending, (-ctx.seq, inp))
            else:  # later ones are added out of place: the first may be shared with another input
                grads[inp] = (previous[0] + ig, True)
        if not retain_graph:
            # Dropping the Function frees its inputs and saved arrays at once; the node keeps a
            # marker so that a second backward through it can say what went wrong.
            node._ctx = _FREED
    for leaf in leaves:
        g, private = grads[leaf]
        if leaf._hooks:  # (a hook may keep g: .grad must not be that array, added into later)
            g, private = run_hooks(leaf, g), False
        _accumulate_grad(leaf, g, private)


def run_hooks(tensor: Tensor, grad: np.ndarray) -> np.ndarray:
    """The gradient of ``tensor`` after its hooks, in the order they were registered: each is
    called with the gradient so far and returns None (keep it) or a replacement of its shape."""
    for hook in tuple(tensor._hooks.values()):  # (a hook may remove itself)
        result = hook(grad)
        if result is None:
            continue
        replaced = result.data if isinstance(result, _tensor_cls) else result
        if isinstance(replaced, np.generic):  # (numpy's arithmetic on a 0-d array gives a scalar)
            replaced = np.asarray(replaced)
        # (integer and boolean arrays are cast below; a complex one would lose its imaginary part)
        if not (isinstance(replaced, np.ndarray) and replaced.shape == grad.shape and replaced.dtype.kind in "biuf"):
            raise RuntimeError(
                f"the hook {getattr(hook, '__qualname__', hook)!r} of a tensor of shape {grad.shape} returned "
                f"{_describe(replaced)}; a hook returns None or a real-valued gradient of the tensor's shape"
            )
        grad = replaced.astype(grad.dtype, copy=False)
    return grad


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def _fit_to_input(grad: np.ndarray, shape: tuple[int, ...], fn: Function) -> np.ndarray:
    """``grad`` summed down to its input's ``shape``, or an error naming the op at fault."""
    try:
        return unbroadcast(grad, shape)
    except ValueError as error:
        raise RuntimeError(f"{type(fn).__name__}.backward returned a gradient of the wrong shape: {error}") from None


def _accumulate_grad(tensor: Tensor, g: np.ndarray, private: bool) -> None:
    """Add ``g`` into ``tensor.grad`` (PyTorch semantics: gradients accumulate until zeroed)."""
    if tensor.grad is not None:
        tensor.grad += g
    elif private and g.base is None and g.flags.writeable and g.flags.c_contiguous:
        tensor.grad = g
    else:
        tensor.grad = np.array(g, dtype=tensor.data.dtype, order="C")


_tensor_cls: type[Tensor]
_make_tensor: Callable[[np.ndarray, Function | None], Tensor]


def _bind_tensor_class(cls: type[Tensor]) -> None:
    """Called once by ``minigrad.tensor``: lets this module build Tensors without an import cycle."""
    global _tensor_cls, _make_tensor
    _tensor_cls = cls
    _make_tensor = cls._from_op
