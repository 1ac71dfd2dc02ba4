"""However an editor ends the real `acp-server`, nothing the agent started stays.

Editors close stdin, send SIGTERM (CodeCompanion, avante) or SIGHUP, SIGKILL
the agent, or SIGKILL its whole process group (acp.el). Each test runs a
command (or an MCP server) that leaves a grandchild, `sleep 4242.<unique>`,
ends the agent one of those ways, and then looks through /proc for any process
whose command line still carries the marker.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.server.test_stdio_process import ACP_SERVER

APP = str(Path(__file__).parents[1] / "mcp" / "server_app.py")
_serial = itertools.count(1)


def _marker() -> str:
    return f"4242.{os.getpid()}{next(_serial):03d}"


def survivors(marker: str) -> list[int]:
    """Live processes whose command line holds `marker` (a zombie's is empty)."""
    needle = marker.encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue  # gone while we looked
            if needle in cmdline:
                found.append(int(entry))
    return found


async def until(condition: Any, timeout: float) -> bool:
    """Poll `condition` (/proc has no event to wait on) for at most `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


class Agent:
    """The real server in a process group of its own, so a group kill hits it
    and not the test; answers the terminal requests the agent makes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.ids = itertools.count(1)
        self.frames: list[dict[str, Any]] = []
        self.requests: list[str] = []

    @classmethod
    async def start(cls, home: Path) -> Agent:
        process = await asyncio.create_subprocess_exec(
            ACP_SERVER,
            "--model",
            "scripted",
            "--mode",
            "yolo",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home)},
            start_new_session=True,
        )
        return cls(process)

    def send(self, frame: dict[str, Any]) -> None:
        assert self.process.stdin
        self.process.stdin.write(json.dumps({"jsonrpc": "2.0", **frame}).encode() + b"\n")

    async def request(self, method: str, params: Any) -> int:
        request_id = next(self.ids)
        self.send({"id": request_id, "method": method, "params": params})
        return request_id

    async def frame(self, timeout: float = 20) -> dict[str, Any] | None:
        assert self.process.stdout
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line:
            return None
        frame: dict[str, Any] = json.loads(line)
        self.frames.append(frame)
        if "method" in frame and "id" in frame:
            self.requests.append(frame["method"])
            answer = _terminal_answers.get(frame["method"])
            if answer is not None:  # wait_for_exit stays unanswered: the command runs on
                self.send({"id": frame["id"], "result": answer})
        return frame

    async def reply(self, request_id: int) -> dict[str, Any]:
        while (frame := await self.frame()) is not None:
            if frame.get("id") == request_id and "method" not in frame:
                return frame
        raise AssertionError("the agent closed stdout before replying")

    async def open_session(self, cwd: Path, *, terminal: bool = False, mcp: Any = ()) -> str:
        caps = {"terminal": terminal}
        await self.reply(
            await self.request("initialize", {"protocolVersion": 1, "clientCapabilities": caps})
        )
        reply = await self.reply(
            await self.request("session/new", {"cwd": str(cwd), "mcpServers": list(mcp)})
        )
        return str(reply["result"]["sessionId"])

    async def prompt(self, session: str, text: str) -> int:
        return await self.request(
            "session/prompt", {"sessionId": session, "prompt": [{"type": "text", "text": text}]}
        )

    async def drain(self, timeout: float) -> None:
        """Read (and answer) until the agent closes stdout."""
        while await self.frame(timeout) is not None:
            pass

    async def exited(self, timeout: float) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout)


_terminal_answers: dict[str, object] = {
    "terminal/create": {"terminalId": "term-1"},
    "terminal/kill": {},
    "terminal/release": {},
    "terminal/output": {"output": "", "truncated": False},
}


async def _end(agent: Agent, how: str) -> None:
    if how == "stdin EOF":
        assert agent.process.stdin
        agent.process.stdin.close()
    elif how == "SIGKILL of its group":
        os.killpg(agent.process.pid, signal.SIGKILL)
    else:
        agent.process.send_signal(getattr(signal, how))


