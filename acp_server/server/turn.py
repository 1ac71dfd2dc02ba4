"""One prompt turn: engine events in, updates out through the session's sink.

`run_turn` consumes `Engine.submit` and, for every event:
- audits permission decisions, tool calls (with their duration) and failures;
- records each model step's usage and saves the history after it, so a
  kill -9 mid-turn keeps every completed step;
- translates it into a `session/update` and hands it to the sink (what is not
  model output, a notice or a compaction, in the form the client accepts:
  see acp_server/notices.py).

When the turn ends, however it ends, every tool call still open is closed and
the history is saved. The editor's session and `acp-server run` both drive
their turns through here; what they do with the result (a response, an exit
code) is theirs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from acp_server.notices import surface
from acp_server.server.translate import translate
from agent import events as ev
from protocol import RpcError

if TYPE_CHECKING:
    from acp_server.audit import AuditLog
    from acp_server.server.outbound import UpdateSink
    from acp_server.store import Refresh, SessionStore
    from agent import Engine
    from agent.ports import PromptPart

#: how often a long stream yields to the loop (see `run_turn`)
YIELD_EVERY = 32


class TurnResult(NamedTuple):
    stop_reason: str
    usage: ev.TurnUsage | None
    failure: ev.TurnFailure | None


async def run_turn(
    engine: Engine,
    parts: Sequence[PromptPart],
    sink: UpdateSink,
    store: SessionStore,
    audit: AuditLog,
    *,
    closing_reason: str = "The turn ended before this call finished.",
    rewrite: Callable[[ev.Event], ev.Event] | None = None,
    observe: Callable[[ev.Event], None] | None = None,
    after_first: Callable[[], Awaitable[None]] | None = None,
    save_at_end: bool = True,
) -> TurnResult:
    """Drive one turn to its end. `rewrite` may replace an event before it is
    handled; `observe` sees each event after its update is on its way;
    `after_first` runs once the first event's update has been written (or at
    the end of a turn that had none), before the next is handled. Without
    `save_at_end` the caller saves the history once the turn is over."""
    recorder = _Recorder(engine, sink, store, audit)
    stop, usage, failure = "end_turn", None, None
    try:
        handled = 0
        async for raw in engine.submit(parts):
            event = rewrite(raw) if rewrite is not None else raw
            if type(event) is ev.TextDelta:
                # The bulk of a stream, and nothing audits or surfaces it:
                # straight to the sink (measured: ~22 instead of ~28 us of CPU per chunk).
                await sink.send_text(event.text)
            elif type(event) is ev.ThoughtDelta:
                await sink.send_text(event.text, "agent_thought_chunk")
            else:
                await recorder.on_event(event)
            if observe is not None:
                observe(event)
            if isinstance(event, ev.TurnFinished):
                stop, usage, failure = event.stop_reason, event.usage, event.failure
            if after_first is not None:
                first, after_first = after_first, None
                await asyncio.sleep(0)  # the writer writes the first update first
                await first()
            handled += 1
            if handled % YIELD_EVERY == 0:
                # Queues that never run empty never suspend: yield now and then so
                # other sessions' requests are read and answered during a long stream.
                await asyncio.sleep(0)
    finally:
        if after_first is not None:  # the turn ended before its first event
            await after_first()
        await sink.close_open_calls(closing_reason)
        if save_at_end:
            store.save_history(sink.session_id, engine.messages)
    return TurnResult(stop, usage, failure)


def prompt_response(result: TurnResult, *, with_usage: bool) -> dict[str, object]:
    """The `session/prompt` result for a turn, or its failure as the error to
    answer with (raised only once every update of the turn has gone out)."""
    if result.stop_reason == "failed" and result.failure is not None:
        from acp_server.turn_failure import prompt_error

        raise prompt_error(result.failure)
    response: dict[str, object] = {"stopReason": result.stop_reason}
    if result.usage is not None and with_usage:
        response["usage"] = usage_fields(result.usage)
    return response


def usage_fields(usage: ev.TurnUsage) -> dict[str, object]:
    """A turn's usage as the prompt response's `usage` (unstable upstream)."""
    return {
        "inputTokens": usage.input_tokens,
        "outputTokens": usage.output_tokens,
        "totalTokens": usage.input_tokens + usage.output_tokens,
        "thoughtTokens": usage.thought_tokens,
        "cachedReadTokens": usage.cached_input_tokens,
    }


#: how long a turn waits for another process's claim on the session: long
#: enough for a turn that has just answered to close out (save its history,
#: release the claim: about a millisecond), far shorter than any real turn
CLAIM_PATIENCE = 1.0
CLAIM_POLL = 0.002


async def claim_turn(
    store: SessionStore, session_id: str, *, patience: float = CLAIM_PATIENCE
) -> Refresh | None:
    """Take the session's turn across processes (see store/turnlock.py);
    what another process wrote since, if anything."""
    from acp_server.store import SessionBusy, SessionGone

    try:
        return await _claim_within(store, session_id, patience)
    except SessionBusy:
        raise RpcError.invalid_request(
            f"session {session_id} is running a turn in another acp-server process; "
            "try again when it has finished"
        ) from None
    except SessionGone:
        raise RpcError.resource_not_found(
            f"session {session_id} was deleted; start a new session"
        ) from None


async def _claim_within(store: SessionStore, session_id: str, patience: float) -> Refresh | None:
    from acp_server.store import SessionBusy

    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while True:
        try:
            return store.begin_turn(session_id)
        except SessionBusy:
            if loop.time() >= deadline:
                raise
        await asyncio.sleep(CLAIM_POLL)


def claim_turn_blocking(
    store: SessionStore, session_id: str, *, patience: float = CLAIM_PATIENCE
) -> Refresh | None:
    """`store.begin_turn`, waiting up to `patience` seconds for another
    process's claim, for the command line (which has no loop to keep running).
    Raises SessionBusy or SessionGone as `begin_turn` does."""
    from acp_server.store import SessionBusy

    deadline = time.monotonic() + patience
    while True:
        try:
            return store.begin_turn(session_id)
        except SessionBusy:
            if time.monotonic() >= deadline:
                raise
        time.sleep(CLAIM_POLL)


class _Recorder:
    def __init__(
        self, engine: Engine, sink: UpdateSink, store: SessionStore, audit: AuditLog
    ) -> None:
        self.engine = engine
        self.sink = sink
        self.store = store
        self.audit = audit
        self.session_id = sink.session_id
        self._started: dict[str, tuple[str, dict[str, object], float]] = {}

    async def on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.UsageUpdated):
            self._record_usage(event)
        elif isinstance(event, ev.PermissionDecided):
            self.audit(
                "permission",
                session=self.session_id,
                call_id=event.call_id,
                tool=event.tool,
                allowed=event.allowed,
                by=event.by,
                reason=event.reason,
            )
            return
        elif isinstance(event, ev.TurnFinished) and event.failure and event.stop_reason == "failed":
            from acp_server.turn_failure import audit_fields, failure_update

            self.audit("turn_failed", session=self.session_id, **audit_fields(event.failure))
            await self.sink.send(failure_update(event.failure))  # stored as a failure, not text
            return
        elif isinstance(event, ev.ToolCallStarted):
            self._started[event.call_id] = (event.tool, dict(event.raw_input), time.monotonic())
        elif isinstance(event, ev.ToolCallFinished):
            self._audit_call(event)
        surfaced = surface(event)  # retries, fallbacks, notices, compaction: gated forms
        if surfaced is not None:
            await self.sink.surface(surfaced)
            return
        update = translate(event)
        if update is not None:
            await self.sink.send(update)

    def _record_usage(self, event: ev.UsageUpdated) -> None:
        from agent.providers import cost_usd, model_info

        cost = cost_usd(
            model_info(event.model, self.engine.config.prices),
            event.input_tokens,
            event.output_tokens,
        )
        self.store.record_usage(
            self.session_id,
            self.sink.turn,
            event.model,
            event.input_tokens,
            event.output_tokens,
            cost,
        )
        self.store.save_history(self.session_id, self.engine.messages)

    def _audit_call(self, event: ev.ToolCallFinished) -> None:
        tool, arguments, began = self._started.pop(event.call_id, ("?", {}, time.monotonic()))
        self.audit(
            "tool_call",
            session=self.session_id,
            call_id=event.call_id,
            tool=tool,
            arguments=arguments,  # redacted by the audit log
            status=event.status,
            duration_ms=round((time.monotonic() - began) * 1000, 1),
        )


__all__ = [
    "CLAIM_PATIENCE",
    "TurnResult",
    "claim_turn",
    "claim_turn_blocking",
    "prompt_response",
    "run_turn",
    "usage_fields",
]
