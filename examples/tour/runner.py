"""The tour from start to end: run the seven claims in order (full, or quick for a smoke run),
draw each one's figure, and write the files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from minigrad.files import make_folder
from tour import plots, report
from tour.adagrad import claim_3_adagrad_dies
from tour.bias_correction import claim_5_bias_correction
from tour.claim import Claim, decades
from tour.noise import claim_6_momentum_smooths
from tour.scales import claim_2_two_scales
from tour.sparse import claim_4_rare_features
from tour.valley import claim_1_valley
from tour.weight_decay import claim_7_weight_decay


def plan(quick: bool, seed: int) -> list[tuple[Callable[..., Claim], dict[str, Any]]]:
    """The seven experiments with their settings: full, or small enough for a smoke run."""
    if quick:
        return [
            (claim_1_valley, {"window": 300, "horizon": 600}),
            (claim_2_two_scales, {"grid": decades(-4.0, 1.0, 2)}),
            (claim_3_adagrad_dies, {"steps": 5000}),
            (claim_4_rare_features, {"steps": 500, "streams": 16, "seed": seed}),
            (claim_5_bias_correction, {}),
            (claim_6_momentum_smooths, {"steps": 600, "seed": seed}),
            (claim_7_weight_decay, {"steps": 300, "replicas": 64, "seed": seed}),
        ]
    return [
        (claim_1_valley, {}), (claim_2_two_scales, {}), (claim_3_adagrad_dies, {}),
        (claim_4_rare_features, {"seed": seed}), (claim_5_bias_correction, {}),
        (claim_6_momentum_smooths, {"seed": seed}), (claim_7_weight_decay, {"seed": seed}),
    ]


@dataclass
class Outcome:
    """The claims in order, whether their figures were drawn, and the seconds the tour took."""

    claims: list[Claim]
    figures: bool
    seconds: float


def run(quick: bool, seed: int, out: Path, command: str) -> Outcome:
    """Run every claim of ``plan``; then draw their figures into ``out`` (if matplotlib is
    installed) and write the files, saying ``command`` produced them. (Nothing is written until
    every claim is done, so a tour stopped part-way leaves an earlier run's files as they were.)"""
    make_folder(out)
    plt = plots.pyplot()
    began = time.perf_counter()
    claims = [experiment(**settings)
              for experiment, settings in tqdm(plan(quick, seed), desc="optimizer tour", unit="claim")]
    if plt is not None:
        for claim in claims:
            plots.save(claim, plt, out)
    seconds = time.perf_counter() - began
    report.write(out, claims, plt is not None, command, seconds, quick, seed)
    return Outcome(claims, plt is not None, seconds)
