"""Train a model from scratch on a small dataset, from the command line.

    python examples/train.py --dataset digits --model mlp --hidden 128 128 --optimizer adamw \\
        --lr 1e-3 --weight-decay 1e-2 --epochs 30 --seed 0
    python examples/train.py --dataset diabetes --model linear --optimizer sgd --l2 1e-3
    python examples/train.py --checkpoint run.npz --epochs 30          # stop it with Ctrl-C, then
    python examples/train.py --checkpoint run.npz --epochs 30 --resume # ... continue where it was
    python examples/train.py --checkpoint run.npz --overwrite          # a new run over that file
    python examples/train.py --quick                                   # smoke test, seconds
    python examples/train.py --quick --epochs 5     # --quick's sizes, but 5 epochs: explicit options win

A resumed run must have the options of the run that wrote the checkpoint, except --out,
--no-progress, --threads and --epochs, which may change with the constant schedule (the other
schedules are laid out over --epochs) to any number not below the epochs already done. (The
final weights are bit-identical to an uninterrupted run's with the same --threads; at large widths
(700 and 900, measured) another thread count changes their last bits.)
The checkpoint stores the options, and a resume that differs is refused, naming each difference.
An existing checkpoint is never replaced by a new run unless --overwrite says so.

Prints a final summary (test accuracy or R², time); ``--out DIR`` also writes metrics.json and,
when matplotlib is installed, curves.png. The work is done by ``minigrad.data`` and
``minigrad.train``; this file only reads the options.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import shlex
import sys
from pathlib import Path
from typing import Any, Callable, NoReturn

from threadpoolctl import threadpool_limits

from minigrad.checkpoint import CheckpointError, read_checkpoint
from minigrad.cli import exit_on_interrupt, output_folder_for
from minigrad.data import DATASETS, Dataset, load_dataset, parse_seed
from minigrad.files import make_folder, write_text
from minigrad.recipes import (
    OPTIMIZERS, SCHEDULES, build_model, build_optimizer, build_scheduler, loss_for, plot_history,
)
from minigrad.train import TrainingDivergedError, evaluate, fit
from optim.optimizer import Optimizer


# The sizes of a normal run and of a --quick smoke test, where --epochs and --hidden are not given.
DEFAULTS = {"epochs": 30, "hidden": [128]}
QUICK_DEFAULTS = {"epochs": 2, "hidden": [32]}


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block), then exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds "(default: ...)" to an option's help, except where the default is None: those
    options say in their help what they do when not given."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return action.help if action.default is None else super()._get_help_string(action)


def number(kind: Callable[[str], Any], low: float, strict: bool) -> Callable[[str], Any]:
    """An argparse type: ``kind(text)``, a finite number that must be > low (``strict``) or >= low."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            expected = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if not (value > low if strict else value >= low):
            raise argparse.ArgumentTypeError(f"must be {'>' if strict else '>='} {low}, got {text}")
        return value

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = OneLineErrorParser(
        prog="train.py",
        description="Train a model from scratch and print its test accuracy (or R²).",
        formatter_class=DefaultsHelpFormatter,
    )
    parser.add_argument("--dataset", choices=DATASETS, default="digits",
                        help="a dataset shipped with scikit-learn, or a seeded synthetic one")
    parser.add_argument("--model", choices=("mlp", "linear"), default="mlp",
                        help="an MLP, or the linear model of the task (logistic or least squares)")
    parser.add_argument("--hidden", type=number(int, 0, True), nargs="+", metavar="WIDTH",
                        help=f"hidden layer widths of the MLP, for --model mlp only (default: {DEFAULTS['hidden'][0]}; "
                             f"{QUICK_DEFAULTS['hidden'][0]} with --quick)")
    parser.add_argument("--optimizer", choices=tuple(OPTIMIZERS), default="adamw",
                        help="sgd has momentum 0.9; muon updates the weight matrices, and AdamW "
                             "(lr 1e-3) the biases, which muon does not take")
    parser.add_argument("--lr", type=number(float, 0, True), default=None,
                        help="learning rate (default: "
                             + ", ".join(f"{k} {v[1]:g}" for k, v in OPTIMIZERS.items()) + ")")
    parser.add_argument("--weight-decay", type=number(float, 0, False), default=0.0,
                        help="the optimizer's weight_decay, on weights, not biases (coupled L2 in "
                             "sgd/adam/…, decoupled in adamw/lion/muon)")
    parser.add_argument("--l2", type=number(float, 0, False), default=0.0,
                        help="λ of the penalty λ/2·‖w‖² added to the loss (weights, not biases)")
    parser.add_argument("--schedule", choices=SCHEDULES, default="constant",
                        help="learning-rate schedule, stepped once per epoch")
    parser.add_argument("--epochs", type=number(int, 0, True),
                        help=f"epochs to train, in all (a resumed run counts those already done) "
                             f"(default: {DEFAULTS['epochs']}; {QUICK_DEFAULTS['epochs']} with --quick)")
    parser.add_argument("--batch-size", type=number(int, 0, True), default=32,
                        help="training rows per minibatch, one optimizer step each")
    parser.add_argument("--val-size", type=number(float, 0, False), default=0.1,
                        help="fraction of the rows used for validation after each epoch (enough for "
                             "a row of each class)")
    parser.add_argument("--seed", type=parse_seed, default=0,
                        help="fixes split, initial weights and shuffling (0 to 2**32 - 1)")
    parser.add_argument("--checkpoint", type=Path, metavar="PATH",
                        help="save the run here after every epoch (an .npz, written atomically)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run saved in --checkpoint up to --epochs in total (a new "
                             "--epochs only with the constant schedule); the other options, but --out, "
                             "--no-progress and --threads, must be those the run was started with")
    parser.add_argument("--overwrite", action="store_true",
                        help="start a new run even though --checkpoint exists, replacing that file "
                             "after the first epoch")
    parser.add_argument("--out", type=output_folder_for("metrics.json", "curves.png"), metavar="DIR",
                        help="write metrics.json (and curves.png) here")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--threads", type=number(int, 0, True), default=1,
                        help="BLAS threads for the matrix products: below widths of about 1024 "
                             "more gain nothing, and on a busy machine BLAS's waiting threads slow "
                             "every step many times over")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: --epochs {QUICK_DEFAULTS['epochs']} --hidden "
                             f"{QUICK_DEFAULTS['hidden'][0]} by default (an explicit --epochs or --hidden wins)")
    args = parser.parse_args(argv)
    if args.model == "linear" and args.hidden is not None:
        parser.error("--hidden gives the hidden layers of an MLP; --model linear has none")
    for option, default in (QUICK_DEFAULTS if args.quick else DEFAULTS).items():
        if getattr(args, option) is None:
            setattr(args, option, copy.copy(default))  # a copy: changing args must not change later runs' defaults
    for flag in ("resume", "overwrite"):
        if getattr(args, flag) and args.checkpoint is None:
            parser.error(f"--{flag} needs --checkpoint PATH")
    if args.resume and args.overwrite:
        parser.error("--resume continues the checkpoint and --overwrite replaces it: give one of them")
    if args.resume and not args.checkpoint.is_file():
        parser.error(f"--resume: there is no checkpoint at {args.checkpoint}")
    if args.checkpoint is not None and args.checkpoint.is_file() and not (args.resume or args.overwrite):
        parser.error(f"--checkpoint {args.checkpoint} exists: add --resume to continue that run, or "
                     f"--overwrite to start a new run over it")
    if args.schedule == "warmup-cosine" and args.epochs < 2:
        parser.error("--schedule warmup-cosine needs --epochs 2 or more")
    if args.val_size >= 0.5:
        parser.error(f"argument --val-size: must be < 0.5, got {args.val_size}")
    return args


