"""The journal in front of SQLite, as the store uses it: appends go to this
process's journal, full journals go to the ingest thread, and session rows
still on their way are written directly when something needs them (see
sqlite.py for the whole contract)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from acp_server.store.ingest import Ingester
from acp_server.store.journal import Journal
from acp_server.store.schema import SessionRecord, insert_sessions

if TYPE_CHECKING:
    from concurrent.futures import Future
    from pathlib import Path

# How much the journal holds before it is moved into SQLite while turns run
# (the server moves it when no turn is running anyway). Large, so streams rarely
# share the CPU with an ingest: at 2,048 updates the ingest thread cost ~20% of
# streaming throughput on two cores. The bytes bound caps the memory the
# pending rows hold (~10 MB for 65,536 typical updates).
JOURNAL_BATCH = 65536
JOURNAL_BYTES = 32 * 1024 * 1024
# New sessions' rows held in memory until SQLite has them; at this many, the
# journal holding them is moved into SQLite.
UNSETTLED_MAX = 1024


class JournalBuffer:
    def __init__(self, connection: sqlite3.Connection, path: str | os.PathLike[str]) -> None:
        self._db = connection
        # Plain strings and os.path: pathlib (with the urllib.parse and
        # ipaddress it imports) would cost the first session/new ~6 ms.
        self._path = os.fspath(path)
        stem = os.path.splitext(os.path.basename(self._path))[0]
        self._journal_dir = os.path.join(os.path.dirname(self._path), stem + ".journal")
        self._journal: Journal | None = None  # created by the first append after a flush
        self._deferred = False
        self._ingester = Ingester(self._path)
        # Rows of new sessions that may not be in SQLite yet: those in the
        # current journal, and those in journals the ingest thread is moving.
        # Anything that reads or changes a session row writes them first
        # (INSERT OR IGNORE, so whichever copy lands second changes nothing).
        self._unsettled: dict[str, SessionRecord] = {}
        self._ingesting: list[tuple[Future[bool], dict[str, SessionRecord]]] = []

    @property
    def path(self) -> Path:
        """The database file, for callers that want a Path (the CLI, tests)."""
        from pathlib import Path

        return Path(self._path)

    @property
    def journal_dir(self) -> Path:
        """The directory of the journals beside the database."""
        from pathlib import Path

        return Path(self._journal_dir)

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

    def _held_here(self, session_id: str) -> bool:
        """The session's row is only in this process's current journal: no
        other process can have read or changed it (they read SQLite, and
        recover only a dead process's journal)."""
        return session_id in self._unsettled

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
            insert_sessions(self._db, records)

    def _new_journal(self) -> Journal:
        journal = self._journal = Journal(self._journal_dir, deferred=self._deferred)
        return journal

    def _journal_append(self, session_id: str, seq: int, turn: int, ts: float, data: bytes) -> None:
        # SessionStore.append_update does the same inline, once per streamed chunk.
        journal = self._journal or self._new_journal()
        journal.append(session_id, seq, turn, ts, data)
        if len(journal.pending) >= JOURNAL_BATCH or journal.pending_bytes >= JOURNAL_BYTES:
            self.flush(wait=False)  # a new journal takes the next updates


__all__ = ["JOURNAL_BATCH", "JOURNAL_BYTES", "UNSETTLED_MAX", "JournalBuffer"]
