"""Helpers shared by the built-in tools."""

from __future__ import annotations

from collections.abc import Mapping

from agent.events import ToolContent
from agent.tooling import ToolContext, ToolInputError

MAX_MODEL_TEXT = 100_000  # characters of one tool result sent back to the model


def arg_str(args: Mapping[str, object], name: str, *, default: str | None = None) -> str:
    value = args.get(name, default)
    if not isinstance(value, str):
        raise ToolInputError(f"argument {name!r} must be a string")
    return value


def arg_int(args: Mapping[str, object], name: str) -> int | None:
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ToolInputError(f"argument {name!r} must be a non-negative integer")
    return value


def cap(text: str, limit: int = MAX_MODEL_TEXT) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... truncated {len(text) - limit} characters]"


class NoPreview:
    async def preview(
        self, args: Mapping[str, object], ctx: ToolContext
    ) -> tuple[ToolContent, ...]:
        return ()
