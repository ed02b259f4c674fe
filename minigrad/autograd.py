"""The machinery of reverse mode: grad mode, the Function base class, and the backward pass.

Every primitive op is a small subclass of ``Function`` that states only its math:

    forward(self, *arrays, **params) -> ndarray     (may keep on ``self`` what backward needs)
    backward(self, grad) -> tuple                   (one gradient or None per input)

Everything else is done here, once, for every op:

* Python numbers and numpy arrays given as operands become constant tensors
  (a Python number takes the dtype of the tensor it meets, as in numpy 2 and PyTorch);
* a shape error from numpy is re-raised naming the op and the shapes involved;
* a node is recorded only when grad mode is on and some input requires grad;
* in backward, each input's gradient is reduced back to that input's shape (``unbroadcast``),
  cast to its dtype, and accumulated: a tensor used twice receives the sum of both paths.

The graph holds no reference cycles: an output tensor points to the Function that made it, the
Function points to its inputs, and nothing points back. After ``backward`` each Function drops
its inputs and saved arrays, so intermediate memory is freed at once, without the garbage
collector.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

import numpy as np

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True when operations are being recorded for backward."""
    return _grad_enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Context manager in which no graph is recorded (evaluation, optimizer updates)."""
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = False
    try:
        yield
    finally:
        _grad_enabled = previous


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: the adjoint of numpy broadcasting.

    Broadcasting first prepends axes, then stretches size-1 axes; the gradient of a broadcast
    input is therefore the sum over the prepended axes and over the stretched ones.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


class Function:
    """A node of the graph: one primitive op. See the module docstring for the contract."""

    inputs: tuple[Tensor, ...]
    needs_grad: tuple[bool, ...]
    released = False

    def forward(self, *arrays: np.ndarray, **params) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def apply(cls, *operands, **params) -> Tensor:
        """Run the op forward on tensors (or numbers/arrays) and record it if needed."""
        inputs = _as_tensors(operands)
        fn = cls()
        arrays = [t.data for t in inputs]
        try:
            out = fn.forward(*arrays, **params)
        except (ValueError, IndexError) as error:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise type(error)(f"{cls.__name__.lower()} of shapes {shapes}: {error}") from None
        if _grad_enabled:
            needs = tuple(t.requires_grad for t in inputs)
            if any(needs):
                fn.inputs = inputs
                fn.needs_grad = needs
                return _tensor_cls._from_op(out, fn)
        return _tensor_cls._from_op(out, None)

    def release(self) -> None:
        """Drop the inputs and everything saved for backward (called after backward)."""
        self.__dict__.clear()
        self.released = True


def _as_tensors(operands: tuple) -> tuple[Tensor, ...]:
    """Wrap numbers and arrays into constant tensors; numbers take a tensor operand's dtype."""
    Tensor = _tensor_cls
    if all(type(x) is Tensor for x in operands):
        return operands
    like = next((x.dtype for x in operands if isinstance(x, Tensor)), None)
    wrapped = []
    for x in operands:
        if isinstance(x, Tensor):
            wrapped.append(x)
        elif isinstance(x, (bool, int, float)) and like is not None:
            wrapped.append(Tensor(np.asarray(x, dtype=like)))
        else:
            wrapped.append(Tensor(x))
    return tuple(wrapped)


def run_backward(root: Tensor, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Propagate ``grad`` (the gradient of some scalar w.r.t. ``root``) to every leaf.

    Nodes are visited in reverse topological order, so a node's gradient is complete (all its
    consumers have contributed) before it is passed on to its inputs.
    """
    order = _topological_order(root)
    grads: dict[int, np.ndarray] = {id(root): grad}
    # How many places each gradient array was handed to (the caller's counts as one more), so
    # that a leaf keeps an array without copying only when nobody else can see it.
    holders: dict[int, list] = {id(grad): [grad, 2]}
    for node in reversed(order):
        g = grads.pop(id(node), None)
        fn = node._ctx
        if fn is None:
            if g is not None:
                _accumulate_leaf(node, g, holders[id(g)][1] == 1)
            continue
        if fn.released:
            raise RuntimeError(
                "backward through a graph that was already freed: a second backward over the "
                "same graph needs backward(retain_graph=True) the first time"
            )
        if g is not None:
            for inp, needs, ig in zip(fn.inputs, fn.needs_grad, fn.backward(g)):
                if not needs or ig is None:
                    continue
                ig = unbroadcast(ig, inp.data.shape)
                if ig.dtype != inp.data.dtype:
                    ig = ig.astype(inp.data.dtype)
                previous = grads.get(id(inp))
                # The first gradient to arrive is kept as it is (no copy); later ones are added
                # out of place, since the first array may be shared with another input.
                total = ig if previous is None else previous + ig
                grads[id(inp)] = total
                holders.setdefault(id(total), [total, 0])[1] += 1
        if not retain_graph:
            fn.release()


def _topological_order(root: Tensor) -> list[Tensor]:
    """Inputs-before-outputs order of the nodes that require grad, by iterative DFS.

    No recursion, so a chain of 100,000 ops is fine. Each node is pushed once unexpanded; when
    popped it is pushed again as "done" below its inputs, so it is emitted after all of them.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        fn = node._ctx
        if fn is not None and not fn.released:
            for inp, needs in zip(fn.inputs, fn.needs_grad):
                if needs and id(inp) not in visited:
                    stack.append((inp, False))
    return order


def _accumulate_leaf(leaf: Tensor, g: np.ndarray, sole_holder: bool) -> None:
    """Add ``g`` into ``leaf.grad`` (PyTorch semantics: gradients accumulate until zeroed)."""
    if leaf.grad is not None:
        leaf.grad += g
    elif sole_holder and g.base is None and g.flags.writeable and g.flags.c_contiguous:
        leaf.grad = g
    else:
        leaf.grad = np.array(g, dtype=leaf.data.dtype, order="C")


_tensor_cls: type[Tensor]


def _bind_tensor_class(cls: type[Tensor]) -> None:
    """Called once by ``minigrad.tensor``: lets this module build Tensors without an import cycle."""
    global _tensor_cls
    _tensor_cls = cls
