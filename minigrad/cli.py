"""What the example command lines share: Ctrl-C in their ``main`` ends them with one line, not
a traceback. (During the scripts' own imports, before ``main`` runs, Python's default handling
still prints one.)

    with exit_on_interrupt("train.py") as interruption:     # around the whole body of main
        args = parse_args(argv)
        interruption.hint = "run the same command again to resume"
        train(args)
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from typing import Callable, Iterator

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
