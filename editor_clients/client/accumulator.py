"""A live view of one session, merged from `session/update` notifications.

Plugin authors get what an editor would render: message text, thoughts, tool
calls with their content and status, the plan, commands, mode, config options,
usage and title, notices, context compactions, plus the raw ordered updates.

Compactions follow the schema's upsert rules: the first update or summary
chunk of an id creates it (in progress), later updates patch it (`summary`
and `error`: omitted keeps, `null` or `[]` clears, a value replaces), and
summary chunks append.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from protocol.json_types import JsonObject, JsonValue, objects


@dataclass
class ToolCallView:
    id: str
    title: str = ""
    kind: str = "other"
    status: str = "pending"
    content: list[JsonObject] = field(default_factory=list)
    locations: list[JsonObject] = field(default_factory=list)
    raw_input: JsonValue = None
    raw_output: JsonValue = None


@dataclass
class NoticeView:
    severity: str
    title: str
    description: str | None = None


@dataclass
class CompactionView:
    id: str
    status: str = "in_progress"
    summary: list[JsonObject] = field(default_factory=list)
    error: str | None = None

    @property
    def summary_text(self) -> str:
        return "".join(str(b.get("text", "")) for b in self.summary if b.get("type") == "text")


@dataclass
class SessionView:
    session_id: str
    message: str = ""
    thoughts: str = ""
    user: str = ""
    tool_calls: dict[str, ToolCallView] = field(default_factory=dict)
    plan: list[JsonObject] = field(default_factory=list)
    commands: list[JsonObject] = field(default_factory=list)
    mode: str | None = None
    config_options: list[JsonObject] = field(default_factory=list)
    usage: JsonObject | None = None
    title: str | None = None
    notices: list[NoticeView] = field(default_factory=list)
    compactions: dict[str, CompactionView] = field(default_factory=dict)
    updates: list[JsonObject] = field(default_factory=list)

    def apply(self, update: JsonObject) -> None:
        self.updates.append(update)
        kind = update.get("sessionUpdate")
        handler = _HANDLERS.get(str(kind))
        if handler is not None:
            handler(self, update)

    def unfinished_tool_calls(self) -> list[str]:
        return [c.id for c in self.tool_calls.values() if c.status not in ("completed", "failed")]


_Handler = Callable[["SessionView", JsonObject], None]


def _text(update: JsonObject) -> str:
    content = update.get("content") or {}
    return str(content.get("text", "")) if isinstance(content, dict) else ""


def _tool_call(view: SessionView, update: JsonObject) -> None:
    call = view.tool_calls.setdefault(
        str(update["toolCallId"]), ToolCallView(str(update["toolCallId"]))
    )
    for key, attr in (
        ("title", "title"),
        ("kind", "kind"),
        ("status", "status"),
        ("rawInput", "raw_input"),
        ("rawOutput", "raw_output"),
    ):
        if update.get(key) is not None:
            setattr(call, attr, update[key])
    if update.get("content") is not None:
        call.content = objects(update["content"])  # arrays replace, per the spec
    if update.get("locations") is not None:
        call.locations = objects(update["locations"])


def _set(attribute: str, key: str) -> _Handler:
    def apply(view: SessionView, update: JsonObject) -> None:
        setattr(view, attribute, update.get(key))

    return apply


def _append(attribute: str) -> _Handler:
    def apply(view: SessionView, update: JsonObject) -> None:
        setattr(view, attribute, getattr(view, attribute) + _text(update))

    return apply


def _usage(view: SessionView, update: JsonObject) -> None:
    view.usage = {k: v for k, v in update.items() if k != "sessionUpdate"}


def _info(view: SessionView, update: JsonObject) -> None:
    if "title" in update:
        title = update["title"]
        view.title = title if isinstance(title, str) else None


def _notice(view: SessionView, update: JsonObject) -> None:
    description = update.get("description")
    view.notices.append(
        NoticeView(
            str(update.get("severity", "info")),
            str(update.get("title", "")),
            description if isinstance(description, str) else None,
        )
    )


def _compaction(view: SessionView, update: JsonObject) -> None:
    compaction_id = str(update.get("compactionId"))
    entry = view.compactions.setdefault(compaction_id, CompactionView(compaction_id))
    if update.get("sessionUpdate") == "compaction_summary_chunk":
        if isinstance(content := update.get("content"), dict):
            entry.summary.append(content)
        return
    if isinstance(status := update.get("status"), str):
        entry.status = status
    if "summary" in update:
        summary = update["summary"]
        entry.summary = (
            [b for b in summary if isinstance(b, dict)] if isinstance(summary, list) else []
        )
    if "error" in update:
        error = update["error"]
        entry.error = error if isinstance(error, str) else None


_HANDLERS: dict[str, _Handler] = {
    "agent_message_chunk": _append("message"),
    "agent_thought_chunk": _append("thoughts"),
    "user_message_chunk": _append("user"),
    "tool_call": _tool_call,
    "tool_call_update": _tool_call,
    "plan": _set("plan", "entries"),
    "available_commands_update": _set("commands", "availableCommands"),
    "current_mode_update": _set("mode", "currentModeId"),
    "config_option_update": _set("config_options", "configOptions"),
    "usage_update": _usage,
    "session_info_update": _info,
    "notice": _notice,
    "compaction_update": _compaction,
    "compaction_summary_chunk": _compaction,
}
