"""Tools: the API every tool implements (`agent.tools.api`), the built-in
tools, the runner that executes a response's calls (`agent.tools.runner`) and
the `/tools` view (`agent.tools.info`). Each built-in tool has an ACP-style
kind, a descriptive title and locations."""

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
from agent.tools.command import RunCommand, UpdatePlan
from agent.tools.files import EditFile, Glob, Grep, ListDir, ReadFile, WriteFile, apply_edits
from agent.tools.paths import is_sensitive, resolve_path, within_roots

_BUILTIN: tuple[Tool, ...] = (
    ReadFile(),
    WriteFile(),
    EditFile(),
    ListDir(),
    Glob(),
    Grep(),
    RunCommand(),
    UpdatePlan(),
)


def builtin_tools() -> list[Tool]:
    # The tools hold no state (a spec and methods), so every engine shares one set.
    return list(_BUILTIN)


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
