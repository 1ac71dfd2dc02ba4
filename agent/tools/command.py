"""The command tool and the plan tool."""

from __future__ import annotations

from collections.abc import Mapping

from agent.events import PlanEntry, PlanUpdated, TerminalContent, TextContent
from agent.tools.api import (
    Access,
    ToolContext,
    ToolDescription,
    ToolInputError,
    ToolOutput,
    ToolSpec,
)
from agent.tools.base import NoPreview, arg_str, cap


class RunCommand(NoPreview):
    spec = ToolSpec(
        "run_command",
        "Run a shell command (/bin/sh -c) in the session directory. Output is tail-capped; a timeout kills it.",
        {
            "type": "object",
            "properties": {"command": {"type": "string"}, "timeout": {"type": "number"}},
            "required": ["command"],
        },
        "execute",
    )

    def describe(self, args: Mapping[str, object], cwd: str) -> ToolDescription:
        command = args.get("command")
        return ToolDescription(
            f"Run `{command}`" if isinstance(command, str) else "Run a command", "execute"
        )

    def access(self, args: Mapping[str, object], cwd: str) -> Access:
        return Access("execute", command=arg_str(args, "command"))

    async def preview(
        self, args: Mapping[str, object], ctx: ToolContext
    ) -> tuple[TextContent, ...]:
        return (TextContent(f"```sh\n{arg_str(args, 'command')}\n```"),)

    async def run(self, args: Mapping[str, object], ctx: ToolContext) -> ToolOutput:
        command = arg_str(args, "command")
        timeout = args.get("timeout")
        limit = (
            float(timeout)
            if isinstance(timeout, (int, float)) and timeout > 0
            else ctx.command_timeout
        )

        def on_terminal(terminal_id: str) -> None:
            ctx.report((TerminalContent(terminal_id),))

        result = await ctx.host.commands.run(
            command, cwd=ctx.cwd, timeout=limit, on_terminal=on_terminal
        )
        status = (
            "timed out"
            if result.timed_out
            else f"exit code {result.exit_code}"
            if result.exit_code is not None
            else f"killed ({result.signal})"
        )
        text = cap(result.output) + ("\n[output truncated to its tail]" if result.truncated else "")
        content = (
            (TerminalContent(result.terminal_id),)
            if result.terminal_id
            else (TextContent(f"```\n{text}\n```"),)
            if text
            else ()
        )
        return ToolOutput(
            f"{status}\n{text}",
            content,
            is_error=result.exit_code != 0,
            raw_output={
                "exit_code": result.exit_code,
                "timed_out": result.timed_out,
                "signal": result.signal,
            },
        )


class UpdatePlan(NoPreview):
    spec = ToolSpec(
        "update_plan",
        "Replace the visible plan. `entries`: list of {content, status: pending|in_progress|completed, priority?}.",
        {
            "type": "object",
            "properties": {
                "entries": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "content": {"type": "string"},
                            "status": {"type": "string"},
                            "priority": {"type": "string"},
                        },
                    },
                }
            },
            "required": ["entries"],
        },
        "think",
    )

    def describe(self, args: Mapping[str, object], cwd: str) -> ToolDescription:
        return ToolDescription("Update plan", "think")

    def access(self, args: Mapping[str, object], cwd: str) -> Access:
        return Access("none")

    async def run(self, args: Mapping[str, object], ctx: ToolContext) -> ToolOutput:
        raw = args.get("entries")
        if not isinstance(raw, list):
            raise ToolInputError("`entries` must be a list")
        entries = tuple(_entry(item) for item in raw)
        ctx.emit_event(PlanUpdated(entries))
        return ToolOutput("Plan updated.", raw_output={"entries": len(entries)})


def _entry(item: object) -> PlanEntry:
    if isinstance(item, str):
        return PlanEntry(item)
    if not isinstance(item, dict) or not isinstance(item.get("content"), str):
        raise ToolInputError("each plan entry needs a string `content`")
    status = (
        item.get("status")
        if item.get("status") in ("pending", "in_progress", "completed")
        else "pending"
    )
    priority = (
        item.get("priority") if item.get("priority") in ("high", "medium", "low") else "medium"
    )
    return PlanEntry(item["content"], status, priority)  # type: ignore[arg-type]
