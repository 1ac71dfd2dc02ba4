"""`session/load` streams a long history from the store instead of holding it.

Through the real `acp-server` process: a session with 20,000 stored updates
(about 9 MB, and the same answer again in the model history) is loaded by a
fresh process, whose resident memory must grow by less than 1.5x what is
stored. Replayed frames used to pile up in the outgoing queue, whose bound
counts batches rather than bytes, when the editor read more slowly than the
server replayed: about 1.9x.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

ACP_SERVER = str(Path(sys.executable).with_name("acp-server"))
CHUNKS, SIZE = 20_000, 400


class Agent:
    """A real server process and just enough of the protocol to drive it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.ids = 0

    @classmethod
    async def start(cls, home: Path) -> Agent:
        process = await asyncio.create_subprocess_exec(
            ACP_SERVER,
            "--model",
            "scripted",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home)},
            limit=1 << 24,
        )
        agent = cls(process)
        await agent.call("initialize", {"protocolVersion": 1})
        return agent

    async def call(self, method: str, params: Any) -> dict[str, Any]:
        """Send a request; skip notifications up to its reply."""
        assert self.process.stdin and self.process.stdout
        self.ids += 1
        frame = {"jsonrpc": "2.0", "id": self.ids, "method": method, "params": params}
        self.process.stdin.write(json.dumps(frame).encode() + b"\n")
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), 60)
            assert line, "the server closed stdout"
            message = json.loads(line)
            if message.get("id") == self.ids and "method" not in message:
                assert "result" in message, message
                return dict(message["result"])

    def rss_kb(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
        )

    async def finish(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        await asyncio.wait_for(self.process.wait(), 30)


async def test_loading_a_long_session_does_not_hold_all_its_stored_updates_in_memory(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    writer = await Agent.start(home)
    session = (await writer.call("session/new", {"cwd": str(tmp_path), "mcpServers": []}))[
        "sessionId"
    ]
    prompt = [{"type": "text", "text": f"stream {CHUNKS} {SIZE}"}]
    await writer.call("session/prompt", {"sessionId": session, "prompt": prompt})
    await writer.finish()
    with sqlite3.connect(home / "sessions.db") as db:
        count, updates = db.execute("SELECT COUNT(*), SUM(LENGTH(payload)) FROM updates").fetchone()
        (history,) = db.execute("SELECT SUM(LENGTH(message)) FROM history").fetchone()
        (inline,) = db.execute("SELECT SUM(LENGTH(messages)) FROM sessions").fetchone()
    assert count > CHUNKS
    stored = updates + (history or 0) + (inline or 0)  # the answer is also in the history
    reader = await Agent.start(home)
    await reader.call("session/list", {})  # the store is open and warm before we measure
    before = reader.rss_kb()
    params = {"sessionId": session, "cwd": str(tmp_path), "mcpServers": []}
    await reader.call("session/load", params)
    growth = (reader.rss_kb() - before) * 1024
    await reader.finish()
    # The history is decoded and kept (the next turn needs it); the replayed
    # updates pass through a bounded queue. Holding them all came to ~1.9x.
    assert growth < stored * 1.5, f"grew by {growth:,} bytes loading {stored:,}"
