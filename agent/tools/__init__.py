"""Tools: the API every tool implements (`agent.tools.api`), the built-in
tools (`builtin_tools()`), the runner that executes a response's calls
(`agent.tools.runner`) and the `/tools` view (`agent.tools.info`). Each
built-in tool has an ACP-style kind, a descriptive title and locations.

The names below load on first use, so the permission policy (which needs only
`agent.tools.paths`) does not load every built-in tool.
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.tools.api import (
        Access,
        AccessKind,
        Tool,
        ToolContext,
        ToolDescription,
        ToolInputError,
        ToolOutput,
        ToolSource,
        ToolSpec,
    )
    from agent.tools.builtin import builtin_tools
    from agent.tools.command import RunCommand, UpdatePlan
    from agent.tools.files import EditFile, Glob, Grep, ListDir, ReadFile, WriteFile, apply_edits
    from agent.tools.paths import is_sensitive, resolve_path, within_roots

_HOME = {
    **dict.fromkeys(
        (
            "Access",
            "AccessKind",
            "Tool",
            "ToolContext",
            "ToolDescription",
            "ToolInputError",
            "ToolOutput",
            "ToolSource",
            "ToolSpec",
        ),
        "agent.tools.api",
    ),
    "builtin_tools": "agent.tools.builtin",
    "RunCommand": "agent.tools.command",
    "UpdatePlan": "agent.tools.command",
    **dict.fromkeys(
        ("EditFile", "Glob", "Grep", "ListDir", "ReadFile", "WriteFile", "apply_edits"),
        "agent.tools.files",
    ),
    **dict.fromkeys(("is_sensitive", "resolve_path", "within_roots"), "agent.tools.paths"),
}


def __getattr__(name: str) -> object:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'agent.tools' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain module attribute
    return value


__all__ = [
    "Access",
    "AccessKind",
    "EditFile",
    "Glob",
    "Grep",
    "ListDir",
    "ReadFile",
    "RunCommand",
    "Tool",
    "ToolContext",
    "ToolDescription",
    "ToolInputError",
    "ToolOutput",
    "ToolSource",
    "ToolSpec",
    "UpdatePlan",
    "WriteFile",
    "apply_edits",
    "builtin_tools",
    "is_sensitive",
    "resolve_path",
    "within_roots",
]
