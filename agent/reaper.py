"""Nothing the agent starts outlives it, however the agent ends.

Editors end agents with stdin EOF, SIGTERM, SIGKILL, or SIGKILL of the whole
process group. Commands and MCP servers run in sessions of their own (so a
timeout can kill a command's whole group), which a group kill never reaches,
and a SIGKILLed agent runs no cleanup. So a small watchdog, the reaper, does
it from outside.

Theory of operation:

- The agent process holds the write end of a pipe, the lifeline. The reaper
  reads the other end. It runs in a session of its own, so a kill of the
  agent's group does not reach it, and it is not the agent's child (the shell
  that starts it exits at once), so it never counts as one.
- Each command's shell, and each MCP stdio server's wrapper, writes `+PID`
  into the lifeline *before* it runs anything. PID leads a process group of its
  own. The child writes through an inherited write end, so the lifeline cannot
  reach EOF between its start and its registration: no agent death leaves a
  started command unregistered.
- The agent writes `-PID` once it has reaped a command.
- At EOF (the agent exited, crashed or was killed, alone or with its group),
  the reaper sends SIGTERM to every registered group, gives them
  `GRACE_SECONDS`, SIGKILLs whatever is left and exits.
- A PID number cannot be reused while its process group still has members. So
  a group is killed if its leader is gone, or if the leader is still the
  process that registered (its start time in /proc). A group whose id now
  belongs to a stranger is left alone.
- Lines are under PIPE_BUF bytes, so writes from many processes never
  interleave.

Without /proc (macOS, the BSDs), the start-time check is skipped and MCP
servers are not registered (their wrapper opens the lifeline through /proc);
commands are covered everywhere.

Run as a script (`python -I -S reaper.py`), this file is the reaper. It
imports only the standard library.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

GRACE_SECONDS = 1.0
_POLL_SECONDS = 0.02


# ------------------------------------------------------------ the agent's side


class Lifeline:
    """This process's end of the lifeline; the reaper starts on first use."""

    def __init__(self) -> None:
        self._fd: int | None = None
        self._lock = threading.Lock()

    def fd(self) -> int | None:
        """The write end, for a child to register through; None if no reaper
        could be started (then children run as they did before: unwatched)."""
        with self._lock:
            if self._fd is not None and not _reader_alive(self._fd):
                os.close(self._fd)  # the reaper died (killed by hand?): start another
                self._fd = None
            if self._fd is None:
                self._fd = _start_reaper()
            return self._fd

    def proc_path(self) -> str | None:
        """A path a wrapper can open to reach the lifeline (Linux /proc), or None."""
        fd = self.fd()
        path = f"/proc/{os.getpid()}/fd/{fd}"
        return path if fd is not None and os.path.exists(path) else None

    def release(self, pid: int) -> None:
        """`pid` was reaped: the reaper forgets it."""
        with self._lock:
            if self._fd is None:
                return
            try:
                os.write(self._fd, f"-{pid}\n".encode())
            except OSError:
                os.close(self._fd)
                self._fd = None


_lifeline = Lifeline()


def lifeline() -> Lifeline:
    return _lifeline


# Started by a shell that exits at once: the reaper is nobody's child but
# init's. Its stdin is the pipe: a background job's stdin would otherwise be
# /dev/null, hence fd 3 in between.
_LAUNCH = 'exec 3<&0; "$0" -I -S "$1" <&3 3<&- & exit 0'


def _start_reaper() -> int | None:
    import subprocess

    read_end, write_end = os.pipe()
    try:
        subprocess.run(
            ["/bin/sh", "-c", _LAUNCH, sys.executable, os.path.abspath(__file__)],
            stdin=read_end,
            stdout=subprocess.DEVNULL,
            # Not the agent's stderr: an editor may wait for that pipe to close.
            stderr=subprocess.DEVNULL,
            cwd="/",
            start_new_session=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        os.close(write_end)
        return None
    finally:
        os.close(read_end)
    return write_end


def _reader_alive(fd: int) -> bool:
    import select

    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return not any(events & select.POLLERR for _, events in poller.poll(0))


# ------------------------------------------------------------ the reaper


def _start_time(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat, or None where there is no /proc (or no PID)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    return stat.rsplit(b")", 1)[1].split()[19].decode()


def _still_ours(pgid: int, started: str | None) -> bool:
    now = _start_time(pgid)
    return now is None or started is None or now == started


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_all(groups: list[int], sig: signal.Signals) -> None:
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)


def kill_groups(groups: dict[int, str | None]) -> None:
    """SIGTERM each group still ours, wait up to GRACE_SECONDS, then SIGKILL."""
    targets = [pgid for pgid, started in groups.items() if _still_ours(pgid, started)]
    _signal_all(targets, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while (targets := [g for g in targets if _alive(g)]) and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
    _signal_all(targets, signal.SIGKILL)


def _prune(groups: dict[int, str | None]) -> None:
    """Forget MCP servers that ended long ago: they never say `-PID`."""
    for pgid in [g for g in groups if not _alive(g)]:
        del groups[pgid]


def serve(read_fd: int) -> None:
    groups: dict[int, str | None] = {}
    pending = b""
    while chunk := os.read(read_fd, 4096):
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            if not line[1:].isdigit():
                continue
            pid = int(line[1:])
            if line.startswith(b"+"):
                if len(groups) >= 64:
                    _prune(groups)
                groups[pid] = _start_time(pid)
            elif line.startswith(b"-"):
                groups.pop(pid, None)
    kill_groups(groups)


if __name__ == "__main__":
    for name in ("SIGHUP", "SIGINT"):  # a closing terminal is not the agent ending
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    serve(0)
