"""A turn ends with one new revision of its session row, not two: when the
turn's last store write was its history save (which already gave the row a
new revision and its last update's seq), ending the turn writes nothing more
to SQLite before the reply; updates sent after that save still get a
revision, so another process sees them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec

from acp_server.store import SessionRecord, SessionStore

CHUNK = msgspec.json.encode(
    {"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": "hi"}}
)
USER = {"role": "user", "content": [{"type": "text", "text": "hi"}]}


def _row(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as other:
        return other.execute("SELECT rev, last_seq FROM sessions WHERE id = 's1'").fetchone()


def _stored_session(db: Path) -> SessionStore:
    store = SessionStore.open(db)
    store.create(SessionRecord(id="s1", cwd="/w"))
    store.get("s1")  # in SQLite, as after a first turn
    return store


def test_a_turn_ending_with_its_history_save_writes_one_revision(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    store = _stored_session(db)
    try:
        before = _row(db)
        store.begin_turn("s1")
        store.append_update("s1", CHUNK, 1)
        store.save_history("s1", [USER])
        store.end_turn("s1")
        assert _row(db) == (before[0] + 1, 1)
    finally:
        store.close()


def test_updates_after_the_history_save_still_get_a_revision(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    store = _stored_session(db)
    try:
        before = _row(db)
        store.begin_turn("s1")
        store.save_history("s1", [USER])
        store.append_update("s1", CHUNK, 1)  # a closing update after the save
        store.end_turn("s1")
        assert _row(db) == (before[0] + 2, 1)
    finally:
        store.close()
    other = SessionStore.open(db)  # a second process continues after seq 1
    try:
        assert other.get("s1") is not None
        assert other.updates("s1") == [CHUNK]
    finally:
        other.close()
