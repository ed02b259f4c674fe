"""What the example command lines share: output folder options checked before any work starts
(``output_folder``, ``output_folder_for``; ``fill_default_out`` for the examples' default
folders under ``results/``), and Ctrl-C in their ``main`` ending them with one
line, not a traceback. (During the scripts' own imports, before ``main`` runs, Python's
default handling still prints one.)

    with exit_on_interrupt("train.py") as interruption:     # around the whole body of main
        args = parse_args(argv)
        interruption.hint = "run the same command again to resume"
        train(args)
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from minigrad.files import check_target, writable_folder

INTERRUPTED = 130  # the exit status of a program stopped by SIGINT (128 + 2), as shells report it


@dataclass
class Interruption:
    """What the line printed on Ctrl-C adds after "PROG: interrupted": ``hint``, a text, or a
    function giving it at that moment (when what to say depends on how far the run went)."""

    hint: str | Callable[[], str] = ""


@contextlib.contextmanager
def exit_on_interrupt(prog: str) -> Iterator[Interruption]:
    """Turn a KeyboardInterrupt (Ctrl-C) in the block into the line "PROG: interrupted" (then
    "; HINT" if the Interruption it gives has a hint by then) on stderr and a SystemExit with
    status 130."""
    interruption = Interruption()
    try:
        yield interruption
    except KeyboardInterrupt:
        hint = interruption.hint() if callable(interruption.hint) else interruption.hint
        print(f"{prog}: interrupted" + (f"; {hint}" if hint else ""), file=sys.stderr)
        raise SystemExit(INTERRUPTED) from None


def output_folder(text: str) -> Path:
    """An argparse ``type`` for an output folder option: the folder once ``writable_folder``
    found that it could be made and written in, so that a bad folder is refused before any work
    starts; it is not made here (the command makes it when it writes its files), so a command
    refused later leaves no empty folder. (argparse applies it to a string default too.)"""
    try:
        return writable_folder(text, creatable=True)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def output_folder_for(*files: str) -> Callable[[str], Path]:
    """An argparse ``type`` like ``output_folder``, for a folder the command will write ``files``
    in: it also refuses the folder when one of them could not be written there (a folder by that
    name, a read-only file), before any work starts rather than after it."""

    def parse(text: str) -> Path:
        folder = output_folder(text)
        for name in files:
            try:
                target = check_target(folder / name)
                if folder.is_dir() and not target.parent.is_dir():  # (through a symbolic link)
                    raise FileNotFoundError(errno.ENOENT, f"its folder {target.parent} does not exist")
            except OSError as error:
                raise argparse.ArgumentTypeError(f"cannot write {folder / name} ({error.strerror})") from None
        return folder

    return parse


def fill_default_out(parser: argparse.ArgumentParser, args: argparse.Namespace, name: str,
                     out_type: Callable[[str], Path]) -> None:
    """Set ``args.out`` when ``--out`` was not given: ``results/NAME``, or ``results/NAME/quick``
    for a ``--quick`` smoke run, so that a smoke run never replaces a full run's files. The
    folder is checked by ``out_type``, as a folder given on the command line would be."""
    if args.out is None:
        try:
            args.out = out_type(f"results/{name}/quick" if args.quick else f"results/{name}")
        except argparse.ArgumentTypeError as error:
            parser.error(f"argument --out: {error}")
