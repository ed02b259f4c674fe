"""A tour of the optimizer story, SGD → AdaGrad → RMSProp → Adam → AdamW, one measured claim at a time.

    python examples/optimizer_tour.py                  # the whole tour (well under a minute)
    python examples/optimizer_tour.py --quick          # a smoke run in a few seconds
    python examples/optimizer_tour.py --out DIR --seed 1

Each step of the story rests on a claim, and each claim is tested by a small experiment on a 2-D
loss (parameters are minigrad Tensors, gradients come from ``backward()``, updates from the
optim/ classes); the code lives in ``examples/tour/``, one module per claim. An experiment
returns a ``Claim``: the measured numbers, a one-line verdict, whether the numbers bear the claim
out, and the arrays its figure is drawn from.

Outputs in ``--out``: ``tour.md`` (the claims in order, with figures and numbers), ``claim1.png``
… ``claim7.png`` (if matplotlib is installed), ``results.json`` (every number and verdict) and
``raw.npz`` (the arrays behind the figures).
"""

from __future__ import annotations

import argparse
import sys

from minigrad.cli import exit_on_interrupt, fill_default_out, output_folder_for
from minigrad.data import parse_seed
from tour import plots, runner
from tour.claim import Claim, figure_file


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The options: --out, --quick and --seed."""
    parser = argparse.ArgumentParser(prog="optimizer_tour.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    figures = [figure_file(number) for number in plots.FIGURES]
    out_type = output_folder_for("tour.md", "results.json", "raw.npz", *figures)
    parser.add_argument("--out", type=out_type, default=None,
                        help="folder for tour.md, the figures, results.json and raw.npz "
                             "(default: results/optimizer_tour/, or its quick/ subfolder with --quick)")
    parser.add_argument("--quick", action="store_true", help="small runs, for a smoke test (a few seconds)")
    parser.add_argument("--seed", type=parse_seed, default=0,
                        help="seed of the noisy experiments (claims 4, 6, 7; 0 to 2**32 - 1)")
    args = parser.parse_args(argv)
    fill_default_out(parser, args, "optimizer_tour", out_type)
    return args


def main(argv: list[str] | None = None) -> list[Claim]:
    """Run the tour as the command line asks, write its files, print a summary; return the claims."""
    with exit_on_interrupt("optimizer_tour.py"):
        args = parse_args(argv)
        command = f"python examples/optimizer_tour.py{' --quick' if args.quick else ''} --seed {args.seed}"
        try:
            outcome = runner.run(args.quick, args.seed, args.out, command)
        except OSError as error:  # a file it could not write (a folder in a figure's place, a full disk)
            sys.exit(f"optimizer_tour.py: error: {error}")
        for c in outcome.claims:
            print(f"{c.number}. {c.title}: {'borne out' if c.holds else 'NOT borne out'}\n   {c.verdict}")
        print(f"{len(outcome.claims)} claims in {outcome.seconds:.1f} s; tour.md, results.json, raw.npz"
              + (" and figures" if outcome.figures else " (figures skipped: no matplotlib)") + f" in {args.out}")
        return outcome.claims


if __name__ == "__main__":
    main()
