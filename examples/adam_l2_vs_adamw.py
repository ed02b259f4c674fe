"""Coupled L2 in Adam vs AdamW's decoupled weight decay: a reproducible study in six parts.

    python examples/adam_l2_vs_adamw.py                 # the whole study (one to two minutes on 2 cores)
    python examples/adam_l2_vs_adamw.py --quick         # a reduced study (seconds)
    python examples/adam_l2_vs_adamw.py --part grid     # one part

Adding λ/2‖θ‖² to the loss (or ``weight_decay`` in Adam, the same thing) divides the decay of
each parameter by its gradient RMS √v̂; AdamW's decoupled decay shrinks every parameter by
γλ. The study measures what that changes; the code lives in ``examples/l2study/``.

Outputs in ``--out``: ``results.jsonl`` (every finished run, appended at once: rerunning skips
what this code has recorded, so an interrupted study, Ctrl-C included, resumes, and runs
recorded by other code are done again), ``report.md`` and its PNG figures.
"""

from __future__ import annotations

import argparse
import sys
import time

from l2study import plots, report, study
from l2study.runs import StoreError
from l2study.settings import Settings
from minigrad.cli import exit_on_interrupt, fill_default_out, output_folder_for
from minigrad.data import parse_seed

PART_HELP = """parts:
  equivalences   1. float64 trajectories: Adam(weight_decay) vs Adam + L2 penalty; SGD's three
                    forms; SGD momentum coupled vs decoupled; Adam+L2 vs AdamW
  convergence    2. convex least squares: distances of Adam+L2 and AdamW to ridge and to the
                    box-constrained solution |θ_i| ≤ 1/λ
  per-parameter  3. each weight's decay per step against its √v̂ (MLP on digits)
  grid           4. lr × λ grids of test accuracy and weight norm, Adam+L2 and AdamW
  same-number    5. the same numeric λ (1e-4 … 1) through both: accuracy and ‖W‖ against λ
  weight-norm    6. ‖W‖ over training, Adam / Adam+L2 / AdamW at their best settings
  all            every part, in this order (default)
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="adam_l2_vs_adamw.py", description=__doc__.split("\n\n")[0],
                                     epilog=PART_HELP,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("all",) + study.PART_NAMES, default="all",
                        help="which part to run (default: all); the report covers every part "
                             "whose runs are recorded")
    parser.add_argument("--seed", type=parse_seed, default=0, help="base seed, 0 to 2**32 - 1 (default: 0)")
    parser.add_argument("--seeds", type=int, default=3,
                        help="seeds for the multi-seed parts 4-6: seed, seed+1, ... (default: 3)")
    out_type = output_folder_for("results.jsonl", "report.md", *plots.ALL_FIGURES)
    parser.add_argument("--out", type=out_type, default=None,
                        help="output folder (default: results/adam_l2_vs_adamw/, or its quick/ subfolder "
                             "with --quick)")
    parser.add_argument("--quick", action="store_true", help="a reduced study, for smoke tests")
    parser.add_argument("--jobs", type=int, default=-1,
                        help="runs in parallel through joblib; -1: all cores, or all Dask workers "
                             "(default); 1: one at a time in this process")
    parser.add_argument("--backend", choices=("loky", "dask"), default="loky",
                        help="loky: local processes (default); dask: a Dask cluster, through "
                             "joblib's dask backend (needs: pip install 'dask[distributed]')")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="with --backend dask: the scheduler's address, e.g. "
                             "tcp://10.0.0.5:8786 (default: start a local cluster); Dask's "
                             "connection timeout applies (30 s unless configured)")
    args = parser.parse_args(argv)
    fill_default_out(parser, args, "adam_l2_vs_adamw", out_type)
    if args.jobs == 0 or args.jobs < -1:
        parser.error(f"--jobs must be a positive number, or -1 for all cores, got {args.jobs}")
    if args.scheduler and args.backend != "dask":
        parser.error("--scheduler needs --backend dask")
    try:
        args.settings = Settings(seed=args.seed, seeds=args.seeds, quick=args.quick)
    except ValueError as error:
        parser.error(str(error))
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the study as the command line asks; return the exit status (after Ctrl-C: exit
    with status 130, saying that rerunning resumes)."""
    with exit_on_interrupt("adam_l2_vs_adamw.py") as interruption:
        args = parse_args(argv)
        parts = list(study.PART_NAMES) if args.part == "all" else [args.part]
        start = time.perf_counter()
        interruption.hint = (f"the finished runs are in {args.out / 'results.jsonl'}: run the same command "
                             f"again to resume")
        try:
            result = study.run(args.settings, parts, args.out, jobs=args.jobs, backend_name=args.backend,
                               scheduler=args.scheduler)
        except (StoreError, study.BackendError, OSError) as error:  # (OSError: a file it could not write)
            print(f"adam_l2_vs_adamw.py: error: {error}", file=sys.stderr)
            return 1
        elapsed = time.perf_counter() - start
        print("\n".join(report.headlines(result["summaries"])))
        figures = "figures skipped (no matplotlib)" if result["figures"] is None else "figures written"
        print(f"report: {result['report']} ({figures}); {result['records']} runs recorded in "
              f"{args.out / 'results.jsonl'}")
        print(f"total time: {elapsed:.1f} s")
        return 0


if __name__ == "__main__":
    sys.exit(main())
