"""The server's side of the capture port: one `TurnCapture` per turn.

Before the turn's first change to a path, its present state on disk (bytes and
mode bits, or that nothing is there) goes into the blob store and a checkpoint
row, both durable before `before_write` returns and the write is made. Later
writes to the same path in the turn only record the new content's hash. The
disk is read in both file system modes: the server and the project share a
machine, and the editor saves what `fs/write_text_file` writes.

Something that is not a regular file is refused with the same error the write
would give; a file that cannot be read refuses the write (FileAccessError),
since a change that could not be undone must not happen silently.

After each new checkpoint the size caps are applied (see caps.py).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from collections.abc import Mapping, Sequence

import msgspec

from acp_server.checkpoints.caps import Caps, enforce
from acp_server.store import SessionStore
from acp_server.store.blobs import digest
from acp_server.store.checkpoints import CheckpointTable
from agent.fileio import fs_call, printable, regular_size
from agent.ports import FileAccessError


def open_turn(
    store: SessionStore,
    session_id: str,
    *,
    prompt: str,
    history_len: int,
    title: str | None,
    caps: Caps,
    seq_start: int | None = None,
    started_at: float | None = None,
    history_mark: str | None = None,
) -> TurnCapture:
    """Number a new turn and start capturing its writes. Call it before the
    turn's first update is appended and before its prompt joins the history
    (and before a first prompt names the session), so the turn's row says
    where the session stood (or pass `seq_start`, noted then). Blocking (one
    small SQLite write)."""
    table = store.checkpoints
    turn = table.begin_turn(
        session_id,
        prompt=prompt,
        seq_start=store.next_seq(session_id) if seq_start is None else seq_start,
        history_start=history_len,
        title_before=title,
        started_at=started_at,
        history_mark=history_mark,
    )
    return TurnCapture(
        table, session_id, turn, caps, history_start=history_len, sealed=history_mark is not None
    )


def message_mark(message: Mapping[str, object]) -> str:
    """What finds a turn's first message again after compaction moved it."""
    return digest(msgspec.json.encode(message))


class TurnCapture:
    """Implements `agent.checkpoints.WriteRecorder` for one turn of one session."""

    def __init__(
        self,
        table: CheckpointTable,
        session_id: str,
        turn: int,
        caps: Caps,
        *,
        history_start: int = 0,
        sealed: bool = False,
    ) -> None:
        self.table = table
        self.session_id = session_id
        self.turn = turn
        self.caps = caps
        self.history_start = history_start
        self._sealed = sealed
        self.paths: set[str] = set()
        # One capture at a time: two concurrent writes to a path must not both
        # take the "first change" (the second would record the first's bytes).
        self._lock = asyncio.Lock()

    def seal(self, messages: Sequence[Mapping[str, object]]) -> None:
        """Mark the turn's first message, once the history holds it (blocking)."""
        if not self._sealed and len(messages) > self.history_start:
            self.table.seal_turn(
                self.session_id, self.turn, message_mark(messages[self.history_start])
            )
            self._sealed = True

    def note_effects(self, *, commands: bool = False, mcp: bool = False) -> None:
        """Commands or MCP tools ran: the listing says their effects are not captured."""
        self.table.note_effects(self.session_id, self.turn, commands=commands, mcp=mcp)

    async def before_write(self, path: str, content: str) -> None:
        written = digest(content.encode("utf-8", "surrogatepass"))
        async with self._lock:
            if path in self.paths:
                await fs_call(
                    self.table.set_written,
                    self.session_id,
                    self.turn,
                    path,
                    written,
                    what="record a checkpoint of",
                    path=path,
                )
                return
            await fs_call(self._first, path, written, what="record a checkpoint of", path=path)
            self.paths.add(path)

    def _first(self, path: str, written: str) -> None:
        with self.table.blobs.writing():
            self._record_first(path, written)
        enforce(self.table, self.session_id, self.caps)

    def _record_first(self, path: str, written: str) -> None:
        blob, mode, size = previous_state(self.table, path)
        try:
            self.table.record(
                self.session_id, self.turn, path, blob=blob, mode=mode, size=size, written=written
            )
        except sqlite3.Error as error:
            raise FileAccessError(
                f"cannot record a checkpoint of {printable(path)} ({error}), so it is not changed"
            ) from None


def previous_state(table: CheckpointTable, path: str) -> tuple[str | None, int | None, int]:
    """(blob hash or None when absent, mode bits, size) of `path`, its bytes stored."""
    if regular_size(path) is None:  # NotEditable for what is not a regular file
        return None, None, 0
    try:
        with open(path, "rb") as handle:
            data = handle.read()
            mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
    except FileNotFoundError:
        return None, None, 0
    except OSError as error:
        raise FileAccessError(
            f"cannot keep a checkpoint of {printable(path)} ({error.strerror}), "
            "so it is not changed"
        ) from None
    try:
        sha = table.blobs.put(data)
    except OSError as error:
        raise FileAccessError(
            f"cannot store a checkpoint of {printable(path)} ({error.strerror}), "
            "so it is not changed"
        ) from None
    return sha, mode, len(data)


__all__ = ["TurnCapture", "message_mark", "open_turn", "previous_state"]
