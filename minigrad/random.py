"""The default random generator, used wherever a model or loader is given no ``rng``."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Re-seed the default generator so that later models and shuffles are reproducible.
    ``seed`` is an integer ≥ 0 (None, which numpy reads as "seed from the system", is refused)."""
    global _generator
    _generator = np.random.default_rng(_checked_seed(seed, "manual_seed's seed"))
    return _generator


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Turn ``rng`` (a Generator, a seed ≥ 0, or None for the default generator) into a Generator."""
    if rng is None:
        return _generator
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(_checked_seed(rng, "an rng seed"))
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")


def _checked_seed(seed: object, what: str) -> int:
    """``seed`` as an int: a TypeError when it is not an integer, a ValueError when it is < 0."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"{what} must be an integer >= 0, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{what} must be an integer >= 0, got {seed!r}")
    return int(seed)
