"""Cutting a session back to the start of a turn, in one transaction.

A rewind keeps the session consistent: the stored replay (what a later
`session/load` shows), the model history, the usage rows and the cost they sum
to, and the title all end where the turn began. `rev` moves on, so another
process that has the session open reloads its history before its next turn.
"""

from __future__ import annotations

import sqlite3
import time


def truncate_rows(
    db: sqlite3.Connection,
    session_id: str,
    seq_start: int,
    history_len: int,
    since: float,
    title: str | None,
) -> None:
    db.execute("BEGIN")
    try:
        db.execute("DELETE FROM updates WHERE session_id = ? AND seq >= ?", (session_id, seq_start))
        db.execute(
            "DELETE FROM history WHERE session_id = ? AND idx >= ?", (session_id, history_len)
        )
        db.execute("DELETE FROM usage WHERE session_id = ? AND ts >= ?", (session_id, since))
        db.execute(
            "UPDATE sessions SET title = ?1, updated_at = ?2, rev = rev + 1, cost_usd = "
            "(SELECT IFNULL(SUM(cost_usd), 0) FROM usage WHERE session_id = ?3) "
            "WHERE id = ?3 AND deleted = 0",
            (title, time.time(), session_id),
        )
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


__all__ = ["truncate_rows"]
