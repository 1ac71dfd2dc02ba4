"""Agent events that are not model output -> what each kind of client is shown.

Retries, fallbacks, routing, MCP servers that failed, budget and configuration
warnings (`Notice`), and context compaction have three forms each:

- for a client with the matching opt-in, the update the schema defines for it:
  a `notice` (live only: notices are not session history), or the
  `compaction_update` / `compaction_summary_chunk` of the compaction's id
  (stored, so `session/load` replays them to a client that opted in);
- for a client with `session.notices` but not `session.compaction`, a notice
  stands in for a compaction's outcome;
- for a client with neither, the text users saw before these updates existed,
  sent live as agent text and never stored: it is not the agent's answer.

`surface(event)` builds all forms at once (sync, no state); `pick` chooses one
for a client's opt-ins. The session's outbound path stores `Surfaced.update`
when `stored` is set, whatever it sent live.
"""

from __future__ import annotations

import os

import msgspec

from acp_server.opt_ins import SessionOptIns, allows
from agent import events as ev

Update = dict[str, object]
Severity = str  # "info" | "warning" | "error" (the schema allows others)


class Surfaced(msgspec.Struct, frozen=True):
    # A Struct, not a dataclass: this module loads with the first session, and
    # `dataclasses` costs ~1 ms to import and each class ~0.6 ms to build.
    update: Update  # the notice or compaction update, for a client with its opt-in
    stand_in: Update | None = None  # a notice for a client with notices only
    text: str | None = None  # for a client with neither opt-in: live, never stored
    stored: bool = False  # compaction is history; a notice is not


def notice_update(severity: Severity, text: str) -> Update:
    """A `notice` update: the first line of `text` is its title (required,
    non-empty, standing alone), the rest its description."""
    title, _, rest = text.strip().partition("\n")
    update: Update = {"sessionUpdate": "notice", "severity": severity, "title": title or "Notice"}
    if rest.strip():
        update["description"] = rest.strip()
    return update


def pick(surfaced: Surfaced, opt_ins: SessionOptIns) -> Update | None:
    """The one form of `surfaced` this client may be sent, if any."""
    if allows(opt_ins, surfaced.update["sessionUpdate"]):
        return surfaced.update
    if surfaced.stand_in is not None and opt_ins.notices:
        return surfaced.stand_in
    if surfaced.text:
        return {
            "sessionUpdate": "agent_message_chunk",
            "content": {"type": "text", "text": surfaced.text},
        }
    return None


def surface(event: ev.Event) -> Surfaced | None:
    """All forms of `event`, or None when it is not one of these events."""
    if isinstance(event, ev.RetryNotice):
        head = f"Retrying {event.model} in {event.delay:.1f} s (attempt {event.attempt})"
        return _notice("warning", head, event.reason, f"{head}: {event.reason}")
    if isinstance(event, ev.FallbackNotice):
        head = f"{event.from_model} failed; falling back to {event.to_model}"
        text = f"{event.from_model} failed ({event.reason}); falling back to {event.to_model}"
        return _notice("warning", head, event.reason, text)
    if isinstance(event, ev.ModelRouted):
        head = f"Routed to {event.to_model}"
        return _notice("info", head, event.reason, f"{head}: {event.reason}")
    if isinstance(event, ev.Notice):
        marker = "⚠ " if event.level in ("warning", "error") else ""
        text = f"\n_{marker}{event.text}_\n"
        return Surfaced(notice_update(event.level, event.text), text=text)
    return _compaction(event)


def _notice(severity: Severity, title: str, detail: str, text: str) -> Surfaced:
    return Surfaced(notice_update(severity, f"{title}\n{detail}"), text=f"\n_{text}_\n")


def _compaction(event: ev.Event) -> Surfaced | None:
    if isinstance(event, ev.CompactionStarted):
        return Surfaced(_compaction_update(event.compaction_id, "in_progress"), stored=True)
    if isinstance(event, ev.CompactionSummaryDelta):
        chunk: Update = {
            "sessionUpdate": "compaction_summary_chunk",
            "compactionId": event.compaction_id,
            "content": {"type": "text", "text": event.text},
        }
        return Surfaced(chunk, stored=True)
    if isinstance(event, ev.Compacted):
        update = _compaction_update(event.compaction_id or new_compaction_id(), "completed")
        # The whole summary replaces whatever chunks built: right whether or
        # not the summary was streamed.
        update["summary"] = [{"type": "text", "text": event.summary}]
        head = f"Context compacted: {event.messages_before} → {event.messages_after} messages"
        detail = f"About {event.tokens_before:,} → {event.tokens_after:,} tokens."
        return Surfaced(
            update, notice_update("info", f"{head}\n{detail}"), f"\n_{head}_\n", stored=True
        )
    if isinstance(event, ev.CompactionFailed):
        status = "cancelled" if event.cancelled else "failed"
        update = _compaction_update(event.compaction_id, status)
        if event.reason:
            update["error"] = event.reason
        if event.cancelled:
            return Surfaced(update, stored=True)
        head = "Context compaction failed; the history is unchanged"
        stand_in = notice_update("warning", f"{head}\n{event.reason}")
        return Surfaced(update, stand_in, f"\n_⚠ {head}: {event.reason}_\n", stored=True)
    return None


def _compaction_update(compaction_id: str, status: str) -> Update:
    return {"sessionUpdate": "compaction_update", "compactionId": compaction_id, "status": status}


def new_compaction_id() -> str:
    return f"compaction_{os.urandom(6).hex()}"


__all__ = ["Surfaced", "new_compaction_id", "notice_update", "pick", "surface"]
