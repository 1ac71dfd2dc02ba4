"""The `/tools` view: each tool, where it comes from, and what the mode does with it."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import msgspec

from agent.policy import decide
from agent.tools.api import Access, Tool


class ToolInfo(msgspec.Struct, frozen=True):
    name: str
    description: str
    source: str  # "builtin" or "mcp:<server>"
    permission: str  # what happens in the current mode: "allowed", "asks", "refused"


def describe_tools(
    tools: Sequence[Tool],
    builtin: Collection[str],
    *,
    cwd: str,
    mode: str,
    roots: Sequence[str],
    allow: Sequence[str],
    deny: Sequence[str],
) -> list[ToolInfo]:
    infos = []
    for tool in tools:
        name = tool.spec.name
        access = _typical_access(tool, cwd, builtin=name in builtin)
        decision = decide(name, access, mode=mode, roots=roots, allow=allow, deny=deny)
        state = {"allow": "allowed", "ask": "asks", "deny": "refused"}[decision.action]
        if name in builtin:
            source = "builtin"
        else:  # "mcp__<server>__<tool>"
            source = "mcp:" + name.split("__")[1] if name.count("__") >= 2 else "mcp"
        infos.append(ToolInfo(name, tool.spec.description, source, state))
    return infos


def _typical_access(tool: Tool, cwd: str, *, builtin: bool) -> Access:
    kinds = {"read": "read", "search": "read", "edit": "write", "delete": "write",
             "move": "write", "execute": "execute"}  # fmt: skip
    if tool.spec.name == "update_plan":
        return Access("none")
    if builtin:
        return Access(kinds.get(tool.spec.kind, "external"))  # type: ignore[arg-type]
    try:  # MCP tools know their read-only hint without arguments
        return tool.access({}, cwd)
    except Exception:
        return Access("external")


__all__ = ["ToolInfo", "describe_tools"]
