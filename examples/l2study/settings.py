"""What one invocation of the study asks for."""

from __future__ import annotations

from dataclasses import dataclass

from minigrad.data import MAX_SEED, check_seed


@dataclass(frozen=True)
class Settings:
    """The base ``seed``, how many ``seeds`` the multi-seed parts average over (seed, seed + 1,
    …), and ``quick``: a reduced study for smoke tests. Every run is a function of these alone,
    so the same settings give bit-identical numbers. Every seed must be one scikit-learn takes
    (``minigrad.data.check_seed``)."""

    seed: int = 0
    seeds: int = 3
    quick: bool = False

    def __post_init__(self) -> None:
        if self.seeds < 1:
            raise ValueError(f"seeds must be at least 1, got {self.seeds}")
        check_seed(self.seed)
        if self.seed + self.seeds - 1 > MAX_SEED:
            raise ValueError(f"the last seed, seed + seeds - 1 = {self.seed + self.seeds - 1}, is past the "
                             f"largest one, 2**32 - 1 = {MAX_SEED}")

    @property
    def seed_list(self) -> list[int]:
        return [self.seed + i for i in range(self.seeds)]
