"""A live view of one session, merged from `session/update` notifications.

Plugin authors get what an editor would render: message text, thoughts, tool
calls with their content and status, the plan, commands, mode, config options,
usage and title, plus the raw ordered updates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ToolCallView:
    id: str
    title: str = ""
    kind: str = "other"
    status: str = "pending"
    content: list[dict[str, Any]] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=list)
    raw_input: Any = None
    raw_output: Any = None


@dataclass
class SessionView:
    session_id: str
    message: str = ""
    thoughts: str = ""
    user: str = ""
    tool_calls: dict[str, ToolCallView] = field(default_factory=dict)
    plan: list[dict[str, Any]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    mode: str | None = None
    config_options: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    title: str | None = None
    updates: list[dict[str, Any]] = field(default_factory=list)

    def apply(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        kind = update.get("sessionUpdate")
        handler = _HANDLERS.get(str(kind))
        if handler is not None:
            handler(self, update)

    def unfinished_tool_calls(self) -> list[str]:
        return [c.id for c in self.tool_calls.values() if c.status not in ("completed", "failed")]


def _text(update: dict[str, Any]) -> str:
    content = update.get("content") or {}
    return str(content.get("text", "")) if isinstance(content, dict) else ""


def _tool_call(view: SessionView, update: dict[str, Any]) -> None:
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
        call.content = list(update["content"])  # arrays replace, per the spec
    if update.get("locations") is not None:
        call.locations = list(update["locations"])


def _set(attribute: str, key: str) -> Any:
    def apply(view: SessionView, update: dict[str, Any]) -> None:
        setattr(view, attribute, update.get(key))

    return apply


def _append(attribute: str) -> Any:
    def apply(view: SessionView, update: dict[str, Any]) -> None:
        setattr(view, attribute, getattr(view, attribute) + _text(update))

    return apply


def _usage(view: SessionView, update: dict[str, Any]) -> None:
    view.usage = {k: v for k, v in update.items() if k != "sessionUpdate"}


def _info(view: SessionView, update: dict[str, Any]) -> None:
    if "title" in update:
        view.title = update["title"]


_HANDLERS: dict[str, Any] = {
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
}
