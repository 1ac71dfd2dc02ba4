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


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    own, agent = _split(args)
    parser = argparse.ArgumentParser(
        prog="acp-client", description="A terminal client and tracer for any ACP agent."
    )
    parser.add_argument("--version", action="version", version="acp-client 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True)
    exec_ = sub.add_parser(
        "exec",
        help="run one prompt headless",
        usage="acp-client exec [options] PROMPT -- AGENT_CMD...",
        epilog="example: acp-client exec --approve-all 'run make test' -- acp-server",
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
    chat = sub.add_parser(
        "chat",
        help="interactive chat",
        usage="acp-client chat [options] -- AGENT_CMD...",
        epilog="example: acp-client chat -- acp-server --model scripted",
    )
    chat.add_argument("--cwd", help="session directory (default: here)")
    chat.add_argument("--no-fs", action="store_true", help="do not advertise fs/* methods")
    chat.add_argument(
        "--no-terminal", action="store_true", help="do not advertise terminal/* methods"
    )
    chat.add_argument(
        "--verbose", action="store_true", help="show thoughts in full, not collapsed to a line"
    )
    trace = sub.add_parser(
        "trace", help="record traffic as a transparent proxy, or `trace show FILE`"
    )
    trace.add_argument("show", nargs="?", choices=["show"])
    trace.add_argument("file", nargs="?")
    trace.add_argument("--out")
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