def run_config(args: argparse.Namespace, lr: float) -> dict[str, Any]:
    """The options that define the run besides those ``fit`` checks itself (batch size, l2,
    seed), for ``fit(config=...)``: a resumed run must have the same ones. The number of epochs
    is among them only when a schedule is laid out over it."""
    return {"dataset": args.dataset, "val_size": args.val_size, "model": args.model, "hidden": args.hidden,
            "optimizer": args.optimizer, "lr": lr, "weight_decay": args.weight_decay, "schedule": args.schedule,
            "schedule_epochs": None if args.schedule == "constant" else args.epochs}


def check_resumed_epochs(args: argparse.Namespace) -> None:
    """With the same schedule as the first run, other than constant, refuse a --resume whose
    --epochs differs from the first run's: the schedule is laid out over those epochs. (fit refuses
    it too, but names its configuration key, schedule_epochs; a change of schedule is left to fit.)"""
    if not args.resume or args.schedule == "constant":
        return
    first = read_checkpoint(args.checkpoint).meta.get("config", {})
    if first.get("schedule") == args.schedule and first.get("schedule_epochs") != args.epochs:
        raise ValueError(f"cannot resume from {args.checkpoint} with --epochs {args.epochs}: the run was "
                         f"started with --epochs {first['schedule_epochs']}, over which its {args.schedule} "
                         f"schedule is laid out; --epochs can change on --resume only with --schedule constant")


