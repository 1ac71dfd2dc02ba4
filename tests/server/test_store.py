"""The session store and its journal, across real processes that crash."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from acp_server.store import SCHEMA_VERSION, SessionRecord, SessionStore
from acp_server.store.buffer import JOURNAL_BATCH, JOURNAL_BYTES
from acp_server.store.journal import decode_records, encode_record, recover


def _child(db: Path, body: str) -> subprocess.Popen[str]:
    script = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        from acp_server.store import SessionRecord, SessionStore
        store = SessionStore.open(Path({str(db)!r}))
        store.create(SessionRecord(id="s1", cwd="/w"))
        """
    ) + textwrap.dedent(body)
    return subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def _rows_in_sqlite(db: Path, session_id: str) -> list[bytes]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT payload FROM updates WHERE session_id = ? ORDER BY seq", (session_id,)
        )
        return [bytes(r[0]) for r in rows]


def _session_ids_in_sqlite(db: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [r[0] for r in connection.execute("SELECT id FROM sessions ORDER BY id")]


def test_appends_read_back_in_order_in_the_same_process(tmp_path: Path) -> None:
    store = SessionStore.open(tmp_path / "sessions.db")
    store.create(SessionRecord(id="s", cwd="/w"))
    payloads = [b'{"n":%d}' % i for i in range(10)]
    for payload in payloads:
        store.append_update("s", payload, turn=1)
    assert store.updates("s") == payloads
    assert store.update_count("s") == 10
    store.close()
    assert not list((tmp_path / "sessions.journal").glob("*.journal"))


def test_a_crashed_process_journal_is_ingested_by_the_next_open(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    child = _child(
        db,
        """
        for i in range(500):
            store.append_update("s1", b'{"n":%d}' % i, 1)
        os._exit(9)  # no flush, no close: as good as kill -9
        """,
    )
    assert child.wait(timeout=30) == 9
    assert _rows_in_sqlite(db, "s1") == []  # only the journal holds them
    store = SessionStore.open(db)
    assert store.updates("s1") == [b'{"n":%d}' % i for i in range(500)]
    assert store.integrity_check() == "ok"
    assert not list(store.journal_dir.glob("*.journal"))
    # The next append continues the sequence instead of colliding with it.
    store.append_update("s1", b'{"n":500}')
    assert store.updates("s1")[-1] == b'{"n":500}'
    store.close()


def test_a_live_process_journal_is_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    child = _child(
        db,
        """
        for i in range(5):
            store.append_update("s1", b'{"n":%d}' % i, 1)
        print("ready", flush=True)
        sys.stdin.readline()
        store.close()
        """,
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == "ready"
    other = SessionStore.open(db)
    assert other.updates("s1") == []  # not stolen from its living owner
    assert len(list(other.journal_dir.glob("*.journal"))) == 1
    child.stdin.write("\n")
    child.stdin.flush()
    assert child.wait(timeout=30) == 0
    assert other.updates("s1") == [b'{"n":%d}' % i for i in range(5)]  # the owner flushed
    other.close()


def test_a_full_batch_reaches_sqlite_during_a_turn(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    store = SessionStore.open(db)
    store.create(SessionRecord(id="s", cwd="/w"))  # the batch's first record
    for i in range(JOURNAL_BATCH - 1):
        store.append_update("s", b'{"n":%d}' % i)
    store.append_update("s", b"{}")
    journals = list(store.journal_dir.glob("*.journal"))
    for _ in range(500):  # the ingest thread commits the full batch, then deletes its file
        moved = len(_rows_in_sqlite(db, "s")) == JOURNAL_BATCH - 1
        if moved and len(list(store.journal_dir.glob("*.journal"))) == 1:
            break
        time.sleep(0.01)
    assert len(_rows_in_sqlite(db, "s")) == JOURNAL_BATCH - 1  # the next batch waits
    assert _session_ids_in_sqlite(db) == ["s"]
    assert len(journals) in (1, 2) and len(list(store.journal_dir.glob("*.journal"))) == 1
    store.flush()
    assert len(_rows_in_sqlite(db, "s")) == JOURNAL_BATCH
    store.close()


def test_a_torn_record_ends_the_journal() -> None:
    whole = [encode_record("s", i, 1, 1.5, b'{"text":"a\\u0000b"}') for i in range(1, 4)]
    data = b"".join(whole)
    torn = data + encode_record("s", 4, 1, 1.5, b'{"n":4}')[:-3]
    decoded = decode_records(torn)
    assert [r[1] for r in decoded.rows] == [1, 2, 3]
    assert decoded.torn == len(torn) - len(data) and not decoded.damaged
    assert decoded.rows[0] == ("s", 1, 1, 1.5, b'{"text":"a\\u0000b"}')
    flipped = bytearray(data)
    flipped[-2] ^= 1  # a corrupted byte inside the last record
    assert [r[1] for r in decode_records(bytes(flipped)).rows] == [1, 2]


def test_ingesting_the_same_journal_twice_adds_nothing(tmp_path: Path) -> None:
    # A crash between the SQLite commit and the journal's truncation.
    db = tmp_path / "sessions.db"
    store = SessionStore.open(db)
    store.create(SessionRecord(id="s", cwd="/w"))
    store.append_update("s", b'{"n":1}')
    store.flush()
    store.close()
    journal_dir = tmp_path / "sessions.journal"
    (journal_dir / "99999-dead.journal").write_bytes(encode_record("s", 1, 0, 1.0, b'{"n":1}'))
    assert [os.path.basename(path) for path, _ in recover(journal_dir)] == ["99999-dead.journal"]
    store = SessionStore.open(db)
    assert store.updates("s") == [b'{"n":1}']
    store.close()


def test_large_updates_reach_sqlite_by_size_not_count(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    store = SessionStore.open(db)
    store.create(SessionRecord(id="s", cwd="/w"))
    big = b'"' + b"x" * (1024 * 1024) + b'"'
    for _ in range(JOURNAL_BYTES // len(big) + 1):
        store.append_update("s", big)
    for _ in range(500):  # moved by the ingest thread
        if _rows_in_sqlite(db, "s"):
            break
        time.sleep(0.01)
    assert len(_rows_in_sqlite(db, "s")) == JOURNAL_BYTES // len(big) + 1
    store.close()


def test_a_session_created_just_before_a_crash_is_there_after_it(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    child = _child(db, "os._exit(9)")  # created (journaled), never flushed or closed
    assert child.wait(timeout=30) == 9
    assert _session_ids_in_sqlite(db) == []  # only the journal holds the row
    store = SessionStore.open(db)
    record = store.get("s1")
    assert record is not None and record.cwd == "/w" and record.created_at > 0
    assert [r.id for r in store.list()[0]] == ["s1"]
    store.close()


def test_a_journaled_row_never_overwrites_a_newer_one(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    child = _child(
        db,
        """
        store.update_meta("s1", title="renamed", mode="yolo")  # written to SQLite directly
        os._exit(9)  # its journal still holds the row as created
        """,
    )
    assert child.wait(timeout=30) == 9
    store = SessionStore.open(db)  # ingests that journal: the row as created, ignored
    record = store.get("s1")
    assert record is not None and (record.title, record.mode) == ("renamed", "yolo")
    store.close()


def test_new_sessions_are_readable_and_deletable_before_any_flush(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    store = SessionStore.open(db)
    for name in ("a", "b", "c"):
        store.create(SessionRecord(id=name, cwd="/w", model="scripted"))
    assert _session_ids_in_sqlite(db) == []  # journaled, not committed
    assert {r.id for r in store.list(cwd="/w")[0]} == {"a", "b", "c"}
    store.update_meta("b", title="second")
    record = store.get("b")
    assert record is not None and record.title == "second" and record.model == "scripted"
    assert store.delete("c")
    store.close()
    store = SessionStore.open(db)  # the journal's copy of "c" does not bring it back
    assert sorted(r.id for r in store.list()[0]) == ["a", "b"]
    store.close()


def test_a_turn_claimed_by_a_live_process_is_busy_and_freed_when_it_dies(tmp_path: Path) -> None:
    from acp_server.store import SessionBusy

    db = tmp_path / "sessions.db"
    child = _child(
        db,
        """
        store.flush()
        store.begin_turn("s1")
        print("claimed", flush=True)
        sys.stdin.readline()
        os._exit(9)  # dies mid-turn, lock and all
        """,
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == "claimed"
    other = SessionStore.open(db)
    try:
        other.begin_turn("s1")
    except SessionBusy:
        pass
    else:
        raise AssertionError("two processes ran a turn in one session at once")
    child.stdin.write("\n")
    child.stdin.flush()
    assert child.wait(timeout=30) == 9
    assert other.begin_turn("s1") is None  # the kernel dropped the dead process's lock
    other.end_turn("s1")
    other.close()


def test_a_schema_2_history_moves_into_its_own_table_on_open(tmp_path: Path) -> None:
    from acp_server.store.schema import MIGRATIONS

    db = tmp_path / "sessions.db"
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    with sqlite3.connect(db) as connection:
        connection.executescript(MIGRATIONS[1] + MIGRATIONS[2])
        connection.executescript(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);"
            "INSERT INTO schema_version VALUES (2);"
        )
        connection.execute(
            "INSERT INTO sessions (id, cwd, created_at, updated_at, messages) VALUES (?,?,?,?,?)",
            ("old", "/w", 1.0, 1.0, json.dumps(messages)),
        )
    store = SessionStore.open(db)
    assert store.schema_version() == SCHEMA_VERSION
    record = store.get("old")
    assert record is not None and record.messages == messages
    assert [r.messages for r in store.list()[0]] == [[]]  # listing reads no history
    store.close()
