"""A console script under a real pseudo-terminal, read through a VT emulator.

`TerminalSession` forks the command on a pty (so it is the controlling
terminal: Ctrl-C sent as a byte becomes SIGINT, as at a keyboard), feeds
everything it prints to a `pyte` screen with scrollback, and lets a test wait
for text with a bounded timeout. `transcript()` is what a person would see in
the window and its scrollback, which is how "printed once" is checked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import signal
import struct
import termios
import threading
import time
from collections.abc import Sequence

import pyte

ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][0-9A-B]|[=>78])|\x07")


class TerminalSession:
    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        cwd: str,
        rows: int = 30,
        cols: int = 100,
    ) -> None:
        self.rows, self.cols = rows, cols
        self.screen = pyte.HistoryScreen(cols, rows, history=100_000)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: exec at once, nothing else
            os.chdir(cwd)
            os.execve(argv[0], list(argv), {"TERM": "xterm-256color", **env})
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.exit_status: int | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                chunk = b""
            with self._changed:
                if not chunk:
                    self._changed.notify_all()
                    return
                self.raw.extend(chunk)
                self.stream.feed(chunk)
                self._changed.notify_all()

    # ------------------------------------------------------------- queries

    def plain(self) -> str:
        """Everything printed so far, control sequences removed."""
        with self._lock:
            return ANSI.sub("", self.raw.decode("utf-8", "replace")).replace("\r", "")

    def transcript(self) -> str:
        """The scrollback and the window, as a person would read them."""
        with self._lock:
            lines = [
                "".join(line[x].data for x in range(self.cols)).rstrip()
                for line in self.screen.history.top
            ]
            lines += [line.rstrip() for line in self.screen.display]
        return "\n".join(lines)

    def expect(self, pattern: str, timeout: float = 20, after: int = 0) -> int:
        """Wait until `pattern` (a regex) appears in plain() past offset `after`;
        return the offset just past the match."""
        compiled = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self.plain()
            match = compiled.search(text, after)
            if match:
                return match.end()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._reader.is_alive():
                raise AssertionError(f"{pattern!r} not seen; output was:\n{text[-3000:]}")
            with self._changed:
                self._changed.wait(min(remaining, 0.5))

    # ------------------------------------------------------------- actions

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def wait(self, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exit_status = os.waitstatus_to_exitcode(status)
                self._reader.join(5)
                return self.exit_status
            with self._changed:
                self._changed.wait(0.1)
        raise AssertionError(f"still running after {timeout}s; output:\n{self.plain()[-3000:]}")

    def close(self) -> None:
        if self.exit_status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.fd)
