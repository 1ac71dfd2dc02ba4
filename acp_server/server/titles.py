"""A session's title: the first line of its first prompt, as the editor shows it.

The title is set once, from the first prompt, stored with the session and
told to the client as a `session_info_update`: right away for a slash
command, and once the turn's first update is out for a prompt to the model
(its store write and update do not delay the first token). A title the
client set meanwhile (`session/set_title`) stays.
"""

from __future__ import annotations

import time

TITLE_CHARS = 60


def title_from(text: str) -> str | None:
    """The first non-blank line of `text`, cut to `TITLE_CHARS` with an ellipsis."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        return None
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1].rstrip() + "…"


def title_update(title: str) -> dict[str, object]:
    """The `session_info_update` that tells the client the title."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"sessionUpdate": "session_info_update", "title": title, "updatedAt": now}


__all__ = ["TITLE_CHARS", "title_from", "title_update"]
