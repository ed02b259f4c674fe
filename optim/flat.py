"""Whole-group updates on flat buffers: one vectorised update per group, not one per parameter.

An elementwise update rule (every optimizer here except Muon) computes each coordinate from
that coordinate alone. Applying it once to all the parameters of a group laid end to end in one
flat array therefore gives exactly what applying it to each parameter in turn gives, with a
handful of numpy calls per group instead of a handful per parameter: on a small network most
of an optimizer step is that per-call overhead.

For the same reason the rule may be applied to a large group one block at a time. A rule makes
a dozen passes over its arrays; on a block that fits in the CPU's cache they run at cache
speed, while passes over a million-element buffer each stream it from main memory again.

A ``FlatGroup`` lays a group's parameters and their state arrays end to end in flat buffers
and makes each ``param.data`` and each state array a view into its buffer, so both ways of
updating see the same numbers. The layout is checked before every use: if a parameter's
``data`` was replaced or the state was reloaded, the group is laid out again from the current
values, so stale memory is never updated.
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


class FlatGroup:
    """The flat layout of one group: ``theta`` (parameters) and one buffer per state array;
    per-parameter views into each, and the blocks the rule is applied to."""

    def __init__(self, params: list[Tensor], states: list[State]) -> None:
        self.params = params
        self.states = states
        self.bounds = np.cumsum([0] + [p.data.size for p in params])
        self.theta = self._pack([p.data for p in params])
        self.param_views = self._views(self.theta, params)
        for p, view in zip(params, self.param_views):
            p.data = view
        self.buffers = {k: self._pack([s[k] for s in states])
                        for k, v in states[0].items() if isinstance(v, np.ndarray)}
        self.state_views = {k: self._views(buffer, params) for k, buffer in self.buffers.items()}
        for k, views in self.state_views.items():
            for state, view in zip(states, views):
                state[k] = view
        # The numbers in the state (the step count, NAdam's running product), the same for all.
        self.number_keys = [k for k in states[0] if k not in self.buffers]
        # A rule may use "scratch" for its intermediates (Adam does) instead of allocating: it
        # is handed to the rule with each block, never stored in the parameters' state.
        self.scratch = np.empty_like(self.theta)
        # Each block: its slices, its parameters, where it lies in the first one's gradient,
        # and, when it spans several parameters, a buffer to gather their gradients into.
        self.blocks = [
            (self.theta[lo:hi], [params[i] for i in members],
             slice(lo - self.bounds[members[0]], hi - self.bounds[members[0]]),
             np.empty(hi - lo, self.theta.dtype) if len(members) > 1 else None,
             {"scratch": self.scratch[lo:hi], **{k: buffer[lo:hi] for k, buffer in self.buffers.items()}})
            for lo, hi, members in self._cut()
        ]

    def _cut(self) -> list[tuple[int, int, list[int]]]:
        """The blocks, as (start, stop, indices of the parameters they cover). A parameter at
        least a block long is cut into blocks of its own, which read its gradient where it is;
        smaller neighbours share a block, their gradients gathered into one buffer each step."""
        size = max(1, BLOCK_BYTES // self.theta.itemsize)
        bounds = self.bounds
        cuts: list[tuple[int, int, list[int]]] = []
        run: list[int] = []  # small parameters waiting to share a block
        for i in range(len(self.params)):
            lo, hi = bounds[i], bounds[i + 1]
            if run and (hi - lo >= size or hi - bounds[run[0]] > size):
                cuts.append((bounds[run[0]], lo, run))
                run = []
            if hi - lo >= size:
                cuts += [(start, min(start + size, hi), [i]) for start in range(lo, hi, size)]
            else:
                run.append(i)
        if run:
            cuts.append((bounds[run[0]], bounds[run[-1] + 1], run))
        return cuts

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
        return np.concatenate([np.ravel(a) for a in arrays])

    def _views(self, buffer: np.ndarray, params: list[Tensor]) -> list[np.ndarray]:
        return [buffer[lo:hi].reshape(p.data.shape) for lo, hi, p in zip(self.bounds, self.bounds[1:], params)]

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
