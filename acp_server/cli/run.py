"""`acp-server run "PROMPT"`: one headless turn with local file and command tools.

Human output by default, ending with a one-line summary on stderr; `--json`
streams events in the schema of docs/run-json.md (run_events.py). Whatever
would ask permission is asked at the keyboard when stdin is a terminal, and
otherwise refused with "not approved: pass --yes or --mode accept-edits". The
run is stored like any session, so `--session ID` (or `--continue`) goes on
with it in its stored directory, and an editor can `session/load` it.

Exit codes: 0 end_turn, 2 no usable model (not configured, SDK missing, key
rejected: also when found mid-turn) or bad usage, 3 max_tokens,
4 max_turn_requests, 5 refusal, 6 a tool call was not approved,
130 cancelled (Ctrl-C), 1 any other failure (the model call failed for good,
naming provider, model and URL on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from acp_server.cli import run_events
from acp_server.cli.common import fail, home, version_action
from acp_server.cli.run_events import REFUSED_EXIT, RunGate
from agent import events as ev
from agent.policy import MODES

if TYPE_CHECKING:
    from acp_server.server.app import AgentServer
    from agent import Engine

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
        prog="acp-server run",
        description="Run one headless agent turn.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  acp-server run "explain src/app.py"
  git diff | acp-server run - --json > events.ndjson
  acp-server run --continue --yes "now add a test"

exit codes: 0 end_turn, 2 no model or bad usage, 3 max_tokens, 4 max_turn_requests,
5 refusal, 6 a tool call was not approved, 130 cancelled, 1 other failures""",
    )
    parser.add_argument("prompt", help="the prompt, or - to read it from stdin")
    parser.add_argument(
        "--cwd", help="session directory (default: here, or the stored one with --session)"
    )
    parser.add_argument("--model", help="model id (default: config)")
    parser.add_argument("--mode", choices=MODES, help="permission mode (default: config)")
    parser.add_argument("--json", action="store_true", help="print engine events as NDJSON")
    parser.add_argument("--session", help="continue a stored session (an id or a unique prefix)")
    parser.add_argument(
        "--continue",
        dest="continue_",
        action="store_true",
        help="continue the most recent session of this directory",
    )
    parser.add_argument(
        "--yes", action="store_true", help="approve what would ask (non-interactive)"
    )
    version_action(parser)
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv[1:])
    if args.prompt == "-":
        args.prompt = sys.stdin.read()
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        return 130


async def _run(args: argparse.Namespace) -> int:
    from acp_server.config import ConfigError, load_config
    from acp_server.server.app import AgentServer

    profile = home()
    try:
        config = load_config(
            profile, flags={"model": args.model, "permissions.default_mode": args.mode}
        )
    except ConfigError as error:
        return fail(str(error), 2)
    server = AgentServer(config, profile)
    try:
        return await _run_turn(args, server)
    finally:
        await server.shutdown()


