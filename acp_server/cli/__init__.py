"""The `acp-server` command. With no subcommand it is the stdio ACP agent,
because that is how editors launch it; subcommands are for people.

Imports stay lazy: an editor waits on `initialize`, so the agent path loads
nothing but what it needs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

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


_TERMINAL_HINT = (
    "acp-server: this is an ACP agent for editors; it speaks JSON-RPC on stdin/stdout.\n"
    "  try `acp-client chat -- acp-server` to chat, `acp-server run PROMPT` for one turn,\n"
    "  or `acp-server help`. Still serving stdio; Ctrl-D or Ctrl-C ends it.\n"
)


def _for_people(args: list[str]) -> int | None:
    """--help, -h, --version and -V of the bare command: asked by a person, so
    the answer goes to stdout (it is not protocol traffic). None: serve."""
    if any(a in ("--help", "-h") for a in args):
        from acp_server.cli.common import print_help

        return print_help()
    if any(a in ("--version", "-V") for a in args):
        from acp_server import __version__

        sys.stdout.write(f"acp-server {__version__}\n")
        return 0
    return None


def _for_a_person(command: Callable[[list[str]], int], args: list[str]) -> int:
    """Run a human-facing subcommand; a closed pipe (`| head`) and Ctrl-C are
    expected ends, not tracebacks."""
    try:
        code = int(command(args))
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # Whoever read stdout has gone; point it at /dev/null so the flush at
        # exit does not raise a second time.
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command killed by it
    except KeyboardInterrupt:
        sys.stderr.write("\nacp-server: interrupted\n")
        return 130
    except EOFError:
        sys.stderr.write("\nacp-server: end of input\n")
        return 1


def main(argv: list[str] | None = None) -> int:
    args = _apply_profile(sys.argv[1:] if argv is None else list(argv))
    if args and args[0] in SUBCOMMANDS:
        if args[0] == "help":
            from acp_server.cli.common import print_help

            return print_help()
        import importlib

        def command(args: list[str]) -> int:  # imported inside the guard: Ctrl-C can land here
            module = importlib.import_module(SUBCOMMANDS[args[0]])  # type: ignore[arg-type]
            return int(module.main(args))

        return _for_a_person(command, args)
    answered = _for_people(args)
    if answered is not None:
        return answered
    if sys.stdin.isatty():  # someone typed `acp-server`; an editor gives a pipe
        sys.stderr.write(_TERMINAL_HINT)
    from acp_server.server import run_stdio

    return run_stdio(args)


__all__ = ["SUBCOMMANDS", "main"]
