"""Helpers shared by the built-in tools."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from agent.events import ToolContent
from agent.tools.api import ToolContext, ToolInputError

MAX_MODEL_TEXT = 100_000  # characters of one tool result sent back to the model
MAX_SHOWN_TEXT = 20_000  # characters of a file read shown in the tool call (and stored)

_LANGUAGES = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript",
    ".jsx": "jsx", ".ts": "typescript", ".tsx": "tsx", ".rs": "rust", ".go": "go",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".hpp": "cpp", ".java": "java",
    ".kt": "kotlin", ".rb": "ruby", ".php": "php", ".cs": "csharp", ".swift": "swift",
    ".sh": "bash", ".bash": "bash", ".zsh": "zsh", ".lua": "lua", ".el": "elisp",
    ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".ini": "ini",
    ".md": "markdown", ".html": "html", ".css": "css", ".scss": "scss", ".sql": "sql",
    ".xml": "xml", ".vim": "vim", ".lisp": "lisp", ".hs": "haskell", ".ml": "ocaml",
}  # fmt: skip
_NAMES = {"Makefile": "make", "Dockerfile": "dockerfile", "CMakeLists.txt": "cmake"}
_BACKTICKS = re.compile("`{3,}")


def language(path: str) -> str:
    """The Markdown fence language for a file, "" when unknown."""
    name = os.path.basename(path)
    return _NAMES.get(name) or _LANGUAGES.get(os.path.splitext(name)[1].lower(), "")


def fenced(text: str, path: str, limit: int = MAX_SHOWN_TEXT) -> str:
    """`text` as a Markdown code block the text itself cannot close early."""
    shown = text if len(text) <= limit else text[:limit]
    fence = "`" * max([3, *(len(run) + 1 for run in _BACKTICKS.findall(shown))])
    body = shown if shown.endswith("\n") or not shown else shown + "\n"
    more = f"\n[{len(text) - limit:,} more characters not shown]" if len(text) > limit else ""
    return f"{fence}{language(path)}\n{body}{fence}{more}"


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