async def _run_turn(args: argparse.Namespace, server: AgentServer) -> int:
    """One turn through the editor's own turn driver and update sink: stored
    like an editor's session, with the engine's events printed as they come."""
    from acp_server.server.context import stored_messages
    from acp_server.server.ids import session_id_source
    from acp_server.store import SessionBusy, SessionGone, SessionRecord
    from agent import Engine, ModelNotConfigured
    from agent.localhost import LocalCommandRunner, LocalFileSystem
    from agent.ports import Host

    config, store = server.config, server.store
    try:
        record = _stored_session(store, args)
    except LookupError as error:
        return fail(str(error), 2)
    cwd = os.path.abspath(args.cwd or (record.cwd if record else os.getcwd()))
    gate = RunGate(approve=args.yes, interactive=sys.stdin.isatty() and not args.json)
    engine = Engine(
        server.engine_config(),
        Host(gate, LocalFileSystem(), LocalCommandRunner()),
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
    session_id = record.id if record else session_id_source()()
    if record is None:
        title = args.prompt.strip().splitlines()[0][:60] if args.prompt.strip() else None
        store.create(
            SessionRecord(session_id, cwd, title=title, model=engine.model, mode=engine.mode)
        )
    try:
        # The session's turn across processes, as an editor's prompt takes it.
        from acp_server.server.turn import claim_turn_blocking

        refresh = claim_turn_blocking(store, session_id)
    except (SessionBusy, SessionGone) as error:
        return fail(_turn_refused(session_id, error), 1)
    try:
        if refresh is not None:  # another process's turns since the record was read
            engine.messages[:] = stored_messages(refresh.messages)
        return await _drive(args, server, engine, session_id, cwd, gate, resumed=bool(record))
    finally:
        store.end_turn(session_id)


async def _drive(
    args: argparse.Namespace,
    server: AgentServer,
    engine: Engine,
    session_id: str,
    cwd: str,
    gate: RunGate,
    *,
    resumed: bool,
) -> int:
    from acp_server.server.outbound import NullLink, UpdateSink
    from acp_server.server.turn import run_turn
    from agent.ports import TextPart

    store = server.store
    # Nobody watches over the wire: the sink journals and keeps the ledger,
    # and the events are printed by `output` instead.
    sink = UpdateSink(session_id, NullLink(), store)
    sink.record(
        {"sessionUpdate": "user_message_chunk", "content": {"type": "text", "text": args.prompt}}
    )
    output = run_events.RunOutput(args.json, sys.stdout, session_id, gate, _human)
    output.started(engine.model or "", engine.mode, cwd, resumed)
    result = await run_turn(
        engine,
        [TextPart(args.prompt)],
        sink,
        store,
        server.audit,
        closing_reason="The run ended before this call finished.",
        rewrite=lambda event: _explain_refusal(event, gate),
        observe=output.event,
    )
    stop, failure = result.stop_reason, result.failure
    if stop == "failed" and failure is not None:
        fix = f"\nfix: {failure.fix}" if failure.fix else ""
        print(f"\nerror: {failure.message}{fix}", file=sys.stderr)
    output.finished(stop, result.usage or ev.TurnUsage())
    if failure is not None and stop == "failed":
        return FAILURE_EXIT_CODES.get(failure.kind, 1)
    return _exit_code(stop, gate)


def _turn_refused(session_id: str, error: Exception) -> str:
    from acp_server.store import SessionBusy

    if isinstance(error, SessionBusy):
        return (
            f"session {session_id} is running a turn in another acp-server process "
            "(an editor's agent, or another run); try again when it has finished"
        )
    return f"session {session_id} was deleted; start a new one without --session"


def _exit_code(stop: str, gate: RunGate) -> int:
    code = EXIT_CODES.get(stop, 1)
    return REFUSED_EXIT if code == 0 and gate.refused else code


def _stored_session(store: Any, args: argparse.Namespace) -> Any:
    """The record --session or --continue names; None for a new session."""
    if args.session:
        from acp_server.cli.sessions import resolve_id

        return store.get(resolve_id(store, args.session))
    if args.continue_:
        cwd = os.path.abspath(args.cwd or os.getcwd())
        records, _ = store.list(cwd=cwd, limit=1)
        if not records:
            raise LookupError(f"no stored session in {cwd} to continue")
        return records[0]
    return None


def _explain_refusal(event: Any, gate: RunGate) -> Any:
    """A call refused for want of --yes says how to allow it (the engine
    would say "the user declined", and nobody was asked)."""
    import msgspec

    from acp_server.cli.run_events import NOT_APPROVED
    from agent import events as ev

    if isinstance(event, ev.ToolCallFinished) and event.call_id in gate.refused:
        return msgspec.structs.replace(event, content=(ev.TextContent(NOT_APPROVED),))
    return event


def _human(event: object, out: TextIO) -> None:
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
