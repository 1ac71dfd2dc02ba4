"""Agent events -> `session/update` payloads (plain wire dicts), synchronously.

The `ToolLedger` remembers every tool call's last status so that, at turn end
and when replaying a session that crashed mid-turn, each `tool_call` gets a
final `completed` or `failed` update.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from agent import events as ev

Update = dict[str, object]


def tool_content(item: ev.ToolContent) -> dict[str, object]:
    if isinstance(item, ev.TextContent):
        return {"type": "content", "content": {"type": "text", "text": item.text}}
    if isinstance(item, ev.DiffContent):
        return {
            "type": "diff",
            "path": item.path,
            "oldText": item.old_text,
            "newText": item.new_text,
        }
    if isinstance(item, ev.TerminalContent):
        return {"type": "terminal", "terminalId": item.terminal_id}
    return {
        "type": "content",
        "content": {"type": "image", "data": item.data, "mimeType": item.mime_type},
    }


def wire_locations(locations: Iterable[ev.Location]) -> list[dict[str, object]]:
    return [
        {"path": loc.path, "line": loc.line} if loc.line else {"path": loc.path}
        for loc in locations
    ]


def text_chunk(text: str, kind: str = "agent_message_chunk") -> Update:
    return {"sessionUpdate": kind, "content": {"type": "text", "text": text}}


def notice_text(event: ev.Event) -> str | None:
    """User-visible lines for what is not model output (retries, fallbacks, ...)."""
    if isinstance(event, ev.RetryNotice):
        return f"\n_Retrying {event.model} in {event.delay:.1f} s (attempt {event.attempt}): {event.reason}_\n"
    if isinstance(event, ev.FallbackNotice):
        return f"\n_{event.from_model} failed ({event.reason}); falling back to {event.to_model}_\n"
    if isinstance(event, ev.ModelRouted):
        return f"\n_Routed to {event.to_model}: {event.reason}_\n"
    if isinstance(event, ev.Compacted):
        return f"\n_Context compacted: {event.messages_before} → {event.messages_after} messages_\n"
    if isinstance(event, ev.Notice):
        marker = {"error": "⚠ ", "warning": "⚠ "}.get(event.level, "")
        return f"\n_{marker}{event.text}_\n"
    return None


def for_replay(update: Update, outputs: Mapping[str, str], missing: str | None = None) -> Update:
    """The form of a tool call update that is kept for replay.

    A terminal belongs to the editor and dies with its connection, so a new
    client could not look its id up: each terminal is replaced by its final
    output as text (`outputs`, by terminal id), or by `missing` when there is
    none (left out when `missing` is None: the command still runs, and its
    final update will carry the output)."""
    content = update.get("content")
    if not isinstance(content, list) or not any(
        isinstance(c, dict) and c.get("type") == "terminal" for c in content
    ):
        return update
    kept: list[object] = []
    for item in content:
        if not (isinstance(item, dict) and item.get("type") == "terminal"):
            kept.append(item)
        elif (text := outputs.get(str(item.get("terminalId")), missing)) is not None:
            kept.append(tool_content(ev.TextContent(text)))
    return {**update, "content": kept}


class ToolLedger:
    def __init__(self) -> None:
        self.status: dict[str, str] = {}

    def observe(self, update: Update) -> None:
        kind = update.get("sessionUpdate")
        if kind == "tool_call":
            self.status[str(update["toolCallId"])] = str(update.get("status", "pending"))
        elif kind == "tool_call_update" and "status" in update:
            self.status[str(update["toolCallId"])] = str(update["status"])

    def unfinished(self) -> list[str]:
        return [cid for cid, status in self.status.items() if status not in ("completed", "failed")]

    def close_all(self, reason: str) -> list[Update]:
        """Final updates for every call left open (a crash, or a bug upstream)."""
        closing: list[Update] = [
            {
                "sessionUpdate": "tool_call_update",
                "toolCallId": call_id,
                "status": "failed",
                "content": [tool_content(ev.TextContent(reason))],
            }
            for call_id in self.unfinished()
        ]
        for update in closing:
            self.observe(update)
        return closing


def translate(event: ev.Event) -> Update | None:
    if isinstance(event, ev.TextDelta):
        return text_chunk(event.text)
    if isinstance(event, ev.ThoughtDelta):
        return text_chunk(event.text, "agent_thought_chunk")
    if isinstance(event, ev.ToolCallStarted):
        return {
            "sessionUpdate": "tool_call",
            "toolCallId": event.call_id,
            "title": event.title,
            # The programmatic name (read_file, mcp__server__tool): clients map
            # icons and permission rules on it, never on the human title.
            "name": event.tool,
            "kind": event.kind,
            "status": "pending",
            "rawInput": dict(event.raw_input),
            "locations": wire_locations(event.locations),
        }
    if isinstance(event, ev.ToolCallProgress):
        update: Update = {"sessionUpdate": "tool_call_update", "toolCallId": event.call_id}
        if event.status is not None:
            update["status"] = event.status
        if event.title is not None:
            update["title"] = event.title
        if event.content is not None:
            update["content"] = [tool_content(c) for c in event.content]
        if event.locations is not None:
            update["locations"] = wire_locations(event.locations)
        return update
    if isinstance(event, ev.ToolCallFinished):
        update = {
            "sessionUpdate": "tool_call_update",
            "toolCallId": event.call_id,
            "status": event.status,
            "content": [tool_content(c) for c in event.content],
        }
        if event.raw_output is not None:
            update["rawOutput"] = event.raw_output
        if event.locations is not None:
            update["locations"] = wire_locations(event.locations)
        if event.title is not None:
            update["title"] = event.title
        return update
    if isinstance(event, ev.PlanUpdated):
        entries = [
            {"content": e.content, "priority": e.priority, "status": e.status}
            for e in event.entries
        ]
        return {"sessionUpdate": "plan", "entries": entries}
    if isinstance(event, ev.UsageUpdated):
        update = {
            "sessionUpdate": "usage_update",
            "used": event.context_used,
            "size": event.context_window,
        }
        if event.session_cost_usd is not None:
            update["cost"] = {"amount": round(event.session_cost_usd, 6), "currency": "USD"}
        return update
    text = notice_text(event)
    return text_chunk(text) if text else None
