"""The engine's message history in SQLite: appended per model step.

A model step adds a message or two to a history that may be tens of MB.
Rewriting all of it after every step made each step's cost grow with the
session; instead the store remembers, per session, how many messages are
stored and which objects are first and last among them. If the engine's list
still starts with that first object and holds that last one at the same
index, only the messages after it are new and are inserted. Anything else
(compaction replaced the head, `/clear` emptied it, a repaired tool call was
inserted mid-list, the history was reloaded) rewrites it once. Identity, not
equality: comparing values would itself cost time that grows with history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

import msgspec

from acp_server.store.schema import INSERT_HISTORY

Message = dict[str, object]  # as read back; any JSON object can be written


class Stored:
    """What this process last wrote or read of one session's history."""

    __slots__ = ("count", "first", "last")

    def __init__(self, messages: Sequence[Mapping[str, object]]) -> None:
        self.count = len(messages)
        self.first = messages[0] if messages else None
        self.last = messages[-1] if messages else None

    def extended_by(self, messages: Sequence[Mapping[str, object]]) -> bool:
        """Whether `messages` is what was stored plus messages after it."""
        count = self.count
        if count == 0:
            return True
        return (
            len(messages) >= count
            and messages[0] is self.first
            and messages[count - 1] is self.last
        )


def load(db: sqlite3.Connection, session_id: str) -> list[Message]:
    rows = db.execute(
        "SELECT message FROM history WHERE session_id = ? ORDER BY idx", (session_id,)
    )
    decode = msgspec.json.Decoder(dict[str, object]).decode
    return [decode(r[0]) for r in rows]


def write(
    db: sqlite3.Connection,
    session_id: str,
    messages: Sequence[Mapping[str, object]],
    stored: Stored | None,
) -> int:
    """Bring the stored history to `messages` inside the caller's transaction;
    how many messages were encoded and written."""
    start = stored.count if stored is not None and stored.extended_by(messages) else None
    if start is None:
        db.execute("DELETE FROM history WHERE session_id = ?", (session_id,))
        start = 0
    encode = msgspec.json.encode
    db.executemany(
        INSERT_HISTORY,
        [(session_id, i, encode(messages[i])) for i in range(start, len(messages))],
    )
    return len(messages) - start


__all__ = ["Message", "Stored", "load", "write"]
