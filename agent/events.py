"""The engine's output vocabulary: frozen events yielded by `Engine.submit()`.

Contract: a turn yields any number of the events below and ends with exactly one
`TurnFinished`. Every `ToolCallStarted` is followed, before `TurnFinished`, by
exactly one `ToolCallFinished` with the same `call_id`, also when the call was
denied, cancelled or crashed. Consumers (the ACP server, the headless runner,
embedding programs) translate these; none of them is ACP-specific.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ToolKind = Literal[
    "read", "edit", "delete", "move", "search", "execute", "think", "fetch", "switch_mode", "other"
]
StopReason = Literal["end_turn", "max_tokens", "max_turn_requests", "refusal", "cancelled"]
PlanStatus = Literal["pending", "in_progress", "completed"]
PlanPriority = Literal["high", "medium", "low"]
NoticeLevel = Literal["info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Location:
    """A file the tool touches; `path` is absolute, `line` 1-based."""

    path: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class TextContent:
    text: str


@dataclass(frozen=True, slots=True)
class ImageContent:
    data: str  # base64
    mime_type: str


@dataclass(frozen=True, slots=True)
class DiffContent:
    """An edit; `old_text` is None for a new file. `path` is absolute."""

    path: str
    old_text: str | None
    new_text: str


@dataclass(frozen=True, slots=True)
class TerminalContent:
    """A terminal owned by the host (the editor), shown live in the tool call."""

    terminal_id: str


ToolContent = TextContent | ImageContent | DiffContent | TerminalContent


@dataclass(frozen=True, slots=True)
class PlanEntry:
    content: str
    status: PlanStatus = "pending"
    priority: PlanPriority = "medium"


# ---------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ThoughtDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    call_id: str
    tool: str  # programmatic name, e.g. "read_file" or "mcp__github__search"
    title: str  # human title that shows what it does, e.g. "Read src/app.py"
    kind: ToolKind
    raw_input: Mapping[str, object]
    locations: tuple[Location, ...] = ()


@dataclass(frozen=True, slots=True)
class ToolCallProgress:
    """A change to a running call. None means "unchanged"; tuples replace."""

    call_id: str
    status: Literal["pending", "in_progress"] | None = None
    title: str | None = None
    content: tuple[ToolContent, ...] | None = None
    locations: tuple[Location, ...] | None = None


@dataclass(frozen=True, slots=True)
class ToolCallFinished:
    call_id: str
    status: Literal["completed", "failed"]
    content: tuple[ToolContent, ...] = ()
    raw_output: object = None
    locations: tuple[Location, ...] | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class PermissionDecided:
    """How a tool call was cleared or refused, and by whom (for the audit log).

    `by` is "mode:<mode>", "rule:<pattern>", "sensitive", "roots", or
    "user:<outcome>" when the user answered a prompt."""

    call_id: str
    tool: str
    allowed: bool
    by: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PlanUpdated:
    """Always the complete plan."""

    entries: tuple[PlanEntry, ...]


@dataclass(frozen=True, slots=True)
class UsageUpdated:
    """Sent after each model call. Token counts are for that call; costs are cumulative."""

    model: str
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int = 0
    thought_tokens: int = 0
    context_used: int = 0  # estimated tokens now in the context window
    context_window: int = 0
    turn_cost_usd: float | None = None  # None when the price is unknown
    session_cost_usd: float | None = None


@dataclass(frozen=True, slots=True)
class RetryNotice:
    model: str
    attempt: int
    delay: float  # seconds until the next attempt
    reason: str


@dataclass(frozen=True, slots=True)
class FallbackNotice:
    from_model: str
    to_model: str
    reason: str


@dataclass(frozen=True, slots=True)
class ModelRouted:
    """smart_routing sent this call to another model."""

    from_model: str
    to_model: str
    reason: str


@dataclass(frozen=True, slots=True)
class Compacted:
    messages_before: int
    messages_after: int
    tokens_before: int
    tokens_after: int
    summary: str


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should see that is not model output (e.g. an MCP server died)."""

    level: NoticeLevel
    text: str


@dataclass(frozen=True, slots=True)
class TurnUsage:
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    thought_tokens: int = 0
    cost_usd: float | None = None


@dataclass(frozen=True, slots=True)
class TurnFinished:
    stop_reason: StopReason
    usage: TurnUsage = field(default_factory=TurnUsage)
    message: str | None = None  # why, when the stop is not a plain end_turn


Event = (
    TextDelta
    | ThoughtDelta
    | ToolCallStarted
    | ToolCallProgress
    | ToolCallFinished
    | PermissionDecided
    | PlanUpdated
    | UsageUpdated
    | RetryNotice
    | FallbackNotice
    | ModelRouted
    | Compacted
    | Notice
    | TurnFinished
)