def base_lr(optimizer: Optimizer) -> float:
    """The learning rate γ₀ of the first parameter group, before any schedule (the optimizer's
    own, so a resumed run shows the rate it continues with)."""
    group = optimizer.param_groups[0]
    return group.get("initial_lr", group["lr"])


def resume_command(argv: list[str]) -> str:
    """The shell command that continues a run started with the options ``argv``: the same
    options, without --overwrite (which --resume refuses), with --resume."""
    script = Path(__file__).resolve()
    with contextlib.suppress(ValueError):  # relative to the current folder when inside it
        script = script.relative_to(Path.cwd())
    # (argparse also takes an abbreviation of an option: --ov is the shortest of --overwrite.)
    options = [arg for arg in argv if not (len(arg) >= 4 and "--overwrite".startswith(arg))]
    return shlex.join(["python", str(script), *options, *([] if "--resume" in options else ["--resume"])])


def file_identity(path: Path) -> tuple[int, int] | None:
    """The inode and modification time of the file at ``path`` (None if there is none): they
    change when the file is replaced."""
    with contextlib.suppress(FileNotFoundError):
        status = path.stat()
        return status.st_ino, status.st_mtime_ns
    return None


def interruption_hint(args: argparse.Namespace, argv: list[str]) -> Callable[[], str]:
    """What to say after Ctrl-C, asked at that moment: the command that continues the run once it
    has a checkpoint (the file of --resume, or one written by this run: not the file --overwrite
    has yet to replace); before that, that nothing was saved."""
    replaced = file_identity(args.checkpoint) if args.overwrite else None

    def hint() -> str:
        if args.checkpoint.is_file() and file_identity(args.checkpoint) != replaced:
            return f"continue it with: {resume_command(argv)}"
        return ("no checkpoint was saved yet (one is written after each epoch): run the same command to "
                "start again")

    return hint


def load(args: argparse.Namespace) -> Dataset:
    """The dataset the options ask for. (With options the parser accepted, what ``load_dataset``
    may still refuse is a --val-size too small to hold a row of each class.)"""
    try:
        return load_dataset(args.dataset, val_size=args.val_size, seed=args.seed)
    except ValueError as error:
        sys.exit(f"train.py: error: argument --val-size: {error}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Train as the options ask, print the summary and write --out's files; return the results."""
    data = load(args)
    loss_fn = loss_for(data.task)
    try:
        check_resumed_epochs(args)
        model = build_model(args.model, data, args.hidden, seed=args.seed)
        optimizer = build_optimizer(args.optimizer, model, args.lr, args.weight_decay)
        scheduler = build_scheduler(args.schedule, optimizer, args.epochs)
        history = fit(model, optimizer, loss_fn, data.train, args.epochs, val_data=data.val,
                      scheduler=scheduler, l2=args.l2, batch_size=args.batch_size, seed=args.seed,
                      progress=not args.no_progress, checkpoint=args.checkpoint, resume=args.resume,
                      overwrite=args.overwrite, config=run_config(args, base_lr(optimizer)))
    except (TrainingDivergedError, CheckpointError, ValueError) as error:
        sys.exit(f"train.py: error: {error}")
    seconds = sum(history.time)  # (all the epochs', those of a run resumed from included)
    test = evaluate(model, data.test, loss_fn)
    metric = history.metric
    print(f"{data!r}")
    print(f"{args.model} · {args.optimizer} (lr {base_lr(optimizer):g}, weight decay "
          f"{args.weight_decay:g}, l2 {args.l2:g}, {args.schedule} schedule) · "
          f"{len(history.epoch)} epochs in {seconds:.1f} s")
    print(f"test {metric} {test[metric]:.4f}   test loss {test['loss']:.4g}   "
          f"final train loss {history.train_loss[-1]:.4g}")
    config = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    config["lr"] = base_lr(optimizer)  # the rate used, also when --lr was not given
    results = {"config": config, "test": test, "seconds": seconds, "history": history.to_dict()}
    if args.out is not None:
        make_folder(args.out)
        write_text(args.out / "metrics.json", json.dumps(results, indent=2))
        plotted = plot_history(history, args.out / "curves.png")
        print(f"wrote {args.out / 'metrics.json'}" + (f" and {args.out / 'curves.png'}" if plotted else ""))
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train as the command line ``argv`` (by default sys.argv) asks; return the results. Ctrl-C
    at any point ends with one line, which gives the command that resumes a checkpointed run
    once a checkpoint was saved."""
    argv = sys.argv[1:] if argv is None else argv
    with exit_on_interrupt("train.py") as interruption:
        args = parse_args(argv)
        if args.checkpoint:
            interruption.hint = interruption_hint(args, argv)
        with threadpool_limits(limits=args.threads, user_api="blas"):
            return run(args)


if __name__ == "__main__":
    main()
