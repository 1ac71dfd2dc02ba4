"""`acp-server run "PROMPT"`: one headless turn with local file and command tools.

Human output by default; `--json` streams the engine's events as NDJSON.
Permission prompts cannot be answered here: in `ask` mode whatever would ask is
denied unless `--yes` approves it. The run is stored like any session, so
`--session ID` continues it and an editor can `session/load` it.

Exit codes: 0 end_turn, 2 no usable model (not configured, SDK missing, key
rejected: also when found mid-turn), 3 max_tokens, 4 max_turn_requests,
5 refusal, 130 cancelled (Ctrl-C), 1 any other failure (the model call failed
for good, naming provider, model and URL on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

from acp_server.cli.common import fail, home, version_action

EXIT_CODES = {
    "end_turn": 0,
    "max_tokens": 3,
    "max_turn_requests": 4,
    "refusal": 5,
    "cancelled": 130,
}
#: a failed turn's kind -> exit code: what the user must fix is "no usable model"
FAILURE_EXIT_CODES = {"configuration": 2, "authentication": 2}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acp-server run", description="Run one headless agent turn."
    )
    parser.add_argument("prompt", help="the prompt (scripted-model directives work too)")
    parser.add_argument("--cwd", default=os.getcwd(), help="session directory (default: here)")
    parser.add_argument("--model", help="model id (default: config)")
    parser.add_argument("--mode", choices=["ask", "accept-edits", "read-only", "yolo"])
    parser.add_argument("--json", action="store_true", help="print engine events as NDJSON")
    parser.add_argument("--session", help="continue a stored session")
    parser.add_argument(
        "--yes", action="store_true", help="approve what would ask (non-interactive)"
    )
    version_action(parser)
    return parser


def event_json(event: object) -> str:
    import msgspec

    data = (
        msgspec.to_builtins(event) if isinstance(event, msgspec.Struct) else {"value": str(event)}
    )
    return json.dumps({"type": type(event).__name__, **data}, ensure_ascii=False, default=str)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv[1:])
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        return 130


async def _run(args: argparse.Namespace) -> int:
    from acp_server.config import ConfigError, load_config
    from acp_server.server.app import AgentServer
    from acp_server.server.translate import ToolLedger, translate
    from acp_server.store import SessionRecord
    from agent import Engine, ModelNotConfigured
    from agent import events as ev
    from agent.localhost import AutoPermissionGate, LocalCommandRunner, LocalFileSystem
    from agent.ports import Host, TextPart

    profile = home()
    try:
        config = load_config(
            profile, flags={"model": args.model, "permissions.default_mode": args.mode}
        )
    except ConfigError as error:
        return fail(str(error), 2)
    server = AgentServer(config, profile)
    store = server.store
    cwd = os.path.abspath(args.cwd)
    record = store.get(args.session) if args.session else None
    if args.session and record is None:
        return fail(f"no stored session {args.session}", 2)
    host = Host(
        AutoPermissionGate("approve" if args.yes else "deny"),
        LocalFileSystem(),
        LocalCommandRunner(),
    )
    engine = Engine(
        server.engine_config(),
        host,
        cwd=cwd,
        mode=config.permissions.default_mode,
        model=config.model if args.model or not record else record.model,
        messages=record.messages if record else None,
        session_cost_usd=record.cost_usd if record else 0.0,
    )
    try:
        engine.check_ready()
    except ModelNotConfigured as error:
        return fail(f"{error}. {error.hint}", 2)
    session_id = record.id if record else f"sess_{os.urandom(16).hex()}"
    if record is None:
        title = args.prompt.strip().splitlines()[0][:60] if args.prompt.strip() else None
        store.create(
            SessionRecord(session_id, cwd, title=title, model=engine.model, mode=engine.mode)
        )
    store.append_update(
        session_id,
        json.dumps(
            {
                "sessionUpdate": "user_message_chunk",
                "content": {"type": "text", "text": args.prompt},
            }
        ).encode(),
    )
    ledger = ToolLedger()
    stop = "end_turn"
    failure: ev.TurnFailure | None = None
    out = sys.stdout
    async for event in engine.submit([TextPart(args.prompt)]):
        update = translate(event)
        if update is not None:
            ledger.observe(update)
            store.append_update(session_id, json.dumps(update).encode())
        if args.json:
            out.write(event_json(event) + "\n")
        else:
            _human(event, out)
        out.flush()
        if isinstance(event, ev.TurnFinished):
            stop, failure = event.stop_reason, event.failure
    for update in ledger.close_all("The run ended before this call finished."):
        store.append_update(session_id, json.dumps(update).encode())
    if stop == "failed" and failure is not None:
        _report_failure(failure, session_id, store)
    store.update_meta(session_id, messages=engine.messages)
    if not args.json:
        print(f"\n[{stop}] session {session_id}", file=sys.stderr)
    store.close()
    if failure is not None and stop == "failed":
        return FAILURE_EXIT_CODES.get(failure.kind, 1)
    return EXIT_CODES.get(stop, 1)


def _report_failure(failure: Any, session_id: str, store: Any) -> None:
    """Stored as a failure (as an editor's session stores it), said on stderr."""
    from acp_server.turn_failure import failure_update

    store.append_update(session_id, json.dumps(failure_update(failure)).encode())
    fix = f"\nfix: {failure.fix}" if failure.fix else ""
    print(f"\nerror: {failure.message}{fix}", file=sys.stderr)


def _human(event: Any, out: Any) -> None:
    from agent import events as ev

    if isinstance(event, ev.TextDelta):
        out.write(event.text)
    elif isinstance(event, ev.ToolCallStarted):
        out.write(f"\n▶ {event.title}\n")
    elif isinstance(event, ev.ToolCallFinished):
        mark = "✓" if event.status == "completed" else "✗"
        detail = next((c.text for c in event.content if isinstance(c, ev.TextContent)), "")
        out.write(f"{mark} {detail[:500]}\n" if detail else f"{mark}\n")
    elif isinstance(event, ev.PlanUpdated):
        out.write(
            "\nPlan:\n"
            + "".join(
                f"  [{'x' if e.status == 'completed' else '~' if e.status == 'in_progress' else ' '}] {e.content}\n"
                for e in event.entries
            )
        )
    elif isinstance(
        event, (ev.RetryNotice, ev.FallbackNotice, ev.Notice, ev.Compacted, ev.ModelRouted)
    ):
        from acp_server.server.translate import notice_text

        print((notice_text(event) or "").strip(), file=sys.stderr)
