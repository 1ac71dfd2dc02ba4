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

Several processes may share the store and the same session. A turn claims the
session (`begin_turn`, a cross-process lock, see turnlock.py) and learns what
another process wrote since (its history and updates, `Refresh`); `end_turn`
records the last sequence number handed out, so the next process continues
after it even before those updates leave this process's journal.

Damage never stops the store: a corrupt database is moved aside and a new one
started, a damaged journal is ingested as far as it is intact and set aside
(damage.py, ingest.py). What was done is in `notices`, naming the files.

API (also used by `acp-server sessions ...`):
  SessionStore.open(path) -> SessionStore;  notices
  create(record), get(id), update_meta(id, **fields), delete(id), prune(older_than_days)
  save_history(id, messages);  begin_turn(id) -> Refresh | None;  end_turn(id)
  append_update(id, payload_json: bytes, turn) -> seq;  updates(id), iter_updates(id), iter_timed_updates(id);  flush()
  list(cwd=None, cursor=0, limit=50, since=None) -> (records, next_cursor | None)
  record_usage(id, turn, model, input_tokens, output_tokens, cost_usd), usage(id), usage_by_day()
  integrity_check() -> str;  close()
  checkpoints (CheckpointTable);  next_seq(id);  truncate(id, ...) (see checkpoints.py)
