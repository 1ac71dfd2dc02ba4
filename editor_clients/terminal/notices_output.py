"""One line for each notice and compaction the agent reports, for chat and exec.

Both are about the session, not the answer, so they print apart from it and
quietly: chat dims them, exec writes them to stderr. A notice is its title
and the first line of its description; a compaction shows when it starts and
how it ends, with its summary collapsed to one line (all of it with
`--verbose` in chat).
"""

from __future__ import annotations

from editor_clients.client import CompactionView
from protocol.json_types import JsonObject

SEVERITY_STYLE = {"error": "red", "warning": "yellow"}


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 1)] + "…"


def notice_line(update: JsonObject, width: int = 100) -> str:
    title = str(update.get("title") or "notice")
    description = update.get("description")
    first = (
        str(description).strip().splitlines()[0] if description and str(description).strip() else ""
    )
    mark = "⚠" if update.get("severity") in ("warning", "error") else "·"
    return _one_line(f"{mark} {title}" + (f" — {first}" if first else ""), width)


def notice_style(update: JsonObject) -> str:
    return "dim " + SEVERITY_STYLE.get(str(update.get("severity")), "")


def compaction_line(
    update: JsonObject, view: CompactionView | None, width: int = 100
) -> str | None:
    """The line for a compaction update (None for a summary chunk: the
    summary shows once, with the outcome)."""
    if update.get("sessionUpdate") != "compaction_update":
        return None
    status = str(update.get("status"))
    if status == "in_progress":
        return "⟳ compacting the context…"
    if status == "completed":
        summary = view.summary_text if view is not None else ""
        line = "⟳ context compacted" + (f": {summary}" if summary.strip() else "")
        return _one_line(line, width)
    error = update.get("error") or (view.error if view is not None else None)
    return _one_line(f"⟳ context compaction {status}" + (f": {error}" if error else ""), width)
