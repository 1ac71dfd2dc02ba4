"""Rewinds against the real acp-server process: after a restart, and after a
SIGKILL in the middle of a turn, in both file system modes."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import sys
from pathlib import Path

import pytest

from editor_clients.client import ClientConnection
from editor_clients.client.connection import ClientCapabilities
from editor_clients.client.handlers import PermissionPolicy

ACP_SERVER = str(Path(sys.executable).with_name("acp-server"))
FS_MODES = [pytest.param(True, id="editor-fs"), pytest.param(False, id="local-fs")]


async def _spawn(home: Path, cwd: Path, fs: bool) -> ClientConnection:
    client = await ClientConnection.spawn(
        [ACP_SERVER, "--model", "scripted", "--mode", "yolo"],
        cwd=str(cwd),
        env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home)},
        capabilities=ClientCapabilities(fs_read=fs, fs_write=fs, terminal=False),
        permissions=PermissionPolicy("approve"),
    )
    await client.initialize()
    return client


def _said(client: ClientConnection, session: str) -> str:
    return "".join(
        u["content"]["text"]
        for u in client.sessions[session].updates
        if u["sessionUpdate"] == "agent_message_chunk"
    )


@pytest.mark.parametrize("fs", FS_MODES)
async def test_rewind_after_a_restart_in_a_new_process(tmp_path: Path, fs: bool) -> None:
    home, notes = tmp_path / "home", tmp_path / "notes.txt"
    notes.write_text("zero")
    first = await _spawn(home, tmp_path, fs)
    try:
        session = str((await first.new_session())["sessionId"])
        await first.prompt(session, "write notes.txt one", timeout=30)
        await first.prompt(session, "write notes.txt two\nwrite extra.txt new", timeout=30)
    finally:
        await first.close()
    second = await _spawn(home, tmp_path, fs)
    try:
        await second.load_session(session)
        await second.prompt(session, "/rewind 2", timeout=30)
        assert notes.read_text() == "one" and not (tmp_path / "extra.txt").exists()
        second.sessions[session].updates.clear()
        await second.prompt(session, "recall", timeout=30)
        assert _said(second, session) == "recalled: write notes.txt one"
    finally:
        await second.close()


@pytest.mark.parametrize("fs", FS_MODES)
async def test_a_kill_9_during_a_turn_leaves_a_checkpoint_that_undo_restores(
    tmp_path: Path, fs: bool
) -> None:
    home = tmp_path / "home"
    kept, made = tmp_path / "kept.sh", tmp_path / "made.txt"
    kept.write_bytes(b"#!/bin/sh\necho original\n")
    kept.chmod(0o755)
    first = await _spawn(home, tmp_path, fs)
    try:
        session = str((await first.new_session())["sessionId"])
        prompt = first.prompt(session, "write kept.sh changed\nwrite made.txt new\nwait 120")
        turn = asyncio.ensure_future(prompt)

        def both_written() -> bool:
            done = [
                u
                for u in first.sessions[session].updates
                if u.get("sessionUpdate") == "tool_call_update" and u.get("status") == "completed"
            ]
            return len(done) >= 2

        await first.wait_for(both_written, timeout=60)
        assert first.process is not None
        os.kill(first.process.pid, signal.SIGKILL)
        with pytest.raises(ConnectionError):  # the connection dies with the process
            await asyncio.wait_for(turn, 30)
    finally:
        await first.close()
    assert made.exists() and kept.read_text() == "changed"
    second = await _spawn(home, tmp_path, fs)
    try:
        await second.load_session(session)
        await second.prompt(session, "/undo", timeout=30)
    finally:
        await second.close()
    assert kept.read_bytes() == b"#!/bin/sh\necho original\n"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o755
    assert not made.exists()
