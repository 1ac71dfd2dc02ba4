"""The `acp-server` command. With no subcommand it is the stdio ACP agent,
because that is how editors launch it; subcommands are for people.

Imports stay lazy: an editor waits on `initialize`, so the agent path loads
nothing but what it needs.
"""

from __future__ import annotations

import os
import sys

SUBCOMMANDS = {
    "run": "acp_server.cli.run",
    "doctor": "acp_server.cli.doctor",
    "sessions": "acp_server.cli.sessions",
    "models": "acp_server.cli.settings",
    "config": "acp_server.cli.settings",
    "setup-provider": "acp_server.cli.settings",
    "setup": "acp_server.cli.editors",
    "features": "acp_server.cli.features",
    "help": None,
}


def _apply_profile(args: list[str]) -> list[str]:
    """`--profile NAME` is ACP_SERVER_HOME=<home>/profiles/NAME, where <home> is
    ACP_SERVER_HOME or ~/.acp-server: a fully separate profile."""
    if "--profile" not in args:
        return args
    index = args.index("--profile")
    if index + 1 >= len(args):
        sys.stderr.write("acp-server: --profile needs a name\n")
        raise SystemExit(2)
    name = args[index + 1]
    if not name or "/" in name or name.startswith("."):
        sys.stderr.write(f"acp-server: invalid profile name {name!r}\n")
        raise SystemExit(2)
    from acp_server.home import resolve_home

    base = resolve_home()
    os.environ["ACP_SERVER_HOME"] = str(base / "profiles" / name)
    return args[:index] + args[index + 2 :]


def main(argv: list[str] | None = None) -> int:
    args = _apply_profile(sys.argv[1:] if argv is None else list(argv))
    if args and args[0] in SUBCOMMANDS:
        if args[0] == "help":
            from acp_server.cli.common import print_help

            return print_help()
        import importlib

        module = importlib.import_module(SUBCOMMANDS[args[0]])  # type: ignore[arg-type]
        return int(module.main(args))
    from acp_server.server import run_stdio

    return run_stdio(args)
