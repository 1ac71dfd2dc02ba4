"""The reaper kills what was registered and still is ours, and nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from agent import reaper

REAPER = reaper.__file__


@pytest.fixture
def group() -> Iterator[subprocess.Popen[bytes]]:
    """A process leading a group of its own, as every command's shell does."""
    process = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def _ended(process: subprocess.Popen[bytes], timeout: float) -> bool:
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def test_a_group_whose_leader_is_another_process_now_is_left_alone(
    group: subprocess.Popen[bytes],
) -> None:
    reaper.kill_groups({group.pid: "1"})  # registered by a process that started at tick 1
    assert group.poll() is None
    reaper.kill_groups({group.pid: reaper._start_time(group.pid)})
    assert _ended(group, 5) and group.returncode == -signal.SIGTERM


def _run_reaper() -> tuple[subprocess.Popen[bytes], int]:
    read_end, write_end = os.pipe()
    process = subprocess.Popen([sys.executable, "-I", "-S", REAPER], stdin=read_end)
    os.close(read_end)
    return process, write_end


def test_the_reaper_kills_a_registered_group_when_the_lifeline_closes(
    group: subprocess.Popen[bytes],
) -> None:
    watcher, lifeline = _run_reaper()
    os.write(lifeline, f"+{group.pid}\n".encode())
    began = time.monotonic()
    os.close(lifeline)
    assert _ended(group, 5) and time.monotonic() - began < 2
    assert _ended(watcher, 5) and watcher.returncode == 0


def test_a_released_group_is_not_killed(group: subprocess.Popen[bytes]) -> None:
    watcher, lifeline = _run_reaper()
    os.write(lifeline, f"+{group.pid}\nnoise\n-{group.pid}\n".encode())
    os.close(lifeline)
    assert _ended(watcher, 5)
    assert group.poll() is None


def test_a_dead_reaper_is_replaced_before_the_next_command() -> None:
    line = reaper.Lifeline()
    first = line.fd()
    assert first is not None
    os.write(first, b"+1\n-1\n")
    pid = _reader_of(first)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while reaper._reader_alive(first) and time.monotonic() < deadline:
        time.sleep(0.01)  # the kernel closes the dead reaper's end on its own schedule
    second = line.fd()
    assert second is not None and reaper._reader_alive(second)
    os.close(second)


def _reader_of(fd: int) -> int:
    """The pid of the process reading the pipe whose write end is `fd`."""
    target = os.readlink(f"/proc/self/fd/{fd}")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                if os.readlink(f"/proc/{entry}/fd/0") == target and int(entry) != os.getpid():
                    return int(entry)
            except OSError:
                continue
        time.sleep(0.01)  # the reaper is still starting
    raise AssertionError("no reaper reads the lifeline")
