"""The default random generator, used wherever a model or loader is given no ``rng``."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Re-seed the default generator so that later models and shuffles are reproducible."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Turn ``rng`` (a Generator, a seed, or None for the default generator) into a Generator."""
    if rng is None:
        return _generator
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")