@pytest.mark.parametrize("how", ["stdin EOF", "SIGTERM", "SIGHUP"])
async def test_a_polite_end_cancels_the_turn_kills_the_command_and_exits_within_2_s(
    tmp_path: Path, how: str
) -> None:
    marker = _marker()
    agent = await Agent.start(tmp_path / "home")
    session = await agent.open_session(tmp_path)
    prompt = await agent.prompt(session, f"run sleep {marker}; true")
    assert await until(lambda: len(survivors(marker)) == 2, 10), "the shell and its sleep run"
    began = time.monotonic()
    await _end(agent, how)
    await agent.drain(5)
    code = await agent.exited(5)
    elapsed = time.monotonic() - began
    assert elapsed < 2.0 and code == 0
    assert await until(lambda: not survivors(marker), 3), survivors(marker)
    if how != "stdin EOF":  # a signal leaves the connection up: the turn is answered
        replies = [f for f in agent.frames if f.get("id") == prompt and "method" not in f]
        assert [r["result"]["stopReason"] for r in replies] == ["cancelled"]


@pytest.mark.parametrize("how", ["SIGKILL", "SIGKILL of its group"])
async def test_a_killed_agent_leaves_no_command_behind(tmp_path: Path, how: str) -> None:
    marker = _marker()
    agent = await Agent.start(tmp_path / "home")
    session = await agent.open_session(tmp_path)
    await agent.prompt(session, f"run sleep {marker}; true")
    assert await until(lambda: len(survivors(marker)) == 2, 10), "the shell and its sleep run"
    await _end(agent, how)
    assert await agent.exited(5) == -signal.SIGKILL
    assert await until(lambda: not survivors(marker), 5), survivors(marker)


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP"])
async def test_a_signal_kills_and_releases_the_editors_terminal_before_exiting(
    tmp_path: Path, how: str
) -> None:
    agent = await Agent.start(tmp_path / "home")
    session = await agent.open_session(tmp_path, terminal=True)
    prompt = await agent.prompt(session, "run sleep 60")
    while "terminal/wait_for_exit" not in agent.requests:
        assert await agent.frame() is not None
    began = time.monotonic()
    await _end(agent, how)
    await agent.drain(5)
    assert await agent.exited(5) == 0 and time.monotonic() - began < 2.0
    after = agent.requests[agent.requests.index("terminal/wait_for_exit") :]
    assert "terminal/kill" in after and "terminal/release" in after
    replies = [f for f in agent.frames if f.get("id") == prompt and "method" not in f]
    assert [r["result"]["stopReason"] for r in replies] == ["cancelled"]


def _mcp_server_with_a_child(marker: str, markers: Path) -> dict[str, Any]:
    """An MCP server that starts a child of its own, as `npx` starts node: the
    server exits when its stdin closes; the child would not."""
    line = f"sleep {marker} & exec {sys.executable} {APP} stdio {markers}"
    return {"name": "kids", "command": "/bin/sh", "args": ["-c", line], "env": []}


@pytest.mark.parametrize("how", ["stdin EOF", "SIGTERM", "SIGKILL", "SIGKILL of its group"])
async def test_no_mcp_server_or_its_children_outlive_the_agent(tmp_path: Path, how: str) -> None:
    marker = _marker()
    agent = await Agent.start(tmp_path / "home")
    await agent.open_session(tmp_path, mcp=[_mcp_server_with_a_child(marker, tmp_path)])
    assert await until(lambda: len(survivors(marker)) == 1, 10), "the server's child runs"
    began = time.monotonic()
    await _end(agent, how)
    if how in ("stdin EOF", "SIGTERM"):
        await agent.drain(5)
        assert await agent.exited(5) == 0 and time.monotonic() - began < 2.0
    else:
        await agent.exited(5)
    assert await until(lambda: not survivors(marker), 5), survivors(marker)
