"""Whole-group updates on flat buffers: one vectorised update per group, not one per parameter.

An elementwise update rule (every optimizer class here but Muon) computes each coordinate from
that coordinate alone. Applying it once to all the parameters of a group laid side by side in
one flat array therefore gives exactly what applying it to each parameter in turn gives, with a
handful of numpy calls per group instead of a handful per parameter: on a small network most
of an optimizer step is that per-call overhead.

For the same reason the rule may be applied to a large group one block at a time. A rule makes
a dozen passes over its arrays; on a block that fits in the CPU's cache they run at cache
speed, while passes over a million-element buffer each stream it from main memory again.

A ``FlatGroup`` lays a group's parameters and their state arrays out in flat buffers, each
block starting on a cache line, and makes each ``param.data`` and each state array a view into
its buffer, so both ways of updating see the same numbers. The layout is checked before every
use: if a parameter's ``data`` was replaced or the state was reloaded, the group is laid out
again from the current values, so stale memory is never updated.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from minigrad import Tensor

State = dict[str, Any]
Rule = Callable[[np.ndarray, np.ndarray, State, dict], None]

# Bytes of one buffer per block: the blocks of the ~5 arrays a rule touches (parameters,
# gradient, moments, a scratch array) then fit together in a core's L2 cache.
BLOCK_BYTES = 256 * 1024

# Every buffer, and every shared block and large parameter in it, starts on a cache line, and
# so (BLOCK_BYTES being a whole number of lines) does every block: numpy's vector loops then
# load no vector that straddles two lines (measured with AVX-512: the AdamW update of a 64
# Ki-element float32 block took 5-15 % longer starting 16 or 40 bytes into a line). numpy
# itself only promises 16 bytes.
ALIGN_BYTES = 64


def aligned_zeros(size: int, dtype: np.dtype) -> np.ndarray:
    """A 1-D array of ``size`` zeros whose first element starts on a cache line."""
    if size < 0:
        raise ValueError(f"aligned_zeros needs a size >= 0, got {size}")
    itemsize = np.dtype(dtype).itemsize
    raw = np.zeros(size * itemsize + ALIGN_BYTES, np.uint8)
    skip = -raw.ctypes.data % ALIGN_BYTES
    return raw[skip:skip + size * itemsize].view(dtype)


def _round_up(offset: int, multiple: int) -> int:
    return -(-offset // multiple) * multiple


class FlatGroup:
    """The flat layout of one group: ``theta`` (parameters) and one buffer per state array;
    per-parameter views into each, and the blocks the rule is applied to."""

    def __init__(self, params: list[Tensor], states: list[State]) -> None:
        self.params = params
        self.states = states
        self.sizes = [p.data.size for p in params]
        self.start, self.length, self.cuts = self._lay_out()
        self.theta = self._pack([p.data for p in params])
        self.param_views = self._views(self.theta)
        for p, view in zip(params, self.param_views):
            p.data = view
        self.buffers = {k: self._pack([s[k] for s in states])
                        for k, v in states[0].items() if isinstance(v, np.ndarray)}
        self.state_views = {k: self._views(buffer) for k, buffer in self.buffers.items()}
        for k, views in self.state_views.items():
            for state, view in zip(states, views):
                state[k] = view
        # The numbers in the state (the step count, NAdam's running product), the same for all.
        self.number_keys = [k for k in states[0] if k not in self.buffers]
        # A rule may use "scratch" for its intermediates (Adam does) instead of allocating: it
        # is handed to the rule with each block, never stored in the parameters' state.
        self.scratch = aligned_zeros(self.length, self.theta.dtype)
        # Each block: its slices, its parameters, where it lies in the first one's gradient,
        # and, when it spans several parameters, a buffer to gather their gradients into.
        self.blocks = [
            (self.theta[lo:hi], [params[i] for i in members],
             slice(lo - self.start[members[0]], hi - self.start[members[0]]),
             aligned_zeros(hi - lo, self.theta.dtype) if len(members) > 1 else None,
             {"scratch": self.scratch[lo:hi], **{k: buffer[lo:hi] for k, buffer in self.buffers.items()}})
            for lo, hi, members in self.cuts
        ]

    def _block_size(self) -> int:
        return max(1, BLOCK_BYTES // self.params[0].data.itemsize)

    def _line(self) -> int:
        """Elements per cache line."""
        return max(1, ALIGN_BYTES // self.params[0].data.itemsize)

    def _large(self) -> int:
        """From half a block on, a parameter gets blocks of its own. Below, copying its gradient
        into a shared block each step costs less than the rule's dozen numpy calls on a block of
        its own (measured: gathering a 64 KiB gradient saves ~10 µs a step)."""
        return max(1, self._block_size() // 2)

    def _lay_out(self) -> tuple[list[int], int, list[tuple[int, int, list[int]]]]:
        """Where each parameter starts in the flat buffers, their length, and the blocks, as
        (start, stop, indices of the parameters they cover).

        The small parameters come first, side by side, and share blocks (their gradients are
        gathered into one buffer each step); each large one is cut into blocks of its own,
        which read its gradient where it is. Every shared block and every large parameter
        starts on a cache line; the gaps this leaves between them are in no block, and so are
        parameters of size 0 that would make a block of nothing on their own."""
        size, large, line = self._block_size(), self._large(), self._line()
        sizes, start = self.sizes, [0] * len(self.sizes)
        cuts: list[tuple[int, int, list[int]]] = []
        offset = 0
        run: list[int] = []  # small parameters sharing the block being filled
        for i in (i for i in range(len(sizes)) if sizes[i] < large):
            if run and offset + sizes[i] - start[run[0]] > size:
                cuts.append((start[run[0]], offset, run))
                run, offset = [], _round_up(offset, line)
            start[i], offset = offset, offset + sizes[i]
            run.append(i)
        if run:
            cuts.append((start[run[0]], offset, run))
        for i in (i for i in range(len(sizes)) if sizes[i] >= large):
            start[i] = lo = _round_up(offset, line)
            offset = lo + sizes[i]
            cuts += [(s, min(s + size, offset), [i]) for s in range(lo, offset, size)]
        # (a group of nothing but size-0 parameters keeps its one empty block: the rule must still
        # advance the numbers in the state, as NAdam's running product)
        return start, offset, [cut for cut in cuts if cut[0] < cut[1]] or cuts

    @staticmethod
    def can_hold(params: list[Tensor], states: list[State]) -> bool:
        """One dtype for all parameters, state arrays shaped like their parameter, and the
        same numbers (step count, NAdam's running product) in every state: one step count
        serves the whole group. (It differs after some parameter skipped a step.)"""
        dtype = params[0].data.dtype
        numbers = {k: v for k, v in states[0].items() if not isinstance(v, np.ndarray)}
        return all(p.data.dtype == dtype for p in params) and all(
            v.shape == p.data.shape if isinstance(v, np.ndarray) else v == numbers.get(k)
            for p, s in zip(params, states) for k, v in s.items()
        )

    def _pack(self, arrays: list[np.ndarray]) -> np.ndarray:
        """The arrays (one per parameter, shaped like it) copied into a new flat buffer at their
        places; the gaps between blocks hold zeros."""
        buffer = aligned_zeros(self.length, self.params[0].data.dtype)
        for view, array in zip(self._views(buffer), arrays):
            view[...] = array
        return buffer

    def _views(self, buffer: np.ndarray) -> list[np.ndarray]:
        return [buffer[lo:lo + n].reshape(p.data.shape) for lo, n, p in zip(self.start, self.sizes, self.params)]

    def is_current(self, params: list[Tensor], state: dict[Tensor, State]) -> bool:
        """True while the parameters, their ``data``, their state dicts (looked up in ``state``)
        and the state arrays are still the very objects this layout made."""
        if len(params) != len(self.params):
            return False
        for p, q, view, s in zip(params, self.params, self.param_views, self.states):
            if p is not q or p.data is not view or state.get(p) is not s:
                return False
        for key, views in self.state_views.items():
            for s, view in zip(self.states, views):
                if s[key] is not view:
                    return False
        return True

    def step(self, rule: Rule, group: dict) -> None:
        """Advance the step count and apply ``rule`` to the flat buffers, block by block."""
        first = self.states[0]
        numbers = {k: first[k] for k in self.number_keys}
        numbers["step"] += 1
        for theta, members, part, gathered, buffers in self.blocks:
            if len(members) == 1:  # (part of) one parameter: its gradient is read in place
                grad = members[0].grad.reshape(-1)[part]
            else:
                grad = np.concatenate([p.grad.ravel() for p in members], out=gathered)
            block_state = {**numbers, **buffers}
            rule(theta, grad, block_state, group)
        # Every block saw the same numbers and so updated them (NAdam's product) alike.
        numbers = {k: block_state[k] for k in self.number_keys}
        for s in self.states:
            s.update(numbers)
