"""The engine's output vocabulary: frozen events yielded by `Engine.submit()`.

Contract: a turn yields any number of the events below and ends with exactly one
`TurnFinished`. A turn that could not be done (the model call failed for good,
the model is not usable, a bug) ends `failed` and carries a `TurnFailure`:
hosts report it as a failure, never as the agent's answer. Every `ToolCallStarted` is followed, before `TurnFinished`, by
exactly one `ToolCallFinished` with the same `call_id`, also when the call was
denied, cancelled or crashed. Consumers (the ACP server, the headless runner,
embedding programs) translate these; none of them is ACP-specific.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import msgspec

ToolKind = Literal[
    "read", "edit", "delete", "move", "search", "execute", "think", "fetch", "switch_mode", "other"
]
StopReason = Literal[
    "end_turn", "max_tokens", "max_turn_requests", "refusal", "cancelled", "failed"
]
PlanStatus = Literal["pending", "in_progress", "completed"]
PlanPriority = Literal["high", "medium", "low"]
NoticeLevel = Literal["info", "warning", "error"]
# configuration / authentication: the user must change something (the fix says
# what); provider: the call failed for good (retries spent, or not retryable);
# internal: a bug here (the log has the details).
FailureKind = Literal["configuration", "authentication", "provider", "internal"]


class Location(msgspec.Struct, frozen=True):
    """A file the tool touches; `path` is absolute, `line` 1-based."""

    path: str
    line: int | None = None


class TextContent(msgspec.Struct, frozen=True):
    text: str


class ImageContent(msgspec.Struct, frozen=True):
    data: str  # base64
    mime_type: str


class DiffContent(msgspec.Struct, frozen=True):
    """An edit; `old_text` is None for a new file. `path` is absolute."""

    path: str
    old_text: str | None
    new_text: str


class TerminalContent(msgspec.Struct, frozen=True):
    """A terminal owned by the host (the editor), shown live in the tool call."""

    terminal_id: str


ToolContent = TextContent | ImageContent | DiffContent | TerminalContent


class PlanEntry(msgspec.Struct, frozen=True):
    content: str
    status: PlanStatus = "pending"
    priority: PlanPriority = "medium"


# ---------------------------------------------------------------- events


class TextDelta(msgspec.Struct, frozen=True):
    text: str


class ThoughtDelta(msgspec.Struct, frozen=True):
    text: str


class ToolCallStarted(msgspec.Struct, frozen=True):
    call_id: str
    tool: str  # programmatic name, e.g. "read_file" or "mcp__github__search"
    title: str  # human title that shows what it does, e.g. "Read src/app.py"
    kind: ToolKind
    raw_input: Mapping[str, object]
    locations: tuple[Location, ...] = ()


class ToolCallProgress(msgspec.Struct, frozen=True):
    """A change to a running call. None means "unchanged"; tuples replace."""

    call_id: str
    status: Literal["pending", "in_progress"] | None = None
    title: str | None = None
    content: tuple[ToolContent, ...] | None = None
    locations: tuple[Location, ...] | None = None


class ToolCallFinished(msgspec.Struct, frozen=True):
    call_id: str
    status: Literal["completed", "failed"]
    content: tuple[ToolContent, ...] = ()
    raw_output: object = None
    locations: tuple[Location, ...] | None = None
    title: str | None = None


class PermissionDecided(msgspec.Struct, frozen=True):
    """How a tool call was cleared or refused, and by whom (for the audit log).

    `by` is "mode:<mode>", "rule:<pattern>", "sensitive", "roots", or
    "user:<outcome>" when the user answered a prompt."""

    call_id: str
    tool: str
    allowed: bool
    by: str
    reason: str = ""


class PlanUpdated(msgspec.Struct, frozen=True):
    """Always the complete plan."""

    entries: tuple[PlanEntry, ...]


class UsageUpdated(msgspec.Struct, frozen=True):
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


class RetryNotice(msgspec.Struct, frozen=True):
    model: str
    attempt: int
    delay: float  # seconds until the next attempt
    reason: str


class FallbackNotice(msgspec.Struct, frozen=True):
    from_model: str
    to_model: str
    reason: str


class ModelRouted(msgspec.Struct, frozen=True):
    """Routing sent this call to another model (a cheaper one for a short prompt,
    a larger-context one for a history too long for the current window)."""

    from_model: str
    to_model: str
    reason: str


class CompactionStarted(msgspec.Struct, frozen=True):
    """Older history is being summarised. Exactly one `Compacted` or
    `CompactionFailed` with the same `compaction_id` follows, also when the
    turn is cancelled meanwhile. `automatic` is False for an explicit request
    (`/compact`), True when the context grew past its threshold."""

    compaction_id: str
    automatic: bool = True


class CompactionSummaryDelta(msgspec.Struct, frozen=True):
    """A piece of the summary, as the model writes it."""

    compaction_id: str
    text: str


class Compacted(msgspec.Struct, frozen=True):
    messages_before: int
    messages_after: int
    tokens_before: int
    tokens_after: int
    summary: str
    compaction_id: str = ""  # the `CompactionStarted` it ends ("" when none was sent)


class CompactionFailed(msgspec.Struct, frozen=True):
    """A compaction that did not happen: the history is unchanged."""

    compaction_id: str
    reason: str
    cancelled: bool = False


class Notice(msgspec.Struct, frozen=True):
    """Something the user should see that is not model output (e.g. an MCP
    server died). The first line of `text` stands alone as a title; further
    lines are detail (a stderr tail, a fix)."""

    level: NoticeLevel
    text: str


class TurnUsage(msgspec.Struct, frozen=True):
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    thought_tokens: int = 0
    cost_usd: float | None = None


class TurnFailure(msgspec.Struct, frozen=True):
    """Why a turn failed. `message` is one line for the user that names the
    provider, model, URL and cause; no field holds a traceback or a secret."""

    kind: FailureKind
    message: str
    fix: str = ""  # what to change; set for configuration and authentication
    provider: str = ""
    model: str = ""
    url: str = ""
    attempts: int = 0  # model calls made before giving up (0: none was made)


class TurnFinished(msgspec.Struct, frozen=True):
    stop_reason: StopReason
    usage: TurnUsage = msgspec.field(default_factory=TurnUsage)
    message: str | None = None  # why, when the stop is not a plain end_turn
    # Set when stop_reason is "failed". A cancel that overtook a failure turns the
    # stop into "cancelled" and may leave this set: the stop reason decides.
    failure: TurnFailure | None = None


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
    | CompactionStarted
    | CompactionSummaryDelta
    | Compacted
    | CompactionFailed
    | Notice
    | TurnFinished
)
