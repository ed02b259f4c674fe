"""What an experiment of the tour returns, and the small helpers every claim shares.

A ``Claim`` holds the measured numbers of one experiment and what they say. "Arrived" is
measured by ``steps_to_stay_below``: the first step t from which the loss L_t stays below a
threshold to the end of the run (a visit that does not last does not count). Learning-rate
grids are spaced evenly on a log scale: ``decades(a, b, k)`` is 10^a … 10^b, k per decade.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


def decades(low: float, high: float, per_decade: int) -> np.ndarray:
    """Learning rates 10^low … 10^high, ``per_decade`` of them evenly spaced per factor of 10."""
    return 10.0 ** np.linspace(low, high, round((high - low) * per_decade) + 1)


@dataclass
class Claim:
    """What one experiment found: ``numbers`` are the measurements (plain floats, ``inf`` for
    "never"), ``verdict`` says them in one line, ``holds`` is whether they bear the claim out,
    ``arrays`` are what the figure is drawn from, ``setup`` describes the experiment and ``notes``
    says what else the numbers show (the nuances a one-line verdict leaves out)."""

    number: int
    title: str
    setup: str
    verdict: str
    holds: bool
    numbers: dict[str, float]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    notes: str = ""


def figure_file(number: int) -> str:
    """The PNG file of claim ``number``'s figure, in the output folder."""
    return f"claim{number}.png"


def steps_to_stay_below(loss: np.ndarray, threshold: float) -> float:
    """The first t from which the loss stays below ``threshold`` to the end of the run
    (``inf`` if it never does): reaching the threshold and bouncing out again does not count."""
    above = np.flatnonzero(~(loss < threshold))
    if above.size == 0:
        return 0.0
    return math.inf if above[-1] == loss.size - 1 else float(above[-1] + 1)


def format_lr(value: float) -> str:
    """A learning rate in three significant digits."""
    return f"{value:.3g}"


def format_steps(value: float) -> str:
    """A count of steps, or "never" for inf."""
    return "never" if math.isinf(value) else f"{value:.0f}"
