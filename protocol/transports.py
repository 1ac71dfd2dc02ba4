"""Byte-stream transports for `Endpoint`: in-memory pipes, this process's stdio,
and a spawned child process.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import stat
import sys
from collections.abc import Mapping, Sequence

_STREAM_LIMIT = 1 << 30
_PIPE_READ_BYTES = 64 * 1024


class MemoryWriter:
    """Writes straight into the peer's StreamReader; `close` is the peer's EOF."""

    def __init__(self, peer: asyncio.StreamReader) -> None:
        self._peer = peer
        self._closed = False

    def write(self, data: bytes) -> None:
        if self._closed:
            raise ConnectionError("memory pipe closed")
        self._peer.feed_data(data)

    async def drain(self) -> None:
        await asyncio.sleep(0)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._peer.feed_eof()


def memory_pipe() -> tuple[
    tuple[asyncio.StreamReader, MemoryWriter], tuple[asyncio.StreamReader, MemoryWriter]
]:
    """Two joined ends: what one end writes, the other reads."""
    a_in = asyncio.StreamReader(limit=_STREAM_LIMIT)
    b_in = asyncio.StreamReader(limit=_STREAM_LIMIT)
    return (a_in, MemoryWriter(b_in)), (b_in, MemoryWriter(a_in))


class _FdWriter:
    """Blocking writes to a file descriptor (stdout redirected to a regular file)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


class _FdReader:
    """Reads a non-pipe file descriptor (stdin from a regular file) off the loop."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    async def read(self, n: int = -1) -> bytes:
        size = n if n > 0 else 1 << 16
        return await asyncio.get_running_loop().run_in_executor(None, os.read, self._fd, size)


def _pipe_like(fd: int) -> bool:
    """Pipes, sockets and terminals can use asyncio's pipe transports; regular
    files (`< input.ndjson`, `> trace.ndjson`) cannot, and neither can a
    character device that is not a terminal: epoll refuses `/dev/null` with
    EPERM, so `acp-server < /dev/null` used to hang after a traceback."""
    mode = os.fstat(fd).st_mode
    if stat.S_ISCHR(mode):
        return os.isatty(fd)
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


async def open_stdio(*, guard_stdout: bool = True) -> tuple[object, object]:
    """Wrap fd 0/1 for the protocol.

    With `guard_stdout`, the protocol gets a private duplicate of fd 1 and fd 1
    itself is pointed at stderr, so a stray print or a chatty C library can
    never corrupt the frame stream.
    """
    loop = asyncio.get_running_loop()
    out_fd = 1
    if guard_stdout:
        out_fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
    reader: object
    if _pipe_like(0):
        stream = asyncio.StreamReader(limit=_STREAM_LIMIT)
        pipe, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(stream), os.fdopen(0, "rb", 0)
        )
        if hasattr(pipe, "max_size"):
            # asyncio reads pipes 256 KiB at a time: a buffer above malloc's
            # mmap threshold, so every read of a small frame cost an mmap, an
            # mremap and a munmap (strace). 64 KiB buffers come from the heap.
            pipe.max_size = _PIPE_READ_BYTES
        reader = stream
    else:
        reader = _FdReader(0)
    writer: object
    if _pipe_like(out_fd):
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(out_fd, "wb", 0)
        )
        writer = asyncio.StreamWriter(transport, protocol, None, loop)
    else:
        writer = _FdWriter(out_fd)
    return reader, writer


class SpawnedProcess:
    """A child speaking the protocol on its stdio; stderr is kept as a bounded tail."""

    def __init__(self, process: asyncio.subprocess.Process, tail_lines: int) -> None:
        self.process = process
        assert process.stdout is not None and process.stdin is not None
        self.reader: asyncio.StreamReader = process.stdout
        self.writer: asyncio.StreamWriter = process.stdin
        self._tail: collections.deque[str] = collections.deque(maxlen=tail_lines)
        self._stderr_task = asyncio.create_task(self._collect_stderr())

    @property
    def pid(self) -> int:
        return self.process.pid

    async def _collect_stderr(self) -> None:
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self._tail.append(line.decode("utf-8", "replace").rstrip("\n"))

    def stderr_tail(self) -> str:
        return "\n".join(self._tail)

    async def aclose(self, grace: float = 2.0) -> int | None:
        """Close stdin, give the child `grace` seconds, then kill its process group."""
        with contextlib.suppress(OSError, RuntimeError):
            self.writer.close()
        try:
            await asyncio.wait_for(self.process.wait(), grace)
        except TimeoutError:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, sig)
                try:
                    await asyncio.wait_for(self.process.wait(), 1.0)
                    break
                except TimeoutError:
                    continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stderr_task, 1.0)
        return self.process.returncode


async def spawn_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    tail_lines: int = 200,
) -> SpawnedProcess:
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        limit=_STREAM_LIMIT,
        start_new_session=True,  # its own process group, so aclose can kill the tree
    )
    return SpawnedProcess(process, tail_lines)
