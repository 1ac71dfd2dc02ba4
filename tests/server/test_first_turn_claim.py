"""A new session's first turn is claimed without writing its row to SQLite
to read it back: the row is only in this process's journal, so no other
process can have changed it. The turn's end still leaves SQLite as before:
the row, its last update's seq and a new revision, also for a first turn
that saved no history (a slash command answered locally)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec
import pytest

from acp_server.store import SessionGone, SessionRecord, SessionStore


def _row(db: Path, session_id: str) -> tuple[int, int] | None:
    with sqlite3.connect(db) as other:  # what another process reads
        return other.execute(
            "SELECT rev, last_seq FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()


def test_claiming_a_new_sessions_first_turn_writes_nothing_to_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    store = SessionStore.open(db)
    try:
        store.create(SessionRecord(id="s1", cwd="/w"))
        assert store.begin_turn("s1") is None
        assert _row(db, "s1") is None  # still only in the journal, as after session/new
        store.end_turn("s1")
    finally:
        store.close()


def test_a_first_turn_that_saved_no_history_ends_with_its_row_and_seq_in_sqlite(
    tmp_path: Path,
) -> None:
    db = tmp_path / "sessions.db"
    store = SessionStore.open(db)
    try:
        store.create(SessionRecord(id="s1", cwd="/w"))
        store.begin_turn("s1")
        chunk = {"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": "hi"}}
        store.append_update("s1", msgspec.json.encode(chunk), 1)
        store.end_turn("s1")
        row = _row(db, "s1")
        assert row is not None and row[1] == 1  # another process continues after seq 1
        assert store.begin_turn("s1") is None  # nothing changed elsewhere since
        store.end_turn("s1")
    finally:
        store.close()
    reopened = SessionStore.open(db)
    try:
        assert reopened.get("s1") is not None
        assert [msgspec.json.decode(u) for u in reopened.updates("s1")] == [chunk]
    finally:
        reopened.close()


def test_a_deleted_session_still_cannot_take_a_turn(tmp_path: Path) -> None:
    store = SessionStore.open(tmp_path / "sessions.db")
    try:
        store.create(SessionRecord(id="s1", cwd="/w"))
        store.delete("s1")
        with pytest.raises(SessionGone):
            store.begin_turn("s1")
    finally:
        store.close()
