"""Checkpoint rows: what each turn changed, and what was there before.

Tables (schema 4, see schema.py and docs/checkpoints.md):
- `turns`: one row per prompt the model answered, numbered 1, 2, ... per
  session across processes. It records where the turn starts in the stored
  replay (`seq_start`: the first update seq that belongs to it or later) and
  in the model history (`history_start`, with `history_mark`, the hash of the
  turn's first message, so the cut is found again after compaction moved it),
  the title before it, and whether commands or MCP tools ran (their effects
  are not captured). `dropped` says its file checkpoints went for the caps.
- `checkpoints`: per turn and path, the state before the turn's first change:
  `blob` (the content hash, NULL: the file did not exist) and `mode`; and
  `written`, the hash of what the agent last wrote there in that turn, so a
  later change by someone else is seen as a conflict. Paths are stored as the
  OS bytes, since a name need not be UTF-8.

This table has its own connection with `synchronous=FULL`: a checkpoint is
committed to disk before the change it protects is made, whatever the rest of
the store batches. Calls are serialised by a lock; they block, so the server
makes them off the event loop.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import msgspec

from acp_server.store.blobs import BlobStore


class TurnRow(msgspec.Struct, frozen=True):
    turn: int
    started_at: float
    prompt: str
    seq_start: int
    history_start: int
    history_mark: str | None
    title_before: str | None
    commands: bool
    mcp: bool
    dropped: bool


class FileCheckpoint(msgspec.Struct, frozen=True):
    turn: int
    path: str
    blob: str | None  # None: the file did not exist before the turn
    mode: int | None
    size: int
    written: str  # sha256 of what the agent last wrote there in this turn
    ts: float


_TURN_COLUMNS = (
    "turn, started_at, prompt, seq_start, history_start, history_mark, title_before, "
    "commands, mcp, dropped"
)


class CheckpointTable:
    def __init__(self, db_path: Path, blob_root: Path) -> None:
        self.blobs = BlobStore(blob_root)
        self._db = sqlite3.connect(
            db_path, isolation_level=None, check_same_thread=False, timeout=10
        )
        self._db.execute("PRAGMA synchronous=FULL")
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------ turns

    def begin_turn(
        self,
        session_id: str,
        *,
        prompt: str,
        seq_start: int,
        history_start: int,
        title_before: str | None,
        started_at: float | None = None,
        history_mark: str | None = None,
    ) -> int:
        """Number the session's next turn and record where it starts (and
        its seal, when the turn is already over)."""
        with self._lock:
            row = self._db.execute(
                "INSERT INTO turns (session_id, turn, started_at, prompt, seq_start, "
                "history_start, title_before, history_mark) SELECT ?1, IFNULL(MAX(turn), 0) + 1, "
                "?2, ?3, ?4, ?5, ?6, ?7 FROM turns WHERE session_id = ?1 RETURNING turn",
                (
                    session_id,
                    time.time() if started_at is None else started_at,
                    prompt,
                    seq_start,
                    history_start,
                    title_before,
                    history_mark,
                ),
            ).fetchone()
        return int(row[0])

    def seal_turn(self, session_id: str, turn: int, history_mark: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE turns SET history_mark = ? WHERE session_id = ? AND turn = ?",
                (history_mark, session_id, turn),
            )

    def note_effects(
        self, session_id: str, turn: int, *, commands: bool = False, mcp: bool = False
    ) -> None:
        """Say that commands or MCP tools ran in the turn (never unsaid)."""
        with self._lock:
            self._db.execute(
                "UPDATE turns SET commands = MAX(commands, ?), mcp = MAX(mcp, ?) "
                "WHERE session_id = ? AND turn = ?",
                (int(commands), int(mcp), session_id, turn),
            )

    def turns(self, session_id: str) -> list[TurnRow]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_TURN_COLUMNS} FROM turns WHERE session_id = ? ORDER BY turn",
                (session_id,),
            ).fetchall()
        return [_turn(r) for r in rows]

    def copy_turns(self, source: str, target: str, before: int) -> None:
        """Give a fork the turns before `before`, numbered as in the source, without
        their file checkpoints (a fork never touches files): marked dropped."""
        with self._lock:
            self._db.execute(
                f"INSERT OR IGNORE INTO turns (session_id, {_TURN_COLUMNS}) SELECT ?, turn, "
                "started_at, prompt, seq_start, history_start, history_mark, title_before, "
                "commands, mcp, 1 FROM turns WHERE session_id = ? AND turn < ?",
                (target, source, before),
            )

    # ------------------------------------------------------------ files

    def record(
        self,
        session_id: str,
        turn: int,
        path: str,
        *,
        blob: str | None,
        mode: int | None,
        size: int,
        written: str,
    ) -> None:
        """The state before the turn's first change to `path` (later calls for
        the same turn and path only move `written`). Durable on return."""
        with self._lock:
            self._db.execute(
                "INSERT INTO checkpoints (session_id, turn, path, blob, mode, size, written, ts) "
                "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (session_id, turn, path) "
                "DO UPDATE SET written = excluded.written",
                (session_id, turn, os.fsencode(path), blob, mode, size, written, time.time()),
            )

    def set_written(self, session_id: str, turn: int, path: str, written: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE checkpoints SET written = ? WHERE session_id = ? AND turn = ? AND path = ?",
                (written, session_id, turn, os.fsencode(path)),
            )

    def files(self, session_id: str, from_turn: int = 1) -> list[FileCheckpoint]:
        """The session's file checkpoints of turns >= `from_turn`, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT turn, path, blob, mode, size, written, ts FROM checkpoints "
                "WHERE session_id = ? AND turn >= ? ORDER BY turn, ts, path",
                (session_id, from_turn),
            ).fetchall()
        return [
            FileCheckpoint(t, os.fsdecode(bytes(p)), b, m, s, w, ts)
            for t, p, b, m, s, w, ts in rows
        ]

    def forget_from(self, session_id: str, turn: int) -> None:
        """Drop turns >= `turn` and their checkpoints (after a rewind to it)."""
        with self._lock:
            self._db.execute("BEGIN")
            for table in ("turns", "checkpoints"):
                self._db.execute(
                    f"DELETE FROM {table} WHERE session_id = ? AND turn >= ?", (session_id, turn)
                )
            self._db.execute("COMMIT")

    # ------------------------------------------------------------ size

    def session_bytes(self, session_id: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT IFNULL(SUM(size), 0) FROM checkpoints WHERE session_id = ?", (session_id,)
            ).fetchone()
        return int(row[0])

    def total_bytes(self) -> int:
        with self._lock:
            return int(
                self._db.execute("SELECT IFNULL(SUM(size), 0) FROM checkpoints").fetchone()[0]
            )

    def drop_oldest(self, session_id: str | None) -> bool:
        """Drop the file checkpoints of the oldest turn that still has some (of
        one session, or of all), never a session's last turn; whether one was."""
        scope, args = ("AND t.session_id = ?", (session_id,)) if session_id else ("", ())
        with self._lock:
            row = self._db.execute(
                "SELECT t.session_id, t.turn FROM turns t WHERE t.dropped = 0 "
                f"{scope} AND t.turn < (SELECT MAX(turn) FROM turns m WHERE m.session_id = "
                "t.session_id) AND EXISTS (SELECT 1 FROM checkpoints c WHERE c.session_id = "
                "t.session_id AND c.turn = t.turn) ORDER BY t.started_at, t.turn LIMIT 1",
                args,
            ).fetchone()
            if row is None:
                return False
            self._db.execute("BEGIN")
            self._db.execute(
                "DELETE FROM checkpoints WHERE session_id = ? AND turn = ?", (row[0], row[1])
            )
            self._db.execute(
                "UPDATE turns SET dropped = 1 WHERE session_id = ? AND turn = ?", (row[0], row[1])
            )
            self._db.execute("COMMIT")
        return True

    def referenced_blobs(self) -> set[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT blob FROM checkpoints WHERE blob IS NOT NULL"
            ).fetchall()
        return {r[0] for r in rows}


def _turn(row: tuple[object, ...]) -> TurnRow:
    turn, started, prompt, seq, start, mark, title, commands, mcp, dropped = row
    return TurnRow(
        int(turn),  # type: ignore[call-overload]
        float(started),  # type: ignore[arg-type]
        str(prompt),
        int(seq),  # type: ignore[call-overload]
        int(start),  # type: ignore[call-overload]
        mark if isinstance(mark, str) else None,
        title if isinstance(title, str) else None,
        bool(commands),
        bool(mcp),
        bool(dropped),
    )


__all__ = ["CheckpointTable", "FileCheckpoint", "TurnRow"]
