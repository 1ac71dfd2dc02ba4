"""The session store: one SQLite database in WAL mode under the profile home.

Every `session/update` is appended as it happens, before it is sent: first to
this process's journal (one `write()`, see journal.py), which is moved into the
`updates` table in one transaction when the server has no turn running
(`flush()`), when the journal holds JOURNAL_BATCH updates or JOURNAL_BYTES, and
before any read. A `kill -9` mid-turn therefore loses at most the update being
written, and the next process to open the store ingests the dead process's
journal before it answers anything. Updates are stored as
the JSON already sent on the wire, so replay re-sends bytes without re-encoding.
A new session's row takes the same path (a journal record with seq 0), and is
written to SQLite directly as soon as anything reads or changes it.

API (also used by `acp-server sessions ...`):
  SessionStore.open(path) -> SessionStore
  create(record), get(id), update_meta(id, **fields), delete(id), prune(older_than_days)
  append_update(id, payload_json: bytes, turn) -> seq;  updates(id) -> list[bytes];  flush()
  list(cwd=None, cursor=0, limit=50, since=None) -> (records, next_cursor | None)
  record_usage(id, turn, model, input_tokens, output_tokens, cost_usd), usage(id), usage_by_day()
  integrity_check() -> str;  close()
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from acp_server.store.journal import Journal, recover

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("acp_server.store")

SCHEMA_VERSION = 2
# How much the journal holds before it is moved into SQLite while turns run
# (the server moves it when no turn is running anyway). Large, so streams rarely
# share the CPU with an ingest: at 2,048 updates the ingest thread cost ~20% of
# streaming throughput on two cores. The bytes bound caps the memory the
# pending rows hold (~10 MB for 65,536 typical updates).
JOURNAL_BATCH = 65536
JOURNAL_BYTES = 32 * 1024 * 1024
# A journal record with this sequence number is a new session's row, not an
# update (updates count from 1): creating a session costs a journal append
# instead of a SQLite commit, the largest part of a session/new round trip.
SESSION_ROW = 0
# New sessions' rows held in memory until SQLite has them; at this many, the
# journal holding them is moved into SQLite.
UNSETTLED_MAX = 1024

_MIGRATIONS: dict[int, str] = {
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
    messages: list[dict[str, object]] = msgspec.field(default_factory=list)
    cost_usd: float = 0.0


_COLUMNS = "id, cwd, additional_dirs, title, created_at, updated_at, model, mode, thought_level, grants, messages, cost_usd"
_JSON_FIELDS = {"additional_dirs", "grants", "messages"}


def _record(row: sqlite3.Row | tuple[object, ...]) -> SessionRecord:
    values = dict(zip(_COLUMNS.split(", "), row, strict=True))
    for name in _JSON_FIELDS:
        values[name] = msgspec.json.decode(values[name])  # type: ignore[arg-type]
    return SessionRecord(**values)  # type: ignore[arg-type]


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    # Checkpoint less often: each one syncs. At the default (1000 pages), when
    # every update was its own commit, checkpoints doubled a commit's cost.
    connection.execute("PRAGMA wal_autocheckpoint=10000")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def _session_values(record: SessionRecord) -> tuple[object, ...]:
    return (
        record.id,
        record.cwd,
        _json(record.additional_dirs),
        record.title,
        record.created_at,
        record.updated_at,
        record.model,
        record.mode,
        record.thought_level,
        _json(record.grants),
        _json(record.messages),
        record.cost_usd,
    )


_INSERT_SESSION = f"INSERT OR IGNORE INTO sessions ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
_INSERT_UPDATE = (
    "INSERT OR IGNORE INTO updates (session_id, seq, turn, ts, payload) VALUES (?,?,?,?,?)"
)


def _insert(db: sqlite3.Connection, rows: Iterable[tuple[str, int, int, float, bytes]]) -> None:
    # OR IGNORE: a crash between this commit and the journal's removal
    # re-ingests the same rows on the next open, and a session row written
    # directly since (see SessionStore._settle) is newer than its journal record.
    rows = list(rows)
    sessions = [r for r in rows if r[1] == SESSION_ROW]
    db.execute("BEGIN")
    try:
        if sessions:
            db.executemany(
                _INSERT_SESSION,
                [_session_values(msgspec.json.decode(r[4], type=SessionRecord)) for r in sessions],
            )
            rows = [r for r in rows if r[1] != SESSION_ROW]
        db.executemany(_INSERT_UPDATE, rows)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class _Ingester:
    """Moves full journals into SQLite on its own thread and connection, so a
    batch never stalls the event loop (2,048 rows took 4-5 ms inline)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._executor: ThreadPoolExecutor | None = None  # started by the first ingest
        self._db: sqlite3.Connection | None = None  # used on the worker thread only
        self._futures: list[Future[bool]] = []

    def submit(self, journal: Journal) -> Future[bool]:
        if self._executor is None:
            # Imported here: with `queue`, ~1.5 ms the first session/new need not pay.
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(1, thread_name_prefix="acp-ingest")
        self._futures = [f for f in self._futures if not f.done()]
        future = self._executor.submit(self._ingest, journal)
        self._futures.append(future)
        return future

    def _ingest(self, journal: Journal) -> bool:
        """Whether the journal's rows are committed."""
        try:
            if self._db is None:
                self._db = _connect(self._path)
            _insert(self._db, journal.take())
        except Exception:
            # The file stays for the next process to recover, once we let go of it.
            log.exception("could not move %s into %s; it is kept", journal.path, self._path)
            journal.release()
            return False
        journal.close()
        return True

    def wait(self) -> None:
        futures, self._futures = self._futures, []
        for future in futures:
            future.result()

    def close(self) -> None:
        self.wait()
        if self._executor is not None:
            self._executor.submit(self._close_db).result()
            self._executor.shutdown()
            self._executor = None

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _json(value: object) -> str:
    # msgspec, not json.dumps: a long history is tens of MB, encoded after every model step.
    return msgspec.json.encode(value).decode()


