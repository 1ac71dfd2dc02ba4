"""Runs one model response's tool calls: describe, decide, ask, run, report.

Every call that was announced with ToolCallStarted is finished exactly once,
here or by `close_open_calls` when the turn ends early.

The runner knows no engine: it gets the session's `ToolSettings` (shared, so a
mode switched while a turn runs applies to the calls decided after it), a
lookup from tool name to tool, the host ports, and where events go.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import msgspec

from agent.events import (
    Event,
    Location,
    PermissionDecided,
    TextContent,
    ToolCallFinished,
    ToolCallProgress,
    ToolCallStarted,
    ToolContent,
)
from agent.messages import Message, ToolMessage
from agent.policy import decide
from agent.ports import MAX_EDIT_BYTES, FileAccessError, Host, PermissionRequest
from agent.providers import StreamToolCall
from agent.tools.api import (
    Access,
    Tool,
    ToolContext,
    ToolDescription,
    ToolInputError,
    ToolOutput,
)

log = logging.getLogger("agent.tools")

#: The tool call whose work is running in this task, for hosts' log correlation.
current_tool_call: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_tool_call", default=None
)
_CLEANUP_GRACE = 3.0  # seconds a cancelled tool gets to release what it holds


class ToolSettings(msgspec.Struct):
    """What the runner needs of a session. Mutable on purpose: the engine
    owns one and changes `mode` in place when the session's mode changes."""

    cwd: str
    roots: tuple[str, ...]  # cwd first, then additional directories
    mode: str = "ask"
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    concurrency: int = 4
    command_timeout: float = 120.0
    max_edit_bytes: int = MAX_EDIT_BYTES


ToolLookup = Callable[[str], "Tool | None"]


