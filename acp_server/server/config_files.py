"""Whether the configuration a server loaded may have changed since.

Each session/new re-reads the configuration when a file it came from changed,
so a rotated key or a new default mode needs no restart. The files are
`config.yaml` and `.env` in the home.

At first the check is two `stat` calls per session/new. Once the server is up,
`watch()` moves it to inotify (Linux): the event loop is told when either file
is written, created, replaced, removed or has its mode changed, and the check
costs no syscall at all (two stats were ~13 us of a ~180 us round trip). The
stats are taken once more after the watch is in place, so nothing changed in
between is missed; anywhere inotify is unavailable the stats simply stay.

An event is always handled before a request that arrived after it: the kernel
queues it within the write that caused it, so one poll of the event loop
reports it with the request, and a request is dispatched a turn later.

The home directory itself is not watched for its own sake: its mtime moves
whenever SQLite creates or removes its WAL files beside the database. Its mode
(a world-writable home is refused) is checked on every reload, and a file
planted in it is a change that causes one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct

log = logging.getLogger("acp_server.config")

Mark = tuple[int, int, int, int] | None
NAMES = ("config.yaml", ".env")

# <sys/inotify.h>
_IN_ATTRIB = 0x4
_IN_CLOSE_WRITE = 0x8
_IN_MOVED_FROM = 0x40
_IN_MOVED_TO = 0x80
_IN_CREATE = 0x100
_IN_DELETE = 0x200
_IN_DELETE_SELF = 0x400
_IN_MOVE_SELF = 0x800
_IN_Q_OVERFLOW = 0x4000
_IN_IGNORED = 0x8000
_IN_ONLYDIR = 0x1000000
# Written-and-closed rather than every write: a file is read once it is whole.
_WATCHED = (
    _IN_ATTRIB
    | _IN_CLOSE_WRITE
    | _IN_MOVED_FROM
    | _IN_MOVED_TO
    | _IN_CREATE
    | _IN_DELETE
    | _IN_DELETE_SELF
    | _IN_MOVE_SELF
    | _IN_ONLYDIR
)
# The watch is gone or events were lost: assume a change.
_LOST = _IN_DELETE_SELF | _IN_MOVE_SELF | _IN_Q_OVERFLOW | _IN_IGNORED
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, name length


def _mark(path: str) -> Mark:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns)


class ConfigFiles:
    """Marks of the config files, taken before they are read, and then a watch."""

    def __init__(self, home: str) -> None:
        self._home = home
        self._paths = tuple(os.path.join(home, name) for name in NAMES)
        self._marks = [_mark(path) for path in self._paths]
        self._fd: int | None = None  # the inotify descriptor, once watching
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dirty = False

    @property
    def watching(self) -> bool:
        return self._fd is not None

    def changed(self) -> bool:
        if self._fd is not None or self._dirty:
            return self._dirty
        return self._stats_differ()

    def _stats_differ(self) -> bool:
        return any(_mark(path) != mark for path, mark in zip(self._paths, self._marks, strict=True))

    def watch(self) -> None:
        """Use inotify from now on, if this system has it; the stats otherwise."""
        if self._fd is not None or self._dirty:
            return
        try:
            fd = _inotify_watch(self._home)
        except (OSError, AttributeError, ImportError) as error:
            log.debug("config files: no inotify (%s); checking with stat", error)
            return
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(fd, self._on_events)
        if self._stats_differ():  # changed before the watch was in place
            self._dirty = True

    def _on_events(self) -> None:
        assert self._fd is not None
        try:
            data = os.read(self._fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        lost = not data
        offset = 0
        while offset + _EVENT.size <= len(data):
            _wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
            name = data[offset + _EVENT.size : offset + _EVENT.size + length].rstrip(b"\0")
            offset += _EVENT.size + length
            if mask & _LOST:
                lost = True
            elif name.decode(errors="replace") in NAMES:
                self._dirty = True
        if lost:
            self._dirty = True
            self.close()  # the next reload watches again

    def close(self) -> None:
        if self._fd is None:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = None


def _inotify_watch(directory: str) -> int:
    """A non-blocking inotify descriptor watching `directory`'s entries."""
    import ctypes  # ~2 ms: imported once the server is up, never before a reply

    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1 failed")
    if libc.inotify_add_watch(fd, os.fsencode(directory), ctypes.c_uint32(_WATCHED)) < 0:
        errno = ctypes.get_errno()
        os.close(fd)
        raise OSError(errno, f"inotify_add_watch failed for {directory}")
    return int(fd)


__all__ = ["NAMES", "ConfigFiles"]
