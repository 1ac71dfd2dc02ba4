"""The session database's tables, migrations and row conversions.

Tables (see docs/sessions.md):
- `sessions`: one summary row per session. `rev` counts writes of its model
  history or updates by any process, `last_seq` is the highest update sequence
  number any process has handed out, so a second process continues after it.
  A deleted session leaves a tombstone (`deleted = 1`) so that journal records
  still on their way for it are dropped instead of resurrecting it.
- `history`: the engine's message history, one row per message, appended per
  model step (the `messages` column of `sessions` is empty since schema 3).
- `updates`: the `session/update`s as sent on the wire, keyed by session and seq.
- `usage`: tokens and cost per model call.
- `turns`, `checkpoints`: what each turn changed in files and where it starts
  in the replay and history, for rewinding (see checkpoints.py).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable

import msgspec

SCHEMA_VERSION = 4
# A journal record with this sequence number is a new session's row, not an
# update (updates count from 1).
SESSION_ROW = 0

MIGRATIONS: dict[int, str] = {
    1: """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            cwd TEXT NOT NULL,
            additional_dirs TEXT NOT NULL DEFAULT '[]',
            title TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            model TEXT,
            mode TEXT,
            thought_level TEXT,
            grants TEXT NOT NULL DEFAULT '[]',
            messages TEXT NOT NULL DEFAULT '[]',
            deleted INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX sessions_by_cwd ON sessions (cwd, updated_at);
        CREATE TABLE updates (
            session_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            turn INTEGER NOT NULL,
            ts REAL NOT NULL,
            payload BLOB NOT NULL,
            PRIMARY KEY (session_id, seq)
        ) WITHOUT ROWID;
    """,
    2: """
        CREATE TABLE usage (
            session_id TEXT NOT NULL,
            turn INTEGER NOT NULL,
            ts REAL NOT NULL,
            day TEXT NOT NULL,
            model TEXT,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cost_usd REAL
        );
        CREATE INDEX usage_by_session ON usage (session_id);
        ALTER TABLE sessions ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0;
    """,
    3: """
        CREATE TABLE history (
            session_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            message BLOB NOT NULL,
            PRIMARY KEY (session_id, idx)
        ) WITHOUT ROWID;
        INSERT INTO history SELECT s.id, j.key, j.value FROM sessions s, json_each(s.messages) j
            WHERE json_valid(s.messages);
        UPDATE sessions SET messages = '[]';
        ALTER TABLE sessions ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sessions ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
    """,
    4: """
        CREATE TABLE turns (
            session_id TEXT NOT NULL,
            turn INTEGER NOT NULL,
            started_at REAL NOT NULL,
            prompt TEXT NOT NULL DEFAULT '',
            seq_start INTEGER NOT NULL,
            history_start INTEGER NOT NULL,
            history_mark TEXT,
            title_before TEXT,
            commands INTEGER NOT NULL DEFAULT 0,
            mcp INTEGER NOT NULL DEFAULT 0,
            dropped INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (session_id, turn)
        ) WITHOUT ROWID;
        CREATE TABLE checkpoints (
            session_id TEXT NOT NULL,
            turn INTEGER NOT NULL,
            path BLOB NOT NULL,
            blob TEXT,
            mode INTEGER,
            size INTEGER NOT NULL DEFAULT 0,
            written TEXT NOT NULL,
            ts REAL NOT NULL,
            PRIMARY KEY (session_id, turn, path)
        ) WITHOUT ROWID;
    """,
}


class SessionRecord(msgspec.Struct):
    id: str
    cwd: str
    additional_dirs: list[str] = msgspec.field(default_factory=list)
    title: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    model: str | None = None
    mode: str | None = None
    thought_level: str | None = None
    grants: list[str] = msgspec.field(default_factory=list)
    # Filled by `SessionStore.get`, never by `list` (listing reads summaries only).
    messages: list[dict[str, object]] = msgspec.field(default_factory=list)
    cost_usd: float = 0.0


# The summary columns: everything but the history, which lives in its own table.
COLUMNS = "id, cwd, additional_dirs, title, created_at, updated_at, model, mode, thought_level, grants, cost_usd"
_NAMES = COLUMNS.split(", ")
JSON_FIELDS = {"additional_dirs", "grants"}
META_FIELDS = set(_NAMES) - {"id", "created_at"}


def record(row: sqlite3.Row | tuple[object, ...]) -> SessionRecord:
    values = dict(zip(_NAMES, row, strict=True))
    for name in JSON_FIELDS:
        values[name] = msgspec.json.decode(values[name])
    return SessionRecord(**values)


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    # Checkpoint less often: each one syncs. At the default (1000 pages), when
    # every update was its own commit, checkpoints doubled a commit's cost.
    connection.execute("PRAGMA wal_autocheckpoint=10000")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def json_text(value: object) -> str:
    return msgspec.json.encode(value).decode()


def _session_values(session: SessionRecord) -> tuple[object, ...]:
    return (
        session.id,
        session.cwd,
        json_text(session.additional_dirs),
        session.title,
        session.created_at,
        session.updated_at,
        session.model,
        session.mode,
        session.thought_level,
        json_text(session.grants),
        session.cost_usd,
    )


_INSERT_SESSION = f"INSERT OR IGNORE INTO sessions ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
# A deleted session's tombstone stops updates still in some journal from landing.
_INSERT_UPDATE = (
    "INSERT OR IGNORE INTO updates (session_id, seq, turn, ts, payload) SELECT ?1, ?2, ?3, ?4, ?5 "
    "WHERE NOT EXISTS (SELECT 1 FROM sessions WHERE id = ?1 AND deleted = 1)"
)
INSERT_HISTORY = "INSERT INTO history (session_id, idx, message) VALUES (?,?,?)"


def insert_sessions(db: sqlite3.Connection, sessions: Iterable[SessionRecord]) -> None:
    """Write session rows that are not there yet, with their history.

    OR IGNORE: a row written since (or its tombstone) is newer than this copy;
    its history is then left alone too."""
    for session in sessions:
        if db.execute(_INSERT_SESSION, _session_values(session)).rowcount and session.messages:
            db.executemany(
                INSERT_HISTORY,
                [(session.id, i, msgspec.json.encode(m)) for i, m in enumerate(session.messages)],
            )


def insert(db: sqlite3.Connection, rows: Iterable[tuple[str, int, int, float, bytes]]) -> int:
    """Commit journal rows in one transaction; the number of session rows that
    could not be decoded (skipped, so that one bad record costs only itself)."""
    rows = list(rows)
    sessions, bad = [], 0
    for row in rows:
        if row[1] == SESSION_ROW:
            try:
                sessions.append(msgspec.json.decode(row[4], type=SessionRecord))
            except msgspec.DecodeError:
                bad += 1
    db.execute("BEGIN")
    try:
        insert_sessions(db, sessions)
        db.executemany(_INSERT_UPDATE, [r for r in rows if r[1] != SESSION_ROW])
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return bad


__all__ = [
    "COLUMNS",
    "INSERT_HISTORY",
    "JSON_FIELDS",
    "META_FIELDS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SESSION_ROW",
    "SessionRecord",
    "connect",
    "insert",
    "insert_sessions",
    "json_text",
    "record",
]