"""

from __future__ import annotations

import builtins
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import msgspec

from acp_server.store import history
from acp_server.store.buffer import JOURNAL_BATCH, JOURNAL_BYTES, UNSETTLED_MAX, JournalBuffer
from acp_server.store.damage import is_corruption, set_aside_database
from acp_server.store.ingest import recover_journals
from acp_server.store.journal import read_session
from acp_server.store.schema import (
    COLUMNS,
    JSON_FIELDS,
    META_FIELDS,
    MIGRATIONS,
    SCHEMA_VERSION,
    SESSION_ROW,
    SessionRecord,
    connect,
    insert,
    json_text,
    record,
)
from acp_server.store.turnlock import SessionBusy, TurnLocks

if TYPE_CHECKING:
    # Checkpoints and rewinds load with their first use (a turn, a rewind),
    # not with the store the first session/new opens.
    from acp_server.store.checkpoints import CheckpointTable

log = logging.getLogger("acp_server.store")


class StoreError(Exception):
    """The database cannot be used; the message says which file and why."""


class SessionGone(StoreError):
    """The session was deleted (by another process, or the CLI) while open here."""


class Refresh(msgspec.Struct):
    """What another process wrote to a session since this one last did."""

    messages: list[dict[str, object]]
    missed: list[bytes]  # updates this process never sent, in order


class SessionStore(JournalBuffer):
    def __init__(self, connection: sqlite3.Connection, path: str | os.PathLike[str]) -> None:
        super().__init__(connection, path)
        self._seq: dict[str, int] = {}
        # Per session: the `rev` this process last wrote or read, and what of
        # its history is stored (see history.py).
        self._rev: dict[str, int] = {}
        self._stored: dict[str, history.Stored] = {}
        # Per session in a turn: the last seq its SQLite row was given a new
        # revision for (at the claim, or by the turn's last history save);
        # end_turn writes a new revision only for updates after it.
        self._turn_seq: dict[str, int] = {}
        # The last seq this process's editor has seen (replayed or sent), which
        # may trail `_seq` after a load: another process may still hold seqs
        # it announced in its journal, and those are shown at the next turn.
        self._shown: dict[str, int] = {}
        self._locks = TurnLocks(self._path + ".locks")
        # Damage found and dealt with on open, for the user to be told.
        self.notices: list[str] = []
        self._checkpoints: CheckpointTable | None = None

    @property
    def checkpoints(self) -> CheckpointTable:
        """The file checkpoints and turn index, with their blobs beside the database."""
        if self._checkpoints is None:
            from acp_server.store.checkpoints import CheckpointTable

            self._checkpoints = CheckpointTable(self.path, self.path.parent / "checkpoints")
        return self._checkpoints

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> SessionStore:
        """Open (or create) the store. A database too damaged to open is moved
        aside and a new one started; `notices` says so, naming both files."""
        path = os.fspath(path)
        os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
        try:
            return cls._open(path)
        except sqlite3.DatabaseError as error:
            if not is_corruption(error):
                raise StoreError(f"cannot open the session database {path}: {error}") from None
            reason = str(error)
            kept = set_aside_database(path)
        log.error("the session database %s was damaged (%s); kept as %s", path, reason, kept)
        try:
            store = cls._open(path)
        except sqlite3.DatabaseError as again:
            raise StoreError(f"cannot open the session database {path}: {again}") from None
        store.notices.insert(
            0,
            f"the session database {path} was damaged ({reason}); it was moved aside to "
            f"{kept} and a new one started. Run `acp-server doctor` for how to recover it.",
        )
        return store

    @classmethod
    def _open(cls, path: str) -> SessionStore:
        if not os.path.exists(path):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        connection = connect(path)
        store = cls(connection, path)
        try:
            store._migrate()
            store.notices += recover_journals(connection, store._journal_dir)
        except BaseException:
            connection.close()
            raise
        return store

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        current = row[0] if row else 0
        if current > SCHEMA_VERSION:
            raise StoreError(f"{self._path} was written by a newer acp-server (schema {current})")
        for version in range(current + 1, SCHEMA_VERSION + 1):
            # One transaction per step: a crash mid-migration leaves the previous version intact.
            self._db.executescript(
                f"BEGIN; {MIGRATIONS[version]}; DELETE FROM schema_version; "
                f"INSERT INTO schema_version VALUES ({version}); COMMIT;"
            )

    def schema_version(self) -> int:
        return int(self._db.execute("SELECT version FROM schema_version").fetchone()[0])

    # ------------------------------------------------------------ sessions

    def create(self, session: SessionRecord) -> None:
        """Journal a new session's row; like an update, it is durable before the
        reply that names the session is sent, and reaches SQLite with the journal."""
        now = time.time()
        session.created_at = session.created_at or now
        session.updated_at = now
        self._journal_append(session.id, SESSION_ROW, 0, now, msgspec.json.encode(session))
        self._seq[session.id] = 0
        self._shown[session.id] = 0
        self._rev[session.id] = 0
        self._stored[session.id] = history.Stored(session.messages)
        self._unsettled[session.id] = session
        if len(self._unsettled) >= UNSETTLED_MAX:
            self.flush(wait=False)  # the ingest thread writes them; memory stays bounded

    def get(self, session_id: str) -> SessionRecord | None:
        """The session with its whole model history (what a load needs)."""
        self._settle(session_id)
        row = self._db.execute(
            f"SELECT {COLUMNS}, rev FROM sessions WHERE id = ? AND deleted = 0", (session_id,)
        ).fetchone()
        if row is None:
            return None
        session = record(row[:-1])
        session.messages = history.load(self._db, session_id)
        self._rev[session_id] = row[-1]
        self._stored[session_id] = history.Stored(session.messages)
        # What a load replays ends here; a later refresh shows what comes after.
        own = self._seq.get(session_id, 0)
        self._seq[session_id] = max(own, self._seq_base(session_id))
        in_sqlite = self._db.execute(
            "SELECT MAX(seq) FROM updates WHERE session_id = ?", (session_id,)
        ).fetchone()[0]
        self._shown[session_id] = max(own, in_sqlite or 0)
        return session

    def update_meta(self, session_id: str, **fields: object) -> None:
        if not fields:
            return
        if "messages" in fields:
            self.save_history(session_id, fields.pop("messages"))  # type: ignore[arg-type]
            if not fields:
                return
        unknown = set(fields) - META_FIELDS
        if unknown:
            raise ValueError(f"unknown session fields: {sorted(unknown)}")
        self._settle(session_id)
        values = [json_text(v) if k in JSON_FIELDS else v for k, v in fields.items()]
        assignments = ", ".join(f"{k} = ?" for k in fields)
        self._db.execute(
            f"UPDATE sessions SET {assignments}, updated_at = ? WHERE id = ? AND deleted = 0",
            (*values, time.time(), session_id),
        )

    def delete(self, session_id: str) -> bool:
        """Remove a session's rows, leaving a tombstone: updates for it still in
        some process's journal are dropped when they arrive, and a process that
        has it open gets SessionGone at its next turn. Its checkpoints go too."""
        deleted = self._delete(session_id)
        self.sweep_checkpoints()
        return deleted

    def _delete(self, session_id: str) -> bool:
        self.flush()  # also settles every session row
        self._db.execute("BEGIN")
        cursor = self._db.execute(
            "UPDATE sessions SET deleted = 1, title = NULL, messages = '[]', grants = '[]' "
            "WHERE id = ? AND deleted = 0",
            (session_id,),
        )
        for table in ("updates", "usage", "history", "turns", "checkpoints"):
            self._db.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))
        self._db.execute("COMMIT")
        self._seq.pop(session_id, None)
        self._shown.pop(session_id, None)
        self._stored.pop(session_id, None)
        return cursor.rowcount > 0

    def prune(self, older_than_days: float) -> int:
        cutoff = time.time() - older_than_days * 86400
        self._settle()
        ids = [
            r[0]
            for r in self._db.execute(
                "SELECT id FROM sessions WHERE updated_at < ? AND deleted = 0", (cutoff,)
            )
        ]
        for session_id in ids:
            self._delete(session_id)
        self.sweep_checkpoints()
        return len(ids)

    def sweep_checkpoints(self) -> int:
        """Remove checkpoint contents no checkpoint refers to any more."""
        if not os.path.isdir(os.path.join(os.path.dirname(self._path), "checkpoints")):
            return 0
        return self.checkpoints.blobs.sweep(self.checkpoints.referenced_blobs)

    def list(
        self, cwd: str | None = None, cursor: int = 0, limit: int = 50, since: float | None = None
    ) -> tuple[list[SessionRecord], int | None]:
        """Newest first, summaries only (`messages` stays empty): the cost does
        not depend on how long the sessions are. `cursor` is an offset; the
        next one is None on the last page."""
        self._settle()
        where: builtins.list[str] = ["deleted = 0"]
        args: builtins.list[object] = []
        if cwd is not None:
            where.append("cwd = ?")
            args.append(cwd)
        if since is not None:
            where.append("updated_at >= ?")
            args.append(since)
        rows = self._db.execute(
            f"SELECT {COLUMNS} FROM sessions WHERE {' AND '.join(where)} ORDER BY updated_at DESC, id LIMIT ? OFFSET ?",
            (*args, limit + 1, cursor),
        ).fetchall()
        records = [record(r) for r in rows[:limit]]
        return records, cursor + limit if len(rows) > limit else None

    # ------------------------------------------------------------ history and turns

    def save_history(self, session_id: str, messages: Sequence[Mapping[str, object]]) -> None:
        """Store the engine's history: the new messages only, when it grew."""
        self._settle(session_id)
        db = self._db
        db.execute("BEGIN")
        try:
            row = db.execute(
                "UPDATE sessions SET rev = rev + 1, last_seq = MAX(last_seq, ?), updated_at = ? "
                "WHERE id = ? AND deleted = 0 RETURNING rev",
                (self._seq.get(session_id, 0), time.time(), session_id),
            ).fetchone()
            if row is not None:  # not deleted: nothing is written for a deleted session
                history.write(db, session_id, messages, self._stored.get(session_id))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        if row is not None:
            self._rev[session_id] = row[0]
            self._stored[session_id] = history.Stored(messages)
            if session_id in self._turn_seq:  # a new revision up to here: end_turn need not
                self._turn_seq[session_id] = self._seq.get(session_id, 0)

    def begin_turn(self, session_id: str) -> Refresh | None:
        """Claim the session for one turn, across processes.

        Raises SessionBusy while another process runs a turn in it and
        SessionGone once it was deleted. Returns what another process wrote
        since this one last did (its history, and the updates to show), so
        the turn continues from there; None when nothing changed."""
        self._locks.acquire(session_id)
        try:
            refresh = None if self._held_here(session_id) else self._changed_elsewhere(session_id)
        except BaseException:
            self._locks.release(session_id)
            raise
        self._turn_seq[session_id] = self._seq.get(session_id, 0)
        return refresh

    def _changed_elsewhere(self, session_id: str) -> Refresh | None:
        # A new session's first turn skips this (its row waits in the journal):
        # writing the row to read it back cost the first token ~0.3 ms.
        self._settle(session_id)
        row = self._db.execute(
            "SELECT rev, last_seq FROM sessions WHERE id = ? AND deleted = 0", (session_id,)
        ).fetchone()
        if row is None:
            raise SessionGone(f"session {session_id} was deleted")
        return self._refresh(session_id, *row)

    def _refresh(self, session_id: str, rev: int, last_seq: int) -> Refresh | None:
        known = self._rev.setdefault(session_id, rev)
        if known == rev:
            return None
        shown = self._shown.get(session_id, self._seq.get(session_id, 0))
        self.flush()  # our own journaled rows first, so MAX(seq) counts them
        # The other process's journal first, then SQLite: a journal ingested in
        # between has its rows in SQLite by the time they are read.
        pending = read_session(self._journal_dir, session_id, shown)
        rows = self._db.execute(
            "SELECT seq, payload FROM updates WHERE session_id = ? AND seq > ?",
            (session_id, shown),
        )
        pending.update((seq, bytes(payload)) for seq, payload in rows)
        missed = [pending[seq] for seq in sorted(pending)]
        own = self._seq.get(session_id, 0)
        self._seq[session_id] = max(own, shown, self._seq_base(session_id), *pending)
        messages = history.load(self._db, session_id)
        self._stored[session_id] = history.Stored(messages)
        self._rev[session_id] = rev
        return Refresh(messages, missed)

    def end_turn(self, session_id: str) -> None:
        """Let other processes take the next turn; they continue after our updates."""
        try:
            self.sync_journal()  # written before another process can read past them
            seq = self._seq.get(session_id, 0)
            self._shown[session_id] = seq  # this turn sent everything up to it
            if seq != self._turn_seq.pop(session_id, seq):
                self._settle(session_id)  # a first turn that saved no history
                row = self._db.execute(
                    "UPDATE sessions SET rev = rev + 1, last_seq = MAX(last_seq, ?) "
                    "WHERE id = ? AND deleted = 0 RETURNING rev",
                    (seq, session_id),
                ).fetchone()
                if row is not None:
                    self._rev[session_id] = row[0]
        finally:
            self._locks.release(session_id)

    # ------------------------------------------------------------ updates

    def append_update(self, session_id: str, payload: bytes, turn: int = 0) -> int:
        # Once per streamed chunk: `_next_seq` and `_journal_append`, inlined.
        seq = self._seq.get(session_id)
        if seq is None:
            seq = self._seq_base(session_id)
        seq = self._seq[session_id] = seq + 1
        journal = self._journal or self._new_journal()
        journal.append(session_id, seq, turn, time.time(), payload)
        if len(journal.pending) >= JOURNAL_BATCH or journal.pending_bytes >= JOURNAL_BYTES:
            self.flush(wait=False)  # a new journal takes the next updates
        return seq

    def append_updates(self, session_id: str, payloads: Iterable[bytes], turn: int = 0) -> None:
        """Many updates at once, straight into SQLite (forks, imports)."""
        now = time.time()
        self.flush()
        insert(self._db, [(session_id, self._next_seq(session_id), turn, now, p) for p in payloads])

    def _next_seq(self, session_id: str) -> int:
        if session_id not in self._seq:
            self._seq[session_id] = self._seq_base(session_id)
        self._seq[session_id] += 1
        return self._seq[session_id]

    def _seq_base(self, session_id: str) -> int:
        """The highest seq handed out for the session: in SQLite, or announced
        by another process (`last_seq`) that may still hold it in its journal."""
        row = self._db.execute(
            "SELECT MAX(IFNULL((SELECT MAX(seq) FROM updates WHERE session_id = ?1), 0), "
            "IFNULL((SELECT last_seq FROM sessions WHERE id = ?1), 0))",
            (session_id,),
        ).fetchone()
        return int(row[0] or 0)

    def updates(self, session_id: str) -> builtins.list[bytes]:
        self.flush()
        rows = self._db.execute(
            "SELECT payload FROM updates WHERE session_id = ? ORDER BY seq", (session_id,)
        )
        return [bytes(r[0]) for r in rows]

    def updates_before(self, session_id: str, seq: int) -> builtins.list[bytes]:
        """The stored updates before `seq` (what a fork from a turn's start copies)."""
        self.flush()
        rows = self._db.execute(
            "SELECT payload FROM updates WHERE session_id = ? AND seq < ? ORDER BY seq",
            (session_id, seq),
        )
        return [bytes(r[0]) for r in rows]

    def iter_updates(self, session_id: str) -> Iterable[bytes]:
        """The stored updates one at a time, for exports of any length."""
        self.flush()
        for row in self._db.execute(
            "SELECT payload FROM updates WHERE session_id = ? ORDER BY seq", (session_id,)
        ):
            yield bytes(row[0])

    def iter_timed_updates(self, session_id: str) -> Iterable[tuple[float, bytes]]:
        """(time stored, payload) one at a time: transcripts that say when."""
        self.flush()
        for row in self._db.execute(
            "SELECT ts, payload FROM updates WHERE session_id = ? ORDER BY seq", (session_id,)
        ):
            yield float(row[0]), bytes(row[1])

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
            "INSERT INTO usage SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 "
            "WHERE NOT EXISTS (SELECT 1 FROM sessions WHERE id = ?1 AND deleted = 1)",
            (session_id, turn, now, day, model, input_tokens, output_tokens, cost_usd),
        )
        if cost_usd:
            self._db.execute(
                "UPDATE sessions SET cost_usd = cost_usd + ? WHERE id = ? AND deleted = 0",
                (cost_usd, session_id),
            )

    def usage(self, session_id: str) -> builtins.list[dict[str, object]]:
        rows = self._db.execute(
            "SELECT turn, model, SUM(input_tokens), SUM(output_tokens), SUM(cost_usd) FROM usage "
            "WHERE session_id = ? GROUP BY turn, model ORDER BY turn",
            (session_id,),
        )
        keys = ("turn", "model", "input_tokens", "output_tokens", "cost_usd")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def usage_by_day(self) -> builtins.list[dict[str, object]]:
        rows = self._db.execute(
            "SELECT day, SUM(input_tokens), SUM(output_tokens), SUM(cost_usd) FROM usage GROUP BY day ORDER BY day"
        )
        keys = ("day", "input_tokens", "output_tokens", "cost_usd")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # ------------------------------------------------------------ upkeep

    def next_seq(self, session_id: str) -> int:
        """The seq the session's next update will get (where a turn starts)."""
        return self._seq.get(session_id, self._seq_base(session_id)) + 1

    def truncate(
        self, session_id: str, *, seq_start: int, history_len: int, since: float, title: str | None
    ) -> None:
        """Cut the session back to a turn's start: updates from `seq_start`, the
        history after `history_len` messages, usage recorded from `since`; the
        title becomes `title`. Other processes see it at their next turn."""
        from acp_server.store.truncate import truncate_rows

        self.flush()
        truncate_rows(self._db, session_id, seq_start, history_len, since, title)
        self._stored.pop(session_id, None)  # the next save rewrites the history once
        self._rev.pop(session_id, None)

    def cost_usd(self, session_id: str) -> float:
        """What the session's stored usage cost (after a rewind: what is left)."""
        row = self._db.execute(
            "SELECT cost_usd FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        return float(row[0]) if row else 0.0

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        self.flush()
        self._ingester.close()
        self._locks.close()
        if self._checkpoints is not None:
            self._checkpoints.close()
        self._db.close()


__all__ = [
    "SCHEMA_VERSION",
    "Refresh",
    "SessionBusy",
    "SessionGone",
    "SessionRecord",
    "SessionStore",
    "StoreError",
]