class StoreError(Exception):
    """The database cannot be used; the message says which file and why."""


class SessionStore:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._seq: dict[str, int] = {}
        self.journal_dir = path.with_name(path.stem + ".journal")
        self._journal: Journal | None = None  # created by the first append after a flush
        self._deferred = False
        self._ingester = _Ingester(path)
        # Rows of new sessions that may not be in SQLite yet: those in the
        # current journal, and those in journals the ingest thread is moving.
        # Anything that reads or changes a session row writes them first
        # (INSERT OR IGNORE, so whichever copy lands second changes nothing).
        self._unsettled: dict[str, SessionRecord] = {}
        self._ingesting: list[tuple[Future[bool], dict[str, SessionRecord]]] = []

    @classmethod
    def open(cls, path: Path) -> SessionStore:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fresh = not path.exists()
        try:
            if fresh:
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            connection = _connect(path)
            store = cls(connection, path)
            store._migrate()
            store._recover_journals()
        except sqlite3.DatabaseError as error:
            raise StoreError(f"cannot open the session database {path}: {error}") from None
        return store

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        current = row[0] if row else 0
        if current > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer acp-server (schema {current})")
        for version in range(current + 1, SCHEMA_VERSION + 1):
            # One transaction per step: a crash mid-migration leaves the previous version intact.
            self._db.executescript(
                f"BEGIN; {_MIGRATIONS[version]}; DELETE FROM schema_version; "
                f"INSERT INTO schema_version VALUES ({version}); COMMIT;"
            )

    def _recover_journals(self) -> None:
        for journal_path, rows in recover(self.journal_dir):
            _insert(self._db, rows)
            journal_path.unlink(missing_ok=True)

    def write_ahead(self) -> Callable[[], None]:
        """Hold journal writes in memory until the returned function is called.

        The caller promises to call it before it sends anything appended since
        the last call; a server does so once per batch of outgoing frames."""
        self._deferred = True
        if self._journal is not None:
            self._journal.deferred = True
        return self.sync_journal

    def sync_journal(self) -> None:
        if self._journal is not None:
            self._journal.sync()

    def flush(self, *, wait: bool = True) -> None:
        """Move journaled updates into SQLite, where other processes can read them.

        Without `wait`, the move happens on the ingest thread and this returns at once."""
        journal, self._journal = self._journal, None
        if journal is not None:
            if journal.pending:
                journal.sync()
                future = self._ingester.submit(journal)
                if self._unsettled:
                    self._ingesting.append((future, self._unsettled))
                    self._unsettled = {}
            else:
                journal.close()
        if wait:
            self._ingester.wait()
            self._forget_ingested()

    def _forget_ingested(self) -> None:
        still: list[tuple[Future[bool], dict[str, SessionRecord]]] = []
        for future, records in self._ingesting:
            if not future.done():
                still.append((future, records))
            elif not future.result():  # not committed: write those rows directly
                self._unsettled.update(records)
        self._ingesting = still

    def schema_version(self) -> int:
        return int(self._db.execute("SELECT version FROM schema_version").fetchone()[0])

    # ------------------------------------------------------------ sessions

    def create(self, record: SessionRecord) -> None:
        """Journal a new session's row; like an update, it is durable before the
        reply that names the session is sent, and reaches SQLite with the journal."""
        now = time.time()
        record.created_at = record.created_at or now
        record.updated_at = now
        self._journal_append(record.id, SESSION_ROW, 0, now, msgspec.json.encode(record))
        self._seq[record.id] = 0
        self._unsettled[record.id] = record
        if len(self._unsettled) >= UNSETTLED_MAX:
            self.flush(wait=False)  # the ingest thread writes them; memory stays bounded

    def _settle(self, session_id: str | None = None) -> None:
        """Write journaled session rows (one, or all) to SQLite now."""
        self._forget_ingested()
        pools = [self._unsettled, *(records for _, records in self._ingesting)]
        if session_id is None:
            records = [r for pool in pools for r in pool.values()]
            for pool in pools:
                pool.clear()
        else:
            found = next((pool.pop(session_id) for pool in pools if session_id in pool), None)
            records = [found] if found is not None else []
        if records:
            self._db.executemany(_INSERT_SESSION, [_session_values(r) for r in records])

    def get(self, session_id: str) -> SessionRecord | None:
        self._settle(session_id)
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM sessions WHERE id = ? AND deleted = 0", (session_id,)
        ).fetchone()
        return _record(row) if row else None

    def update_meta(self, session_id: str, **fields: object) -> None:
        if not fields:
            return
        allowed = set(_COLUMNS.split(", ")) - {"id", "created_at"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown session fields: {sorted(unknown)}")
        self._settle(session_id)
        values = [_json(v) if k in _JSON_FIELDS else v for k, v in fields.items()]
        assignments = ", ".join(f"{k} = ?" for k in fields)
        self._db.execute(
            f"UPDATE sessions SET {assignments}, updated_at = ? WHERE id = ?",
            (*values, time.time(), session_id),
        )

    def delete(self, session_id: str) -> bool:
        self.flush()  # also settles every session row
        cursor = self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        self._db.execute("DELETE FROM updates WHERE session_id = ?", (session_id,))
        self._db.execute("DELETE FROM usage WHERE session_id = ?", (session_id,))
        self._seq.pop(session_id, None)
        return cursor.rowcount > 0

    def prune(self, older_than_days: float) -> int:
        cutoff = time.time() - older_than_days * 86400
        self._settle()
        ids = [
            r[0]
            for r in self._db.execute("SELECT id FROM sessions WHERE updated_at < ?", (cutoff,))
        ]
        for session_id in ids:
            self.delete(session_id)
        return len(ids)

    def list(
        self, cwd: str | None = None, cursor: int = 0, limit: int = 50, since: float | None = None
    ) -> tuple[list[SessionRecord], int | None]:
        """Newest first. `cursor` is an offset; the next one is None on the last page."""
        self._settle()
        where, args = ["deleted = 0"], []
        if cwd is not None:
            where.append("cwd = ?")
            args.append(cwd)
        if since is not None:
            where.append("updated_at >= ?")
            args.append(since)
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM sessions WHERE {' AND '.join(where)} ORDER BY updated_at DESC, id LIMIT ? OFFSET ?",
            (*args, limit + 1, cursor),
        ).fetchall()
        records = [_record(r) for r in rows[:limit]]
        return records, cursor + limit if len(rows) > limit else None

    # ------------------------------------------------------------ updates

    def append_update(self, session_id: str, payload: bytes, turn: int = 0) -> int:
        seq = self._next_seq(session_id)
        self._journal_append(session_id, seq, turn, time.time(), payload)
        return seq

    def _journal_append(self, session_id: str, seq: int, turn: int, ts: float, data: bytes) -> None:
        journal = self._journal
        if journal is None:
            journal = self._journal = Journal(self.journal_dir, deferred=self._deferred)
        journal.append(session_id, seq, turn, ts, data)
        if len(journal.pending) >= JOURNAL_BATCH or journal.pending_bytes >= JOURNAL_BYTES:
            self.flush(wait=False)  # a new journal takes the next updates

    def append_updates(self, session_id: str, payloads: Iterable[bytes], turn: int = 0) -> None:
        """Many updates at once, straight into SQLite (forks, imports)."""
        now = time.time()
        self.flush()
        _insert(
            self._db, [(session_id, self._next_seq(session_id), turn, now, p) for p in payloads]
        )

    def _next_seq(self, session_id: str) -> int:
        if session_id not in self._seq:
            row = self._db.execute(
                "SELECT MAX(seq) FROM updates WHERE session_id = ?", (session_id,)
            ).fetchone()
            self._seq[session_id] = row[0] or 0
        self._seq[session_id] += 1
        return self._seq[session_id]

    def updates(self, session_id: str) -> list[bytes]:
        self.flush()
        rows = self._db.execute(
            "SELECT payload FROM updates WHERE session_id = ? ORDER BY seq", (session_id,)
        )
        return [bytes(r[0]) for r in rows]

    def update_count(self, session_id: str) -> int:
        self.flush()
        return int(
            self._db.execute(
                "SELECT COUNT(*) FROM updates WHERE session_id = ?", (session_id,)
            ).fetchone()[0]
        )

    # ------------------------------------------------------------ usage

    def record_usage(
        self,
        session_id: str,
        turn: int,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cost_usd: float | None,
    ) -> None:
        now = time.time()
        day = time.strftime("%Y-%m-%d", time.localtime(now))
        self._settle(session_id)
        self._db.execute(
            "INSERT INTO usage VALUES (?,?,?,?,?,?,?,?)",
            (session_id, turn, now, day, model, input_tokens, output_tokens, cost_usd),
        )
        if cost_usd:
            self._db.execute(
                "UPDATE sessions SET cost_usd = cost_usd + ? WHERE id = ?", (cost_usd, session_id)
            )

    def usage(self, session_id: str) -> list[dict[str, object]]:
        rows = self._db.execute(
            "SELECT turn, model, SUM(input_tokens), SUM(output_tokens), SUM(cost_usd) FROM usage "
            "WHERE session_id = ? GROUP BY turn, model ORDER BY turn",
            (session_id,),
        )
        keys = ("turn", "model", "input_tokens", "output_tokens", "cost_usd")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def usage_by_day(self) -> list[dict[str, object]]:
        rows = self._db.execute(
            "SELECT day, SUM(input_tokens), SUM(output_tokens), SUM(cost_usd) FROM usage GROUP BY day ORDER BY day"
        )
        keys = ("day", "input_tokens", "output_tokens", "cost_usd")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # ------------------------------------------------------------ upkeep

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        self.flush()
        self._ingester.close()
        self._db.close()
