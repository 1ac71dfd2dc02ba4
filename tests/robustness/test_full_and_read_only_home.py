"""A full disk or a read-only home never takes the real `acp-server` down.

Both are real mounts (a 256 KiB tmpfs; a read-only bind mount), because root
passes every permission check a chmod would set up. Without the privilege to
mount, the tests skip and say why.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.test_stdio_process import spawn

INTERNAL_ERROR = -32603
PARSE_ERROR = -32700


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip() or done.returncode}): needs root")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "disk"
    where.mkdir()
    _mount("-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(where))
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def read_only_home(tmp_path: Path) -> Iterator[Path]:
    source = tmp_path / "source"
    (source / "logs").mkdir(parents=True, mode=0o700)  # as an earlier, writable run left it
    source.chmod(0o700)
    home = tmp_path / "home"
    home.mkdir()
    _mount("--bind", str(source), str(home))
    try:
        _mount("-o", "remount,ro,bind", str(home))
        yield home
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)


def _fill(disk: Path) -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # ENOSPC: full
    finally:
        os.close(fd)


async def test_a_read_only_home_still_answers_initialize_and_explains_itself(
    read_only_home: Path, tmp_path: Path
) -> None:
    proc = await spawn(read_only_home, "--log-level", "INFO")
    initialized = await proc.call("initialize", {"protocolVersion": 1})
    first = await proc.call("session/new", {"cwd": str(tmp_path), "mcpServers": []})
    second = await proc.call("session/new", {"cwd": str(tmp_path), "mcpServers": []})
    _, err, code = await proc.finish()
    assert initialized["result"]["protocolVersion"] == 1
    for reply in (first, second):  # the process lived on to answer the second
        assert reply["error"]["code"] == INTERNAL_ERROR
        assert reply["error"]["data"] == {"home": str(read_only_home)}
    assert code == 0
    assert err.count(str(read_only_home).encode()) == 1  # told once on stderr, no traceback
    assert b"Traceback" not in err


async def test_a_full_home_disk_at_start_fails_the_session_with_a_clear_error(
    small_disk: Path, tmp_path: Path
) -> None:
    home = small_disk / "home"
    home.mkdir(mode=0o700)
    _fill(small_disk)
    proc = await (await spawn(home, "--log-level", "INFO")).started()
    reply = await proc.call("session/new", {"cwd": str(tmp_path), "mcpServers": []})
    _, err, code = await proc.finish()
    assert reply["error"]["code"] == INTERNAL_ERROR
    assert reply["error"]["data"] == {"home": str(home)}
    assert code == 0 and b"Traceback" not in err


async def test_a_disk_that_fills_during_a_session_drops_log_records_and_keeps_serving(
    small_disk: Path, tmp_path: Path
) -> None:
    home = small_disk / "home"
    # The file log at INFO, stderr at its default: errors only.
    proc = await (await spawn(home, env={"ACP_SERVER_LOG_LEVEL": "INFO"})).started()
    session = (await proc.new_session(tmp_path))["sessionId"]
    _fill(small_disk)
    replies = []
    for _ in range(20):  # each invalid frame is answered and logged at INFO
        assert proc.process.stdin
        proc.process.stdin.write(b"not json\n")
        while "method" in (frame := await proc.frame()):
            pass  # the session's own updates
        replies.append(frame)
    listed = await proc.call("session/list", {})
    _, err, code = await proc.finish()
    assert [r["error"]["code"] for r in replies] == [PARSE_ERROR] * 20
    assert "result" in listed or "error" in listed  # answered: the process is alive
    assert session
    assert code == 0
    assert err.count(b"cannot write the log file") == 1
    assert b"Logging error" not in err
