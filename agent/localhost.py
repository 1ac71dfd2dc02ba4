"""A host on the local machine: disk files, subprocess commands and an
automatic permission gate. The headless runner and embedding programs use it;
the ACP server falls back to it for whatever the editor does not offer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from typing import Literal

from agent.fileio import (
    edit_text,
    fs_call,
    open_regular,
    printable,
    read_regular,
    regular_size,
    too_large,
)
from agent.ports import CommandResult, FileAccessError, PermissionOutcome, PermissionRequest

MAX_READ_BYTES = 2 * 1024 * 1024
OUTPUT_TAIL_BYTES = 64 * 1024


def slice_lines(text: str, line: int | None, limit: int | None) -> str:
    if line is None and limit is None:
        return text
    lines = text.splitlines(keepends=True)
    start = max((line or 1) - 1, 0)
    end = start + limit if limit is not None else None
    return "".join(lines[start:end])


def atomic_write(path: str, content: str) -> None:
    """Temp file in the same directory, fsync, rename: never a half-written file.

    The bytes written are exactly `content` in UTF-8 (no newline translation).
    A symlink is written through, so the link stays a link; the target keeps
    its mode. Anything there that is not a regular file is refused untouched."""
    path = os.path.realpath(path)
    regular_size(path)  # NotEditable for a FIFO, a device, a directory
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    mode = None
    with contextlib.suppress(FileNotFoundError):
        mode = os.stat(path).st_mode & 0o7777
    _sweep_orphans(directory)
    # The pid in the name lets a later write recognise temp files orphaned by a kill -9.
    import tempfile  # here: not needed until the first write

    fd, temp = tempfile.mkstemp(prefix=f".acp-{os.getpid()}-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable (best effort: not every file system can)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sweep_orphans(directory: str) -> None:
    """Remove temp files left by a writer process that no longer exists."""
    try:
        names = [n for n in os.listdir(directory) if n.startswith(".acp-") and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        pid = name.split("-")[1]
        if pid.isdigit() and int(pid) != os.getpid() and not os.path.exists(f"/proc/{pid}"):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))


def _read_lines(path: str, line: int | None, limit: int | None, max_bytes: int) -> str:
    """Lines `line`.. of a regular file, however far in, at most `max_bytes` of them."""
    start, kept = max((line or 1) - 1, 0), 0
    out: list[bytes] = []
    with os.fdopen(open_regular(path), "rb") as handle:
        for number, raw in enumerate(handle):
            if number < start:
                continue
            if (limit is not None and len(out) >= limit) or kept + len(raw) > max_bytes:
                break
            out.append(raw)
            kept += len(raw)
    return b"".join(out).decode("utf-8", "replace")


class LocalFileSystem:
    """Local disk. Every call runs off the event loop with a timeout."""

    def __init__(self, max_read_bytes: int = MAX_READ_BYTES) -> None:
        self.max_read_bytes = max_read_bytes

    async def read_text(
        self, path: str, *, line: int | None = None, limit: int | None = None
    ) -> str:
        if line is not None or limit is not None:
            return await fs_call(
                _read_lines, path, line, limit, self.max_read_bytes, what="read", path=path
            )
        data, size = await fs_call(read_regular, path, self.max_read_bytes, what="read", path=path)
        if len(data) <= self.max_read_bytes:
            return data.decode("utf-8", "replace")
        # Cut at a character boundary, so the cut shows no replacement character.
        text = data[: self.max_read_bytes].decode("utf-8", "ignore")
        return text + (
            f"\n[file truncated: shown {self.max_read_bytes:,} of {size:,} bytes; "
            "read on with `line` and `limit`]"
        )

    async def read_whole(self, path: str, *, max_bytes: int) -> str:
        data, size = await fs_call(read_regular, path, max_bytes, what="read", path=path)
        if len(data) > max_bytes:
            raise too_large(path, max(size, len(data)), max_bytes)
        return edit_text(data, path)

    async def write_text(self, path: str, content: str) -> None:
        try:
            await fs_call(atomic_write, path, content, what="write", path=path)
        except OSError as error:
            raise FileAccessError(f"cannot write {printable(path)}: {error.strerror}") from None


# The shell registers its own process group with the reaper before the command
# runs (see agent/reaper.py), then becomes the command's shell: same pid, same
# `/bin/sh -c COMMAND`, stdin back to /dev/null. Its stdin is the lifeline.
_REGISTERED = 'echo "+$$" >&0 && exec /bin/sh -c "$1" </dev/null'


class LocalCommandRunner:
    """`/bin/sh -c` in its own process group; a timeout or cancel kills the group,
    and the reaper kills it if the agent dies first."""

    def __init__(self, tail_bytes: int = OUTPUT_TAIL_BYTES) -> None:
        self.tail_bytes = tail_bytes

    async def run(
        self,
        command: str,
        *,
        cwd: str,
        timeout: float,
        on_terminal: Callable[[str], None] | None = None,
    ) -> CommandResult:
        from agent.reaper import lifeline

        watch = lifeline().fd()
        argv = ("-c", _REGISTERED, "sh", command) if watch is not None else ("-c", command)
        spawn = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                "/bin/sh",
                *argv,
                cwd=cwd,
                stdin=watch if watch is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        )
        try:
            process = await asyncio.shield(spawn)
        except asyncio.CancelledError:
            # The shell may already run while the pipes are still being wired up.
            with contextlib.suppress(Exception):
                started = await spawn
                await asyncio.shield(_kill_group(started))
                if started.returncode is not None:
                    lifeline().release(started.pid)
            raise
        tail = bytearray()
        truncated = False

        async def collect() -> None:
            nonlocal truncated
            assert process.stdout is not None
            while chunk := await process.stdout.read(65536):
                tail.extend(chunk)
                if len(tail) > self.tail_bytes:
                    del tail[: len(tail) - self.tail_bytes]
                    truncated = True
            await process.wait()

        timed_out = False
        try:
            await asyncio.wait_for(collect(), timeout)
        except TimeoutError:
            timed_out = True
            await _kill_group(process)
        except asyncio.CancelledError:
            await asyncio.shield(_kill_group(process))
            raise
        finally:
            if process.returncode is not None:  # reaped: its pid may be reused from now on
                lifeline().release(process.pid)
        code = process.returncode
        sig = signal.Signals(-code).name if code is not None and code < 0 else None
        return CommandResult(
            None if timed_out or sig else code,
            tail.decode("utf-8", "replace"),
            truncated=truncated,
            timed_out=timed_out,
            signal=sig,
        )


async def _kill_group(process: asyncio.subprocess.Process) -> None:
    """SIGTERM the group, give the shell a second, then SIGKILL whatever is left:
    a child caught mid-fork can miss the SIGTERM and would otherwise outlive us."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), 1.0)
    # The group id stays reserved while any member lives, so this cannot hit a stranger.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), 1.0)


class AutoPermissionGate:
    """Answers every permission request the same way (headless runs, embedding)."""

    def __init__(self, policy: Literal["approve", "deny"] = "deny") -> None:
        self.policy = policy
        self.requests: list[PermissionRequest] = []

    async def request(self, request: PermissionRequest) -> PermissionOutcome:
        self.requests.append(request)
        return "allow_once" if self.policy == "approve" else "reject_once"
