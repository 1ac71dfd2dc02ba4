"""The `acp-server` command. With no subcommand it is the stdio ACP agent,
because that is how editors launch it; subcommands are for people.

Imports stay lazy: an editor waits on `initialize`, so nothing heavy loads here.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from acp_server.server import run_stdio

    return run_stdio(args)
