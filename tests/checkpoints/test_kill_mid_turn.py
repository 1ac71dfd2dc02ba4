"""A process killed with SIGKILL in the middle of a turn leaves checkpoints
that the next process rewinds correctly."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from acp_server.checkpoints import finish, listing, prepare
from acp_server.store import SessionStore

_CHILD = textwrap.dedent(
    """
    import asyncio, sys, msgspec
    from pathlib import Path
    from acp_server.checkpoints import Caps, open_turn
    from acp_server.store import SessionRecord, SessionStore
    from agent.checkpoints import RecordingFileSystem
    from agent.localhost import LocalFileSystem

    db, edited, created = sys.argv[1:4]

    async def main():
        store = SessionStore.open(Path(db))
        store.create(SessionRecord(id="s1", cwd="/w"))
        capture = open_turn(store, "s1", prompt="edit", history_len=0, title=None, caps=Caps())
        chunk = {"sessionUpdate": "user_message_chunk", "content": {"type": "text", "text": "edit"}}
        store.append_update("s1", msgspec.json.encode(chunk), 1)
        files = RecordingFileSystem(LocalFileSystem(), capture)
        await files.write_text(edited, "the agent's version")
        await files.write_text(created, "made by the agent")
        print("written", flush=True)
        await asyncio.Event().wait()  # the turn never ends: SIGKILL comes first

    asyncio.run(main())
    """
)


def _wait_for_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "the child never reported its writes"
    return process.stdout.readline().strip()


async def test_a_kill_9_during_a_turn_leaves_a_checkpoint_that_rewinds(tmp_path: Path) -> None:
    db = tmp_path / "home" / "sessions.db"
    edited, created = tmp_path / "edited.txt", tmp_path / "created.txt"
    edited.write_bytes(b"the user's original\n")
    edited.chmod(0o640)
    root = Path(__file__).parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(db), str(edited), str(created)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert _wait_for_line(child, 60) == "written"
        assert edited.read_text() == "the agent's version" and created.exists()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    store = SessionStore.open(db)
    try:
        [turn] = listing(store, "s1")
        assert sorted(turn.files) == sorted([str(edited), str(created)])
        prepared = prepare(store, "s1", 1)
        assert prepared.plan.conflicts == []
        result, _ = await finish(store, "s1", prepared, messages=[])
        assert sorted(result.restored) == sorted([str(edited), str(created)])
        assert edited.read_bytes() == b"the user's original\n"
        assert os.stat(edited).st_mode & 0o777 == 0o640
        assert not created.exists()
        assert store.updates("s1") == []  # the dead turn's replay is gone too
    finally:
        store.close()
