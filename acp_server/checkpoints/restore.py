"""Carrying out a `RestorePlan`, byte for byte.

Files to delete are unlinked. Files to restore get exactly the stored bytes
and mode bits back: through `writer` (the editor's `fs/write_text_file`, so its
buffers and review see the change) when one is given and the content is UTF-8
text, else by an atomic local write (temp file in the same directory, fsync,
rename, fsync of the directory). Text the editor wrote is checked against the
stored hash on disk; a mismatch (an editor that rewrites line endings, or
does not save) is corrected by a local write, so the result is exact either way.

`read_current` is the disk reader the planner uses; both are blocking helpers
for a thread, except `execute`, which is async because `writer` is.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Awaitable, Callable, Collection

import msgspec

from acp_server.checkpoints.plan import Current, PlannedFile, RestorePlan
from acp_server.store.blobs import BlobStore, digest, sync_directory
from agent.fileio import off_loop

TextWriter = Callable[[str, str], Awaitable[None]]


class RewindResult(msgspec.Struct, frozen=True):
    restored: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()  # (path, why)


def read_current(path: str) -> Current:
    """A path's bytes and mode now; absent for nothing there (or not a file)."""
    try:
        with open(path, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return Current(None)
            return Current(handle.read(), stat.S_IMODE(os.fstat(handle.fileno()).st_mode))
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return Current(None)


def write_atomic(path: str, data: bytes, mode: int | None) -> None:
    """`data` at `path` with `mode`, never half written; through a symlink."""
    path = os.path.realpath(path)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".acp-{os.getpid()}-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode if mode is not None else 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    sync_directory(directory)


def _delete(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    sync_directory(os.path.dirname(path) or ".")


async def execute(
    plan: RestorePlan,
    blobs: BlobStore,
    *,
    skip: Collection[str] = (),
    writer: TextWriter | None = None,
) -> RewindResult:
    """Restore every file of the plan that has work, except those in `skip`."""
    restored: list[str] = []
    failed: list[tuple[str, str]] = []
    for item in plan.work:
        if item.path in skip:
            continue
        try:
            await _restore_one(item, blobs, writer)
        except (OSError, ValueError) as error:
            failed.append((item.path, getattr(error, "strerror", None) or str(error)))
        else:
            restored.append(item.path)
    conflicts = tuple(f.path for f in plan.conflicts)
    return RewindResult(
        tuple(restored), tuple(p for p in conflicts if p in skip), conflicts, tuple(failed)
    )


async def _restore_one(item: PlannedFile, blobs: BlobStore, writer: TextWriter | None) -> None:
    if item.action == "delete" or item.target_blob is None:
        await off_loop(_delete, item.path)
        return
    data = await off_loop(blobs.get, item.target_blob)
    text = _text(data)
    if writer is not None and text is not None:
        await writer(item.path, text)
        if await off_loop(_exact, item.path, data, item.target_mode):
            return
    await off_loop(write_atomic, item.path, data, item.target_mode)


def _exact(path: str, data: bytes, mode: int | None) -> bool:
    """Whether `path` holds `data`; its mode is set to `mode` when it does."""
    now = read_current(path)
    if now.data is None or digest(now.data) != digest(data):
        return False
    if mode is not None and now.mode != mode:
        os.chmod(path, mode)
    return True


def _text(data: bytes) -> str | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


__all__ = ["RewindResult", "TextWriter", "execute", "read_current", "write_atomic"]
