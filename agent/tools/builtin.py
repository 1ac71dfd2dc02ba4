"""The built-in tools, one shared set."""

from __future__ import annotations

from agent.tools.api import Tool
from agent.tools.command import RunCommand, UpdatePlan
from agent.tools.files import EditFile, Glob, Grep, ListDir, ReadFile, WriteFile

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


__all__ = ["builtin_tools"]
