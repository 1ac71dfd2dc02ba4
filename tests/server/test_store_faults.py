"""The store facing damage: bad journal records, a corrupt database, and the
cost of long histories."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec

from acp_server.store import SessionGone, SessionRecord, SessionStore
from acp_server.store.journal import encode_record


def _dead_journal(store_dir: Path, records: list[bytes], name: str = "99999-dead") -> Path:
    journal_dir = store_dir / "sessions.journal"
    journal_dir.mkdir(mode=0o700, exist_ok=True)
    path = journal_dir / f"{name}.journal"
    path.write_bytes(b"".join(records))
    return path


def _session_row(session_id: str) -> bytes:
    return encode_record(
        session_id, 0, 0, 1.0, msgspec.json.encode(SessionRecord(id=session_id, cwd="/w"))
    )


def test_a_bad_record_mid_journal_costs_only_itself_and_the_journal_is_kept(
    tmp_path: Path,
) -> None:
    records = [_session_row("s")]
    records += [encode_record("s", i, 1, 1.0, b'{"n":%d}' % i) for i in range(1, 3001)]
    damaged = bytearray(records[300])
    damaged[len(damaged) // 2] ^= 0xFF  # one flipped byte in update 300
    records[300] = bytes(damaged)
    path = _dead_journal(tmp_path, records)
    store = SessionStore.open(tmp_path / "sessions.db")
    seqs = [msgspec.json.decode(p)["n"] for p in store.updates("s")]
    assert seqs == [i for i in range(1, 3001) if i != 300]
    assert not path.exists()  # never deleted, not ingested twice: set aside
    kept = path.with_name(path.name + ".damaged")
    assert kept.read_bytes() == b"".join(records)
    assert any(str(path) in n and str(kept) in n for n in store.notices)
    store.close()
    again = SessionStore.open(tmp_path / "sessions.db")
    assert again.notices == [] and again.update_count("s") == 2999
    again.close()


def test_garbage_between_records_is_skipped_and_reading_resyncs(tmp_path: Path) -> None:
    records = [_session_row("s"), encode_record("s", 1, 1, 1.0, b'{"n":1}')]
    records += [b"\x00\xff" * 5000, encode_record("s", 2, 1, 1.0, b'{"n":2}')]
    _dead_journal(tmp_path, records)
    store = SessionStore.open(tmp_path / "sessions.db")
    assert store.updates("s") == [b'{"n":1}', b'{"n":2}']
    store.close()


def test_an_undecodable_session_row_in_a_journal_does_not_stop_the_store(
    tmp_path: Path,
) -> None:
    records = [
        encode_record("bad", 0, 0, 1.0, b"{not json"),  # a valid CRC around junk
        _session_row("good"),
        encode_record("good", 1, 1, 1.0, b'{"n":1}'),
    ]
    path = _dead_journal(tmp_path, records)
    store = SessionStore.open(tmp_path / "sessions.db")  # once: an exception, every time
    assert [r.id for r in store.list()[0]] == ["good"]
    assert store.updates("good") == [b'{"n":1}']
    assert path.with_name(path.name + ".damaged").exists()
    assert store.notices
    store.close()


def test_a_corrupt_database_is_moved_aside_and_a_new_one_started(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    store = SessionStore.open(db)
    store.create(SessionRecord(id="old", cwd="/w"))
    store.close()
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xee" * (4096 - 100)  # the first page, past the header
    db.write_bytes(bytes(data))
    store = SessionStore.open(db)
    store.create(SessionRecord(id="new", cwd="/w"))
    assert [r.id for r in store.list()[0]] == ["new"]
    (kept,) = [
        p
        for p in tmp_path.iterdir()
        if p.name.startswith("sessions.db.damaged-") and not p.name.endswith(("-wal", "-shm"))
    ]
    assert kept.read_bytes() == bytes(data)  # kept, byte for byte
    assert str(db) in store.notices[0] and str(kept) in store.notices[0]
    store.close()


def test_a_deleted_session_is_not_written_by_the_process_that_has_it_open(
    tmp_path: Path,
) -> None:
    db = tmp_path / "sessions.db"
    editor = SessionStore.open(db)
    editor.create(SessionRecord(id="s", cwd="/w"))
    editor.append_update("s", b'{"n":1}', 1)
    editor.flush()
    cli = SessionStore.open(db)
    assert cli.delete("s")
    cli.close()
    # What the editor's process does next: the rest of a running turn...
    editor.append_update("s", b'{"n":2}', 1)
    editor.record_usage("s", 1, "m", 10, 5, 0.01)
    editor.save_history("s", [{"role": "user", "content": "hi"}])
    editor.update_meta("s", title="late")
    editor.flush()
    with sqlite3.connect(db) as connection:
        for table in ("updates", "usage", "history"):
            count = connection.execute(
                f"SELECT COUNT(*) FROM {table} WHERE session_id = 's'"
            ).fetchone()[0]
            assert count == 0, table
    # ...and its next turn is refused.
    try:
        editor.begin_turn("s")
    except SessionGone:
        pass
    else:
        raise AssertionError("a turn began in a deleted session")
    assert editor.get("s") is None
    editor.close()


def _count_history_inserts(db: Path) -> None:
    with sqlite3.connect(db) as connection:
        connection.executescript(
            """
            CREATE TABLE inserted (n INTEGER);
            INSERT INTO inserted VALUES (0);
            CREATE TRIGGER count_inserts AFTER INSERT ON history
            BEGIN UPDATE inserted SET n = n + 1; END;
            """
        )


def _inserted(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT n FROM inserted").fetchone()[0])


def test_each_model_step_writes_only_the_new_messages(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    store = SessionStore.open(db)
    store.create(SessionRecord(id="s", cwd="/w"))
    _count_history_inserts(db)
    messages: list[dict[str, object]] = []
    for step in range(50):
        messages.append({"role": "user", "content": f"step {step}"})
        store.save_history("s", messages)
    assert _inserted(db) == 50  # one row per step, not the whole history each time
    record = store.get("s")
    assert record is not None and record.messages == messages
    messages = record.messages  # a loaded history is extended like any other
    messages.append({"role": "assistant", "content": "last"})
    store.save_history("s", messages)
    assert _inserted(db) == 51
    # Compaction replaces the head: the history is rewritten, not appended to.
    compacted = [{"role": "user", "content": "summary"}, *messages[-2:]]
    store.save_history("s", compacted)
    assert store.get("s").messages == compacted  # type: ignore[union-attr]
    store.save_history("s", [])  # /clear
    assert store.get("s").messages == []  # type: ignore[union-attr]
    store.close()


def test_listing_does_not_read_histories(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    store = SessionStore.open(db)
    store.create(SessionRecord(id="s", cwd="/w"))
    store.save_history("s", [{"role": "user", "content": "x" * 1000}])
    store.close()
    with sqlite3.connect(db) as connection:  # a history that would fail to decode
        connection.execute("UPDATE history SET message = x'ff00' WHERE session_id = 's'")
    store = SessionStore.open(db)
    records, _ = store.list()
    assert [r.id for r in records] == ["s"] and records[0].messages == []
    store.close()
