"""Hypothesis strategies for the engine tests: random shapes, broadcast pairs, float64 data."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minigrad import Tensor

small_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonempty_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
broadcast_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
seeds = st.integers(0, 2**32 - 1)


def leaf(shape, seed: int, low: float = -2.0, high: float = 2.0, away_from_zero: float = 0.0) -> Tensor:
    """A float64 leaf tensor of ``shape`` with values in [low, high], |x| ≥ away_from_zero."""
    values = np.random.default_rng(seed).uniform(low, high, size=shape)
    if away_from_zero:
        values = np.where(values >= 0, 1, -1) * (np.abs(values) + away_from_zero)
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
