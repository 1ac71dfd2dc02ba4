"""`acp-client`: a terminal client and tracer for any ACP agent.

    acp-client exec "PROMPT" [--format text|json] [--approve-all|--deny-all] [--no-fs] [--no-terminal] -- AGENT_CMD...
    acp-client chat [--cwd DIR] -- AGENT_CMD...
    acp-client trace --out FILE.ndjson -- AGENT_CMD...
    acp-client trace show FILE.ndjson

exec exit codes: 0 end_turn, 3 max_tokens, 4 max_turn_requests, 5 refusal,
130 cancelled, 1 an error from the agent or a crash, 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

EXIT = {"end_turn": 0, "max_tokens": 3, "max_turn_requests": 4, "refusal": 5, "cancelled": 130}


def _split(argv: list[str]) -> tuple[list[str], list[str]]:
    if "--" in argv:
        index = argv.index("--")
        return argv[:index], argv[index + 1 :]
    return argv, []


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree (the help test walks it)."""
    parser = argparse.ArgumentParser(
        prog="acp-client",
        description="A terminal client and tracer for any ACP agent.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  acp-client chat -- acp-server
  acp-client exec --approve-all 'run make test' -- acp-server
  acp-client trace --out session.ndjson -- acp-server   # launched by an editor
  acp-client trace show session.ndjson""",
    )
    parser.add_argument("--version", action="version", version="acp-client 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_exec(sub)
    _add_chat(sub)
    _add_trace(sub)
    return parser


def _add_exec(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    exec_ = sub.add_parser(
        "exec",
        help="run one prompt headless",
        description="Send one prompt to the agent, print the turn, exit with its stop reason.",
        usage="acp-client exec [options] PROMPT -- AGENT_CMD...",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  acp-client exec --approve-all 'run make test' -- acp-server
  acp-client exec --format json 'say hi' -- acp-server --model scripted | jq .""",
    )
    exec_.add_argument("prompt", help="the prompt to send")
    exec_.add_argument("--cwd", help="session directory (default: here)")
    exec_.add_argument(
        "--format", choices=["text", "json"], default="text", help="text, or every frame as NDJSON"
    )
    policy = exec_.add_mutually_exclusive_group()
    policy.add_argument("--approve-all", action="store_true", help="allow every permission request")
    policy.add_argument("--deny-all", action="store_true", help="refuse every permission request")
    exec_.add_argument("--no-fs", action="store_true", help="do not advertise fs/* methods")
    exec_.add_argument(
        "--no-terminal", action="store_true", help="do not advertise terminal/* methods"
    )
    exec_.add_argument(
        "--timeout", type=float, default=600, help="seconds to wait for the turn (default 600)"
    )


def _add_chat(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chat = sub.add_parser(
        "chat",
        help="interactive chat",
        description="Chat with the agent in this terminal (:help lists the client's commands).",
        usage="acp-client chat [options] -- AGENT_CMD...",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  acp-client chat -- acp-server
  acp-client chat --cwd ~/project --verbose -- acp-server --model scripted""",
    )
    chat.add_argument("--cwd", help="session directory (default: here)")
    chat.add_argument("--no-fs", action="store_true", help="do not advertise fs/* methods")
    chat.add_argument(
        "--no-terminal", action="store_true", help="do not advertise terminal/* methods"
    )
    chat.add_argument(
        "--verbose", action="store_true", help="show thoughts in full, not collapsed to a line"
    )


def _add_trace(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    trace = sub.add_parser(
        "trace",
        help="record traffic as a transparent proxy, or `trace show FILE`",
        description="Sit between an editor and an agent and record every frame, checking "
        "protocol rules as it goes; or show a recorded trace.",
        usage="acp-client trace --out FILE.ndjson -- AGENT_CMD...\n"
        "       acp-client trace show FILE.ndjson",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  acp-client trace --out /tmp/zed.ndjson -- acp-server   # as the editor's agent command
  acp-client trace show /tmp/zed.ndjson""",
    )
    trace.add_argument("show", nargs="?", choices=["show"], help="show a recorded trace")
    trace.add_argument("file", nargs="?", help="with show: the trace file to show")
    trace.add_argument("--out", metavar="FILE", help="append the trace to FILE (NDJSON)")


def main(argv: list[str] | None = None) -> int:
    from editor_clients.terminal.exits import guarded
    from editor_clients.trace.show import TraceFileError

    try:
        return guarded("acp-client", lambda: _main(list(sys.argv[1:] if argv is None else argv)))
    except TraceFileError as error:
        sys.stderr.write(f"acp-client: {error}\n")
        return 2


def _main(args: list[str]) -> int:
    own, agent = _split(args)
    parser = build_parser()
    ns = parser.parse_args(own)
    if ns.command == "trace":
        if ns.show:
            if not ns.file:
                parser.error("trace show needs a FILE")
            from editor_clients.trace import show

            return show(ns.file)
        if not ns.out or not agent:
            parser.error("usage: acp-client trace --out FILE.ndjson -- AGENT_CMD...")
        from editor_clients.trace import run_trace

        return asyncio.run(run_trace(agent, ns.out))
    if not agent:
        parser.error("give the agent command after --, e.g. -- acp-server --model scripted")
    if ns.command == "exec":
        from editor_clients.terminal.exec_one import run_exec

        return asyncio.run(run_exec(ns, agent))
    from editor_clients.terminal.chat import run_chat

    return run_chat(ns, agent)
