"""The tool interface shared by built-in tools and MCP tools.

A tool describes a call before it runs (title, kind, locations: what the user
sees), declares what it touches (so the permission policy can decide without
knowing the tool), and runs against the host ports in `ToolContext`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal, Protocol, runtime_checkable

import msgspec

from agent.events import Event, Location, ToolContent, ToolKind
from agent.ports import MAX_EDIT_BYTES, Host

AccessKind = Literal["read", "write", "execute", "external", "none"]


class ToolSpec(msgspec.Struct, frozen=True):
    name: str  # what the model calls; MCP tools are "mcp__<server>__<tool>"
    description: str
    input_schema: Mapping[str, object]
    kind: ToolKind = "other"


class ToolDescription(msgspec.Struct, frozen=True):
    title: str
    kind: ToolKind
    locations: tuple[Location, ...] = ()


class Access(msgspec.Struct, frozen=True):
    """What a call would touch. `paths` are absolute; `command` is the exact command line."""

    kind: AccessKind
    paths: tuple[str, ...] = ()
    command: str | None = None
    read_only_hint: bool = False  # e.g. an MCP tool annotated readOnlyHint


class ToolOutput(msgspec.Struct, frozen=True):
    model_text: str  # what goes back to the model as the tool result
    content: tuple[ToolContent, ...] = ()  # what the user sees in the tool call
    is_error: bool = False
    raw_output: object = None
    locations: tuple[Location, ...] | None = None


class ToolContext(msgspec.Struct):
    call_id: str
    cwd: str
    roots: tuple[str, ...]  # cwd first, then additional directories
    host: Host
    command_timeout: float = 120.0
    # Show live content in the tool call (e.g. an editor terminal) while it runs.
    report: Callable[[tuple[ToolContent, ...]], None] = msgspec.field(default=lambda _content: None)
    # Emit an engine event directly (the plan tool publishes PlanUpdated this way).
    emit_event: Callable[[Event], None] = msgspec.field(default=lambda _event: None)
    # Largest file an edit reads whole and changes; larger ones are refused, never cut.
    max_edit_bytes: int = MAX_EDIT_BYTES


class ToolInputError(Exception):
    """The model's arguments are unusable; the message goes back to the model."""


@runtime_checkable
class Tool(Protocol):
    spec: ToolSpec

    def describe(self, args: Mapping[str, object], cwd: str) -> ToolDescription: ...

    def access(self, args: Mapping[str, object], cwd: str) -> Access: ...

    async def preview(
        self, args: Mapping[str, object], ctx: ToolContext
    ) -> tuple[ToolContent, ...]:
        """Content for the permission prompt (e.g. the diff a write would make)."""
        ...

    async def run(self, args: Mapping[str, object], ctx: ToolContext) -> ToolOutput: ...


@runtime_checkable
class ToolSource(Protocol):
    """A set of tools that may change while a session lives (MCP servers connecting late)."""

    def tools(self) -> Sequence[Tool]: ...
