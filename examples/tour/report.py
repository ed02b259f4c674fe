"""The tour's files: ``tour.md`` (a summary table, then each claim with its setup, figure, numbers
and verdict), ``results.json`` (every number and verdict; inf and nan as null) and ``raw.npz``
(the arrays behind the figures, as ``claimN.name``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from minigrad.files import atomic_path, write_text
from tour.claim import Claim, figure_file


def _number(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:.4g}"


def markdown(claims: list[Claim], figures: bool, command: str, seconds: float) -> str:
    """tour.md: a summary table, then each claim in order with its setup, figure, numbers and verdict."""
    lines = [
        "# Optimizer tour: the claims of the SGD → AdaGrad → RMSProp → Adam → AdamW story, measured",
        "",
        f"Produced by `{command}` in {seconds:.1f} s.",
        "",
    ]
    if not figures:
        lines += ["Figures were skipped: matplotlib is not installed (`pip install -e \".[plot]\"`). "
                  "The numbers and verdicts below are measured all the same.", ""]
    lines += ["| # | claim | borne out |", "| --- | --- | --- |"]
    lines += [f"| {c.number} | {c.title} | {'yes' if c.holds else 'NO'} |" for c in claims]
    for c in claims:
        lines += ["", f"## {c.number}. {c.title}", "", c.setup, ""]
        if figures:
            lines += [f"![claim {c.number}]({figure_file(c.number)})", ""]
        lines += [f"**Verdict ({'borne out' if c.holds else 'not borne out'}):** {c.verdict}.", "",
                  c.notes, "", "| measured | value |", "| --- | --- |"]
        lines += [f"| {key} | {_number(value)} |" for key, value in c.numbers.items()]
    return "\n".join(lines) + "\n"


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def write(out: Path, claims: list[Claim], figures: bool, command: str, seconds: float, quick: bool,
          seed: int) -> None:
    """Write tour.md, results.json and raw.npz into ``out``, each atomically."""
    write_text(out / "tour.md", markdown(claims, figures, command, seconds))
    results = {"seed": seed, "quick": quick, "seconds": seconds, "claims": [
        {"number": c.number, "title": c.title, "holds": c.holds, "verdict": c.verdict, "setup": c.setup,
         "notes": c.notes, "numbers": {k: _json_number(v) for k, v in c.numbers.items()}} for c in claims]}
    write_text(out / "results.json", json.dumps(results, indent=1, ensure_ascii=False))
    with atomic_path(out / "raw.npz") as temporary:
        np.savez_compressed(temporary, **{f"claim{c.number}.{k}": a for c in claims for k, a in c.arrays.items()})
