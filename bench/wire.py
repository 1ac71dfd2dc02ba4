"""The benchmarks' NDJSON JSON-RPC client (stdlib only, not our client library,
so that it measures the agents and not our client) and the summary helper.
"""

from __future__ import annotations

import asyncio
import json
import statistics
from pathlib import Path
from typing import Any


class Client:
    """Just enough NDJSON JSON-RPC to time an agent."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.ids = 0
        self.waiters: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.notes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.note_count = 0
        # Requests from the agent (fs/read_text_file, permission) -> result builders.
        self.serve: dict[str, Any] = {}
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def spawn(cls, argv: list[str], env: dict[str, str]) -> Client:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
            limit=1 << 30,
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout
        while line := await self.process.stdout.readline():
            msg = json.loads(line)
            if "id" in msg and "method" not in msg:
                future = self.waiters.pop(msg["id"], None)
                if future and not future.done():
                    future.set_result(msg)
            elif msg.get("method") == "session/update":
                self.note_count += 1
                self.notes.put_nowait(msg)
            elif "id" in msg and msg.get("method") in self.serve:
                result = self.serve[msg["method"]](msg["params"])
                reply = {"jsonrpc": "2.0", "id": msg["id"], "result": result}
                assert self.process.stdin
                self.process.stdin.write(json.dumps(reply).encode() + b"\n")

    def send(
        self, method: str, params: Any, notify: bool = False
    ) -> asyncio.Future[dict[str, Any]] | None:
        frame: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        future = None
        if not notify:
            self.ids += 1
            frame["id"] = self.ids
            future = asyncio.get_running_loop().create_future()
            self.waiters[self.ids] = future
        assert self.process.stdin
        self.process.stdin.write(json.dumps(frame).encode() + b"\n")
        return future

    @classmethod
    async def started(
        cls, argv: list[str], env: dict[str, str], capabilities: dict[str, Any] | None = None
    ) -> Client:
        """A spawned agent past `initialize`."""
        client = await cls.spawn(argv, env)
        params: dict[str, Any] = {"protocolVersion": 1}
        if capabilities is not None:
            params["clientCapabilities"] = capabilities
        await client.call("initialize", params)
        return client

    async def new_session(self, cwd: str, mcp_servers: list[Any] | None = None) -> str:
        reply = await self.call("session/new", {"cwd": cwd, "mcpServers": mcp_servers or []})
        return str(reply["result"]["sessionId"])

    async def call(self, method: str, params: Any) -> dict[str, Any]:
        future = self.send(method, params)
        assert future is not None
        return await asyncio.wait_for(future, 120)

    async def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self.reader.cancel()

    def rss_kb(self, field: str = "VmHWM") -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
        return 0


def summary(values: list[float], key: str = "median") -> dict[str, float]:
    """The median of repeated runs under `key`, with their min and max."""
    return {key: statistics.median(values), "min": min(values), "max": max(values)}
