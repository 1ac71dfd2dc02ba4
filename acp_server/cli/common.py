"""Shared helpers for the human-facing subcommands."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from acp_server import __version__

if TYPE_CHECKING:
    from rich.console import Console

    from acp_server.store import SessionStore

COMMANDS = """commands:
  acp-server [--model ID] [--mode MODE]      the stdio ACP agent (what editors launch)
  acp-server run "PROMPT" [--json] ...       one headless turn (CI, scripts)
  acp-server doctor [--online]               check the installation
  acp-server sessions list|show|export|delete|prune|checkpoints|rewind
  acp-server models [list|set ID] [--json]   model catalog / default model
  acp-server config show|path|set KEY VALUE
  acp-server setup-provider                  store a provider key interactively
  acp-server setup zed|neovim|emacs|jetbrains|vscode [--write]
  acp-server features                        experimental protocol features and their states
  acp-server help                            this text (same as --help)

  --profile NAME                             use $ACP_SERVER_HOME/profiles/NAME
  --version, -V                              print the version

examples:
  acp-client chat -- acp-server              chat in this terminal
  acp-server run --yes "fix the failing test"
  acp-server sessions show sess_1bc1         a unique id prefix is enough

Every command takes --help, with examples.
"""


def say(*parts: object, end: str = "\n") -> None:
    """Human output of the subcommands. Only here is stdout not the protocol: the
    stdio agent never reaches these modules."""
    sys.stdout.write(" ".join(str(p) for p in parts) + end)


def print_help() -> int:
    """The same text for `acp-server help`, `--help` and `-h`, on stdout."""
    from acp_server.server.main import HELP

    say(HELP + "\n" + COMMANDS, end="")
    return 0


def home() -> Path:
    from acp_server.home import ensure_home, resolve_home

    return ensure_home(resolve_home())


def fail(message: str, code: int = 1) -> int:
    print(f"acp-server: {message}", file=sys.stderr)
    return code


def console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=not sys.stdout.isatty())


def open_store() -> SessionStore:
    from acp_server.store import SessionStore

    return SessionStore.open(home() / "sessions.db")


def version_action(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"acp-server {__version__}")


@contextlib.contextmanager
def progress(message: str) -> Iterator[None]:
    """A spinner on a terminal; one plain line on stderr when piped."""
    if sys.stderr.isatty():
        from rich.console import Console

        with Console(stderr=True).status(message):
            yield
    else:
        print(f"{message}", file=sys.stderr, flush=True)
        yield


def columns(headers: list[str], rows: list[list[str]]) -> str:
    """A plain aligned table: every header shown, no cell ever cut (a narrow
    terminal wraps the line instead), and easy to read by cut/awk when piped."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [headers, *rows]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
