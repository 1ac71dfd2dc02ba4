"""The capture port: the host records a file's state before the agent changes it.

Every change the file tools make goes through the host's `FileSystem.write_text`,
whichever file system backs it (local disk or the editor's `fs/write_text_file`).
`RecordingFileSystem` wraps that port and awaits `WriteRecorder.before_write`
before each write is handed on, so a host that keeps checkpoints sees every
change first, in both file system modes, without the tools knowing.

The recorder's obligations:
- `before_write(path, content)` returns only once the previous state of `path`
  (its bytes and mode, or that it did not exist) is durable, so that a process
  killed during the write still leaves what is needed to undo it. `content` is
  what is about to be written, so the recorder can later tell the agent's
  bytes from a user's edit.
- It may be called several times for one path in one turn; only the first
  call of a turn needs to keep the previous state.
- Raising `FileAccessError` refuses the write: nothing is written, and the
  tool reports the message. A recorder that cannot keep a checkpoint must say
  so rather than let an unrecoverable change through silently.

Reads pass straight through: only changes are recorded.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from agent.ports import FileSystem


@runtime_checkable
class WriteRecorder(Protocol):
    async def before_write(self, path: str, content: str) -> None:
        """Keep `path`'s present state durably; `content` is about to replace it."""
        ...


class RecordingFileSystem:
    """A `FileSystem` that tells `recorder` about each write before doing it."""

    def __init__(self, inner: FileSystem, recorder: WriteRecorder) -> None:
        self.inner = inner
        self.recorder = recorder

    async def read_text(
        self, path: str, *, line: int | None = None, limit: int | None = None
    ) -> str:
        return await self.inner.read_text(path, line=line, limit=limit)

    async def read_whole(self, path: str, *, max_bytes: int) -> str:
        return await self.inner.read_whole(path, max_bytes=max_bytes)

    async def write_text(self, path: str, content: str) -> None:
        await self.recorder.before_write(path, content)
        await self.inner.write_text(path, content)


__all__ = ["RecordingFileSystem", "WriteRecorder"]
