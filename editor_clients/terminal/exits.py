"""How a console script ends when its reader or its user goes away: a closed
pipe (`| head`) is exit 141 and Ctrl-C exit 130, each with at most one line on
stderr, never a traceback or an "Exception ignored" at exit."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


def guarded(prog: str, command: Callable[[], int]) -> int:
    """Run a console script's body: a closed pipe (`| head`) and Ctrl-C are
    expected ends, one line on stderr and never a traceback. stdout is
    flushed here, also when argparse exits after --help, so a pipe that has
    gone is found while it can still be handled."""
    try:
        try:
            return command()
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        discard_stdout()
        return 141  # 128 + SIGPIPE, as a shell reports it
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{prog}: interrupted\n")
        return 130


def discard_stdout() -> None:
    """The reader of stdout has gone: send what is left to /dev/null, so that
    neither later writes nor the flush at exit raise again."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, sys.stdout.fileno())
    os.close(null)


__all__ = ["discard_stdout", "guarded"]