class ToolRunner:
    def __init__(
        self,
        settings: ToolSettings,
        lookup: ToolLookup,
        host: Host,
        emit: Callable[[Event], None],
    ) -> None:
        self.settings = settings
        self.lookup = lookup
        self.host = host
        self.emit = emit
        self.open_calls: dict[str, str] = {}

    async def run_all(self, calls: Sequence[StreamToolCall]) -> list[Message]:
        limit = asyncio.Semaphore(max(1, self.settings.concurrency))
        tasks = [asyncio.create_task(self._run_one(call, limit)) for call in calls]
        try:
            return list(await asyncio.gather(*tasks))
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            # Let tools release terminals and kill processes before the turn ends.
            await asyncio.wait(tasks, timeout=_CLEANUP_GRACE)
            raise

    def close_open_calls(self, reason: str) -> None:
        for call_id in list(self.open_calls):
            self._finish(call_id, "failed", (TextContent(reason),), None)

    def _finish(
        self,
        call_id: str,
        status: Literal["completed", "failed"],
        content: tuple[ToolContent, ...],
        raw_output: object,
        locations: tuple[Location, ...] | None = None,
    ) -> None:
        if self.open_calls.pop(call_id, None) is None:
            return
        self.emit(ToolCallFinished(call_id, status, content, raw_output, locations))

    def _reject_early(self, call: StreamToolCall, message: str) -> Message:
        self.emit(
            ToolCallStarted(
                call.id,
                call.name,
                call.name,
                "other",
                dict(call.arguments or {"raw": call.raw_arguments}),
            )
        )
        self.open_calls[call.id] = call.name
        self._finish(call.id, "failed", (TextContent(message),), None)
        return tool_result(call, message, is_error=True)

    async def _run_one(self, call: StreamToolCall, limit: asyncio.Semaphore) -> Message:
        current_tool_call.set(call.id)  # each call runs in its own task
        settings = self.settings
        tool = self.lookup(call.name)
        if tool is None:
            return self._reject_early(call, f"Unknown tool {call.name!r}.")
        if call.arguments is None:
            return self._reject_early(
                call,
                f"The arguments for {call.name} were not valid JSON: {call.raw_arguments[:200]!r}",
            )
        args = call.arguments
        try:
            description = tool.describe(args, settings.cwd)
            access = tool.access(args, settings.cwd)
        except ToolInputError as error:
            return self._reject_early(call, str(error))
        except Exception as error:  # a bug in one tool fails its call, never the turn
            log.exception("%s: checking the arguments failed", call.name)
            return self._reject_early(call, f"{call.name} could not check its arguments: {error}")
        self.emit(
            ToolCallStarted(
                call.id,
                call.name,
                description.title,
                description.kind,
                dict(args),
                description.locations,
            )
        )
        self.open_calls[call.id] = call.name
        ctx = self._context(call.id)
        try:
            allowed, reason = await self._permit(call, tool, args, access, description, ctx)
        except Exception as error:  # fail closed: a broken check never allows
            log.exception("%s: the permission check failed", call.name)
            allowed, reason = False, f"the permission check failed ({error})"
        if not allowed:
            self._finish(call.id, "failed", (TextContent(f"Denied: {reason}"),), None)
            return tool_result(
                call,
                f"denied: {reason}. Do not retry this call unchanged; adapt or ask the user.",
                is_error=True,
            )
        async with limit:
            self.emit(ToolCallProgress(call.id, status="in_progress"))
            output = await self._execute(tool, args, ctx)
        self._finish(
            call.id,
            "failed" if output.is_error else "completed",
            output.content,
            output.raw_output,
            output.locations,
        )
        return tool_result(call, output.model_text, is_error=output.is_error)

    def _context(self, call_id: str) -> ToolContext:
        settings = self.settings

        def report(content: tuple[ToolContent, ...]) -> None:
            self.emit(ToolCallProgress(call_id, content=content))

        return ToolContext(
            call_id,
            settings.cwd,
            settings.roots,
            self.host,
            settings.command_timeout,
            report=report,
            emit_event=self.emit,
            max_edit_bytes=settings.max_edit_bytes,
        )

    async def _permit(
        self,
        call: StreamToolCall,
        tool: Tool,
        args: Mapping[str, object],
        access: Access,
        description: ToolDescription,
        ctx: ToolContext,
    ) -> tuple[bool, str]:
        settings = self.settings
        decision = decide(
            call.name,
            access,
            mode=settings.mode,
            roots=settings.roots,
            allow=settings.allow,
            deny=settings.deny,
        )
        if decision.action != "ask":
            allowed = decision.action == "allow"
            self.emit(PermissionDecided(call.id, call.name, allowed, decision.by, decision.reason))
            return allowed, decision.reason
        try:
            preview = await tool.preview(args, ctx)
        except (ToolInputError, FileAccessError) as error:
            preview = (TextContent(f"(no preview: {error})"),)
        if preview:
            self.emit(ToolCallProgress(call.id, status="pending", content=preview))
        request = PermissionRequest(
            call.id,
            call.name,
            description.title,
            description.kind,
            dict(args),
            preview,
            description.locations,
            decision.reason,
        )
        outcome = await self.host.permissions.request(request)
        allowed = outcome in ("allow_once", "allow_always")
        self.emit(
            PermissionDecided(call.id, call.name, allowed, f"user:{outcome}", decision.reason)
        )
        return allowed, "the user declined" if outcome != "cancelled" else "the turn was cancelled"

    async def _execute(
        self, tool: Tool, args: Mapping[str, object], ctx: ToolContext
    ) -> ToolOutput:
        try:
            return await tool.run(args, ctx)
        except (ToolInputError, FileAccessError) as error:
            return ToolOutput(f"Error: {error}", (TextContent(str(error)),), is_error=True)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("tool %s crashed", tool.spec.name)
            message = f"The tool {tool.spec.name} crashed: {type(error).__name__}: {error}"
            return ToolOutput(message, (TextContent(message),), is_error=True)


def tool_result(call: StreamToolCall, text: str, *, is_error: bool) -> ToolMessage:
    return {
        "role": "tool",
        "tool_call_id": call.id,
        "name": call.name,
        "content": text,
        "is_error": is_error,
    }
