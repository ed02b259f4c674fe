"""Whole-group updates on flat buffers: one vectorised update per group, not one per parameter.

An elementwise update rule (every optimizer here except Muon) computes each coordinate from
that coordinate alone. Applying it once to all the parameters of a group laid end to end in one
flat array therefore gives exactly what applying it to each parameter in turn gives, with a
handful of numpy calls per group instead of a handful per parameter: on a small network most
of an optimizer step is that per-call overhead.

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


class FlatGroup:
    """The flat layout of one group: ``theta`` (parameters), ``grad``, and one buffer per state
    array; per-parameter views into each."""

    def __init__(self, params: list[Tensor], states: list[State]) -> None:
        self.params = params
        self.states = states
        self.bounds = np.cumsum([0] + [p.data.size for p in params])
        self.theta = self._pack([p.data for p in params])
        self.param_views = self._views(self.theta, params)
        for p, view in zip(params, self.param_views):
            p.data = view
        self.grad = np.empty_like(self.theta)
        self.buffers = {k: self._pack([s[k] for s in states])
                        for k, v in states[0].items() if isinstance(v, np.ndarray)}
        self.state_views = {k: self._views(buffer, params) for k, buffer in self.buffers.items()}
        for k, views in self.state_views.items():
            for state, view in zip(states, views):
                state[k] = view

    @staticmethod
    def can_hold(params: list[Tensor], states: list[State]) -> bool:
        """One dtype for all parameters, and state arrays shaped like their parameter."""
        dtype = params[0].data.dtype
        return all(p.data.dtype == dtype for p in params) and all(
            v.shape == p.data.shape
            for p, s in zip(params, states) for v in s.values() if isinstance(v, np.ndarray)
        )

    def _pack(self, arrays: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([np.ravel(a) for a in arrays])

    def _views(self, buffer: np.ndarray, params: list[Tensor]) -> list[np.ndarray]:
        return [buffer[lo:hi].reshape(p.data.shape) for lo, hi, p in zip(self.bounds, self.bounds[1:], params)]

    def is_current(self, params: list[Tensor], states: list[State]) -> bool:
        """True while the parameters and state arrays are still the views this layout made,
        and still views of its buffers (a copy or an unpickled optimizer keeps the objects but
        not the sharing)."""
        if len(params) != len(self.params):
            return False
        for p, q, view, s, t in zip(params, self.params, self.param_views, states, self.states):
            if p is not q or p.data is not view or view.base is not self.theta or s is not t:
                return False
        for key, views in self.state_views.items():
            buffer = self.buffers[key]
            for s, view in zip(states, views):
                if s[key] is not view or view.base is not buffer:
                    return False
        return True

    def update(self, rule: Callable[[np.ndarray, np.ndarray, State, dict], None], group: dict) -> bool:
        """Run ``rule`` once on the flat buffers. Numbers in the state (the step count, NAdam's
        running product) must agree across the group's parameters; if they do not (some
        parameter skipped a step), nothing is done and False is returned."""
        first = self.states[0]
        numbers = {k: v for k, v in first.items() if k not in self.buffers}
        for s in self.states:
            for k, v in numbers.items():
                if s[k] != v:
                    return False
        np.concatenate([p.grad.ravel() for p in self.params], out=self.grad)
        flat_state = {**numbers, **self.buffers}
        rule(self.theta, self.grad, flat_state, group)
        for k in numbers:
            for s in self.states:
                s[k] = flat_state[k]
        return True
