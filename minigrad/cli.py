"""What the example command lines share: Ctrl-C ends them with one line, not a traceback.

    with exit_on_interrupt("train.py", "continue it with: python examples/train.py ... --resume"):
        train()
"""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator

INTERRUPTED = 130  # the exit status of a program stopped by SIGINT (128 + 2), as shells report it


@contextlib.contextmanager
def exit_on_interrupt(prog: str, hint: str = "") -> Iterator[None]:
    """Turn a KeyboardInterrupt (Ctrl-C) in the block into the line "PROG: interrupted" (then
    "; HINT" if a hint is given) on stderr and a SystemExit with status 130."""
    try:
        yield
    except KeyboardInterrupt:
        print(f"{prog}: interrupted" + (f"; {hint}" if hint else ""), file=sys.stderr)
        raise SystemExit(INTERRUPTED) from None
