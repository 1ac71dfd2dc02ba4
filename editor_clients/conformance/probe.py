"""A probe: one fresh agent process per requirement, with its transcript."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from editor_clients.client import ClientCapabilities, ClientConnection, PermissionPolicy

NOTHING = ClientCapabilities(fs_read=False, fs_write=False, terminal=False)


class Skip(Exception):
    """The requirement does not apply, or the run was inconclusive."""


class Fail(AssertionError):
    """The agent broke the requirement."""


def check(condition: bool, detail: str) -> None:
    if not condition:
        raise Fail(detail)


@dataclass
class Probe:
    argv: Sequence[str]
    cwd: str
    env: dict[str, str] | None
    clients: list[ClientConnection] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def ours(self) -> bool:
        """acp-server speaks the scripted directive language; others are skipped."""
        return (self.info.get("agentInfo") or {}).get("name") == "acp-server"

    async def client(
        self, capabilities: ClientCapabilities = NOTHING, policy: str = "approve"
    ) -> ClientConnection:
        client = await ClientConnection.spawn(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            capabilities=capabilities,
            permissions=PermissionPolicy(policy),
        )
        self.clients.append(client)
        return client

    async def ready(
        self, capabilities: ClientCapabilities = NOTHING, policy: str = "approve"
    ) -> ClientConnection:
        client = await self.client(capabilities, policy)
        self.info = await client.initialize()
        return client

    def agent_caps(self) -> dict[str, Any]:
        return dict(self.info.get("agentCapabilities") or {})

    def require_ours(self) -> None:
        if not self.ours:
            raise Skip(
                "needs the agent to act on request (write, run, call a tool); only acp-server's scripted model does that on demand"
            )

    def transcript(self) -> list[dict[str, Any]]:
        return [
            {"t": round(t, 4), "direction": d, "frame": f}
            for client in self.clients
            for t, d, f in client.frames
        ]

    async def close(self) -> None:
        for client in self.clients:
            with contextlib.suppress(TimeoutError, OSError):
                await asyncio.wait_for(client.close(), 10)


async def raw_exchange(
    argv: Sequence[str],
    cwd: str,
    env: dict[str, str] | None,
    lines: Sequence[bytes],
    *,
    wait: float = 1.0,
) -> tuple[list[bytes], float | None]:
    """Send raw lines, collect stdout lines for `wait` seconds, close stdin, and
    time how long the process takes to exit (None if it had to be killed)."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        limit=1 << 30,
    )
    assert process.stdin and process.stdout
    out: list[bytes] = []
    for line in lines:
        process.stdin.write(line + b"\n")
    await process.stdin.drain()

    async def read() -> None:
        assert process.stdout
        while line := await process.stdout.readline():
            out.append(line.rstrip(b"\n"))

    reader = asyncio.create_task(read())
    await asyncio.sleep(wait)
    loop = asyncio.get_running_loop()
    start = loop.time()
    process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), 5)
        exit_time: float | None = loop.time() - start
    except TimeoutError:
        process.kill()
        await process.wait()
        exit_time = None
    await asyncio.wait_for(reader, 5)
    return out, exit_time


def frames_of(lines: Sequence[bytes]) -> list[dict[str, Any]]:
    """The JSON objects among `lines`; anything else is IO-001's business."""
    frames = []
    for line in lines:
        try:
            frame = json.loads(line)
        except ValueError:
            continue
        if isinstance(frame, dict):
            frames.append(frame)
    return frames


def agent_env(env: dict[str, str] | None) -> dict[str, str]:
    return dict(env if env is not None else os.environ)
