"""One turn at a time per session, across every process sharing a store.

Two processes may have the same session open (two editor windows, an editor
and `acp-server run --session ID`) and take turns in it; they must not run
turns at the same time, or their updates and histories would interleave.

Each session maps to one byte of `<db>.locks`, at an offset derived from its
id, and a process holds a POSIX record lock (`lockf`) on that byte while it
runs a turn. The kernel drops the lock when the process dies, so a crash never
leaves a session locked. Record locks belong to the process, not to a file
descriptor, and closing any descriptor of the file drops all of them: the file
is opened once and kept open. Within one process a session's turns are already
serialised by its own asyncio lock; this lock only keeps other processes out.

A 48-bit offset from a hash of the id makes two sessions sharing a byte
(and so a false "busy") practically impossible.
"""

from __future__ import annotations

import logging
import os

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no cross-process lock
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("acp_server.store")


def lock_offset(session_id: str) -> int:
    """The byte of `<db>.locks` that stands for the session. Every version
    must agree on it, or two processes could run turns at once: a 6-byte
    BLAKE2b of the id, as `hashlib.blake2b` computes it."""
    try:
        # hashlib's own blake2b; without hashlib, whose OpenSSL module costs a
        # session's first turn ~2-3 ms (checked equal in the tests).
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - an interpreter without the module
        from hashlib import blake2b
    return int.from_bytes(blake2b(session_id.encode(), digest_size=6).digest(), "big")


class SessionBusy(Exception):
    """Another process is running a turn in this session."""


class TurnLocks:
    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._held: set[str] = set()

    @staticmethod
    def _offset(session_id: str) -> int:
        return lock_offset(session_id)

    def acquire(self, session_id: str) -> None:
        """Take the session's lock now, or raise SessionBusy; never waits."""
        if fcntl is None or session_id in self._held:
            return
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
            except OSError as error:  # a read-only home: turns still run, unguarded
                log.warning(
                    "cannot open %s (%s); turns are not guarded across processes", self.path, error
                )
                self._fd = -1
        if self._fd < 0:
            return
        try:
            fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, self._offset(session_id))
        except OSError as error:  # EACCES or EAGAIN: held by another process
            raise SessionBusy(session_id) from error
        self._held.add(session_id)

    def release(self, session_id: str) -> None:
        if fcntl is None or self._fd is None or session_id not in self._held:
            return
        self._held.discard(session_id)
        fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, self._offset(session_id))

    def close(self) -> None:
        if self._fd is not None and self._fd >= 0:
            os.close(self._fd)  # drops every lock still held
        self._fd = None
        self._held.clear()


__all__ = ["SessionBusy", "TurnLocks", "lock_offset"]
