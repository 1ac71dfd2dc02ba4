"""File system primitives that never stall the event loop or lose a byte.

- `off_loop(fn, *args, timeout=...)` runs a blocking call in a daemon thread
  and waits at most `timeout` seconds. A call stuck in the kernel (a hung
  mount) costs one idle thread: never the loop, and never the process's exit
  (the default executor's threads are joined at exit; these are not).
- Only regular files are read. `read_regular` looks with `stat` first (which
  never blocks on a FIFO) and opens with O_NONBLOCK, then checks again on the
  open descriptor, so a FIFO, a device, a socket or a terminal (the agent's
  own stdin among them) is refused with `NotEditable` before a byte is read.
- `edit_text` decodes bytes that are going to be changed and written back, or
  says why not: binary (NUL bytes) or not UTF-8. A lossy decode would rewrite
  every undecodable byte as U+FFFD.
- `printable` turns a name from the OS, whose undecodable bytes arrive as
  surrogate escapes, into text that can be encoded (U+FFFD for each such byte);
  a surrogate in a tool result would make every later frame and store write
  of the session fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import stat
import threading
from collections.abc import Callable
from typing import TypeVar

from agent.ports import FileAccessError, NotEditable

T = TypeVar("T")

#: Seconds one file system call may take before the tool gets an error.
FS_TIMEOUT = 30.0
_SURROGATE = re.compile("[\ud800-\udfff]")
_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


async def off_loop(fn: Callable[..., T], *args: object, timeout: float = FS_TIMEOUT) -> T:
    """`fn(*args)` in a daemon thread; TimeoutError after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return  # timed out or cancelled meanwhile
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        try:
            outcome: tuple[T | None, BaseException | None] = (fn(*args), None)
        except BaseException as error:  # handed to the awaiting task, raised there
            outcome = (None, error)
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=work, name="acp-fs", daemon=True).start()
    return await asyncio.wait_for(future, timeout)


async def fs_call(
    fn: Callable[..., T], *args: object, what: str, path: str, timeout: float = FS_TIMEOUT
) -> T:
    """`off_loop` whose timeout is a FileAccessError naming the path."""
    try:
        return await off_loop(fn, *args, timeout=timeout)
    except TimeoutError:
        raise FileAccessError(
            f"cannot {what} {printable(path)}: the file system did not answer in {timeout:g} s"
        ) from None


def kind_of(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def regular_size(path: str) -> int | None:
    """The size of a regular file, None when nothing is there; NotEditable for
    anything else. Blocking: call it off the loop."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise FileAccessError(f"cannot read {printable(path)}: {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise NotEditable(
            f"{printable(path)} is {kind_of(info.st_mode)}; only regular files are read or written"
        )
    return info.st_size


def open_regular(path: str) -> int:
    """A read descriptor on a regular file, never waiting on open. Blocking
    otherwise (a slow disk): call it off the loop."""
    if regular_size(path) is None:
        raise FileAccessError(f"{printable(path)} does not exist")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise FileAccessError(f"{printable(path)} does not exist") from None
    except OSError as error:
        raise FileAccessError(f"cannot read {printable(path)}: {error.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):  # swapped for something else since the stat
        os.close(fd)
        raise NotEditable(f"{printable(path)} is {kind_of(mode)}; only regular files are read")
    return fd


def read_regular(path: str, max_bytes: int) -> tuple[bytes, int]:
    """At most `max_bytes + 1` bytes of a regular file, and its size."""
    fd = open_regular(path)
    try:
        size = os.fstat(fd).st_size
        chunks, wanted = [], max_bytes + 1
        while wanted > 0 and (chunk := os.read(fd, min(wanted, 1 << 20))):
            chunks.append(chunk)
            wanted -= len(chunk)
        return b"".join(chunks), size
    except OSError as error:
        raise FileAccessError(f"cannot read {printable(path)}: {error.strerror}") from None
    finally:
        os.close(fd)


def too_large(path: str, size: int, max_bytes: int) -> NotEditable:
    return NotEditable(
        f"{printable(path)} is {size:,} bytes, over the {max_bytes:,}-byte limit for edits "
        "(agent.max_edit_bytes); it is changed only as a whole file, never cut: "
        "raise the limit, or change it with a command"
    )


def edit_text(data: bytes, path: str) -> str:
    """The text of a file that is about to be changed, decoded without loss."""
    if b"\0" in data:
        raise NotEditable(
            f"{printable(path)} looks binary (it holds NUL bytes); it is not edited as text"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotEditable(
            f"{printable(path)} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
            f"{error.start}); it is not edited, so that none of its bytes is rewritten"
        ) from None


def printable(name: str) -> str:
    """`name` with each surrogate (an undecodable byte, or a lone half of a pair) as U+FFFD."""
    return _SURROGATE.sub("\ufffd", name) if _SURROGATE.search(name) else name


__all__ = [
    "FS_TIMEOUT",
    "edit_text",
    "fs_call",
    "kind_of",
    "off_loop",
    "open_regular",
    "printable",
    "read_regular",
    "regular_size",
    "too_large",
]
