"""Content-addressed file contents: `<root>/<hh>/<sha256>`, each stored once.

A blob is written to a temp file in its directory, fsynced, renamed into place
and its directory fsynced, before `put` returns: the caller changes the file
only afterwards, so a `kill -9` (or a power cut) in between leaves the old
content on disk here. Directories are 0700 and blobs 0600, since a checkpoint
holds whatever the project's files held. Blobs are never changed in place; a
name that exists already holds those bytes (its name is their hash), so a
second `put` of the same content costs one `stat`.

Removing unreferenced blobs (`sweep`) takes an exclusive lock on the store;
a writer holds it shared (`writing()`) from storing a blob until the row that
refers to it is committed, so a sweep in any process never removes a blob
whose row is still on its way.

Blocking throughout: call it off the event loop.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path


def digest(data: bytes) -> str:
    # Imported here: the store loads with a process's first session/new, and
    # hashlib (OpenSSL) is a few ms of that reply; a checkpoint comes later.
    import hashlib

    return hashlib.sha256(data).hexdigest()


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha: str) -> Path:
        if len(sha) != 64 or not all(c in "0123456789abcdef" for c in sha):
            raise ValueError(f"not a content hash: {sha!r}")
        return self.root / sha[:2] / sha

    def put(self, data: bytes) -> str:
        """Store `data` durably; its hash."""
        sha = digest(data)
        target = self.path_of(sha)
        if target.exists():
            return sha
        _private_dirs(self.root, target.parent)
        temp = target.with_name(f".{sha}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        sync_directory(target.parent)
        return sha

    def get(self, sha: str) -> bytes:
        """The stored bytes; FileNotFoundError when the blob is gone, ValueError
        when the bytes on disk no longer have their hash (damaged)."""
        data = self.path_of(sha).read_bytes()
        if digest(data) != sha:
            raise ValueError(f"checkpoint content {sha[:12]} is damaged")
        return data

    def names(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if shard.is_dir():
                yield from (p.name for p in sorted(shard.iterdir()) if not p.name.startswith("."))

    def size(self) -> tuple[int, int]:
        """(number of blobs, bytes they hold)."""
        count = total = 0
        for sha in self.names():
            with contextlib.suppress(OSError):
                total += self.path_of(sha).stat().st_size
                count += 1
        return count, total

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Held while a blob is stored and its row written: no sweep meanwhile."""
        with self._locked(fcntl.LOCK_SH):
            yield

    def sweep(self, keep: Callable[[], Iterable[str]]) -> int:
        """Remove every blob not in `keep()` (asked under the lock); how many."""
        if not self.root.is_dir():
            return 0
        with self._locked(fcntl.LOCK_EX):
            wanted = set(keep())
            removed = 0
            for sha in list(self.names()):
                if sha not in wanted:
                    with contextlib.suppress(OSError, ValueError):
                        self.path_of(sha).unlink()
                        removed += 1
        return removed

    @contextlib.contextmanager
    def _locked(self, how: int) -> Iterator[None]:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, how)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _private_dirs(root: Path, leaf: Path) -> None:
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not leaf.exists():
        leaf.mkdir(mode=0o700, exist_ok=True)
        sync_directory(root)


def sync_directory(directory: Path | str) -> None:
    """Make a rename or create in `directory` durable (where the file system can)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


__all__ = ["BlobStore", "digest", "sync_directory"]
