"""The real `acp-server` subprocess over stdio."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ACP_SERVER = str(Path(sys.executable).with_name("acp-server"))


class Proc:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[bytes] = []
        self.next_id = 0

    async def send(self, method: str, params: Any, *, notify: bool = False) -> int | None:
        frame: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if not notify:
            self.next_id += 1
            frame["id"] = self.next_id
        assert self.process.stdin
        self.process.stdin.write(json.dumps(frame).encode() + b"\n")
        await self.process.stdin.drain()
        return frame.get("id")

    async def reply(self, request_id: int, timeout: float = 20) -> dict[str, Any]:
        while True:
            frame = await self.frame(timeout)
            if frame.get("id") == request_id and "method" not in frame:
                return frame

    async def frame(self, timeout: float = 20) -> dict[str, Any]:
        assert self.process.stdout
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert line, "the server closed stdout"
        self.lines.append(line)
        return json.loads(line)

    async def call(self, method: str, params: Any) -> dict[str, Any]:
        request_id = await self.send(method, params)
        assert request_id is not None
        return await self.reply(request_id)

    async def started(self) -> Proc:
        await self.call("initialize", {"protocolVersion": 1})
        return self

    async def new_session(self, cwd: Path) -> dict[str, Any]:
        reply = await self.call("session/new", {"cwd": str(cwd), "mcpServers": []})
        return dict(reply["result"])

    async def finish(self) -> tuple[bytes, bytes, int]:
        assert self.process.stdin
        self.process.stdin.close()
        out, err = await asyncio.wait_for(self.process.communicate(), 10)
        return out, err, self.process.returncode or 0


async def spawn(home: Path, *args: str, env: dict[str, str] | None = None) -> Proc:
    environment = {"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home), **(env or {})}
    process = await asyncio.create_subprocess_exec(
        ACP_SERVER,
        "--model",
        "scripted",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    return Proc(process)


async def test_stdout_carries_only_frames_and_stderr_stays_quiet(tmp_path: Path) -> None:
    proc = await spawn(tmp_path / "home", "--mode", "yolo")
    await proc.call("initialize", {"protocolVersion": 1})
    session = (await proc.call("session/new", {"cwd": str(tmp_path), "mcpServers": []}))["result"][
        "sessionId"
    ]
    await proc.call(
        "session/prompt",
        {
            "sessionId": session,
            "prompt": [{"type": "text", "text": "say hi\nrun echo to-stdout-of-child"}],
        },
    )
    await proc.send("nonsense", {})
    out, err, code = await proc.finish()
    every = proc.lines + out.splitlines()
    assert code == 0 and err == b""
    for line in every:
        frame = json.loads(line)
        assert frame["jsonrpc"] == "2.0"


async def test_no_heavy_import_happens_before_initialize_is_answered(tmp_path: Path) -> None:
    dump = tmp_path / "modules.txt"
    proc = await spawn(tmp_path / "home", env={"ACP_SERVER_DEBUG_MODULES": str(dump)})
    await proc.call("initialize", {"protocolVersion": 1})
    await proc.call("session/new", {"cwd": str(tmp_path), "mcpServers": []})
    await proc.finish()
    modules = set(dump.read_text().split())
    assert "protocol" in modules
    for heavy in ("openai", "anthropic", "mcp", "pydantic", "rich", "httpx", "yaml"):
        assert heavy not in modules, heavy
    # pathlib brings urllib.parse and ipaddress (~3 ms): the feature flags that
    # initialize advertises are read from config.yaml with os.path.
    assert "pathlib" not in modules
    # The first session without MCP servers decodes through its generated type,
    # which lives in a small module; the rest of the schema, the MCP client and
    # the engine load when first used (the engine with the first prompt).
    at_session = set(Path(f"{dump}.session").read_text().split())
    assert "acp_server.store.sqlite" in at_session and "acp_server.server.options" in at_session
    assert "protocol._generated_new_session" in at_session
    for deferred in (
        "protocol._generated",
        "agent.mcp",
        "agent.engine",
        "agent.tools.runner",
        "acp_server.server.proxies",
        "json",
        "random",
        "logging.handlers",
        "concurrent.futures.thread",
        "hashlib",  # content hashes and turn-lock offsets come with the first turn
        "zlib",  # the journal's CRC is binascii's
        "dataclasses",  # ~1 ms; our types on this path are msgspec Structs
        "difflib",  # for "did you mean" on an unknown setting only
    ):
        assert deferred not in at_session, deferred


async def test_a_session_loads_in_a_new_process_after_a_restart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = await spawn(home)
    await first.call("initialize", {"protocolVersion": 1})
    session = (await first.call("session/new", {"cwd": str(tmp_path), "mcpServers": []}))["result"][
        "sessionId"
    ]
    await first.call(
        "session/prompt",
        {"sessionId": session, "prompt": [{"type": "text", "text": "say remembered words"}]},
    )
    await first.finish()
    second = await spawn(home)
    await second.call("initialize", {"protocolVersion": 1})
    load_id = await second.send(
        "session/load", {"sessionId": session, "cwd": str(tmp_path), "mcpServers": []}
    )
    replayed: list[dict[str, Any]] = []
    while (frame := await second.frame()).get("id") != load_id:
        replayed.append(frame["params"]["update"])
    await second.finish()
    text = "".join(
        u["content"]["text"] for u in replayed if u["sessionUpdate"] == "agent_message_chunk"
    )
    assert text == "remembered words"
    assert any(u["sessionUpdate"] == "user_message_chunk" for u in replayed)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def test_the_process_exits_promptly_when_stdin_closes_mid_turn(tmp_path: Path) -> None:
    """Closing stdin mid-command: exit within 2 s, the command killed, the turn kept."""
    home = tmp_path / "home"
    proc = await spawn(home, "--mode", "yolo")
    await proc.call("initialize", {"protocolVersion": 1})
    session = (await proc.call("session/new", {"cwd": str(tmp_path), "mcpServers": []}))["result"][
        "sessionId"
    ]
    await proc.send(
        "session/prompt",
        {"sessionId": session, "prompt": [{"type": "text", "text": "say x\nrun sleep 60"}]},
    )
    while (await proc.frame())["params"]["update"].get("status") != "in_progress":
        pass
    children: list[int] = []
    for _ in range(200):  # the command is spawned right after its in_progress update
        if children := _children(proc.process.pid):
            break
        await asyncio.sleep(0.01)
    assert children, "the command never started"
    started = time.monotonic()
    _, _, code = await proc.finish()
    elapsed = time.monotonic() - started
    assert code == 0 and elapsed < 2.0
    for _ in range(100):  # killed with its process group; init reaps it
        if not any(_alive(pid) for pid in children):
            break
        await asyncio.sleep(0.02)
    assert not any(_alive(pid) for pid in children), "an orphaned child outlived the server"
    again = await spawn(home)
    await again.call("initialize", {"protocolVersion": 1})
    await again.call("session/load", {"sessionId": session, "cwd": str(tmp_path), "mcpServers": []})
    await again.finish()
    replayed = [json.loads(line) for line in again.lines]
    chunks = [
        f["params"]["update"]["content"]["text"]
        for f in replayed
        if f.get("method") == "session/update"
        and f["params"]["update"]["sessionUpdate"] == "agent_message_chunk"
    ]
    assert chunks == ["x"]  # what the editor saw before it left was kept


async def test_the_configuration_is_read_again_for_each_new_session(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = await (await spawn(home)).started()
    first = await proc.new_session(tmp_path)
    (home / "config.yaml").write_text("permissions:\n  default_mode: read-only\n")
    second = await proc.new_session(tmp_path)
    await asyncio.sleep(0.5)  # the files are watched by now, not stat'ed
    (home / "config.yaml").write_text("permissions:\n  default_mode: yolo\n")
    third = await proc.new_session(tmp_path)
    (home / ".env").write_text("ACP_SERVER_MODE=accept-edits\n")
    fourth = await proc.new_session(tmp_path)
    await proc.finish()
    modes = [s["modes"]["currentModeId"] for s in (first, second, third, fourth)]
    assert modes == ["ask", "read-only", "yolo", "accept-edits"]


async def test_a_new_session_is_listed_by_another_process_without_a_prompt(
    tmp_path: Path,
) -> None:
    # The row goes to the journal first; with no turn to end, the server moves
    # it into SQLite on its own shortly after.
    home = tmp_path / "home"
    proc = await (await spawn(home)).started()
    session_id = (await proc.new_session(tmp_path))["sessionId"]
    env = {"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home)}
    listed: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        lister = await asyncio.create_subprocess_exec(
            ACP_SERVER, "sessions", "list", "--json", stdout=asyncio.subprocess.PIPE, env=env
        )
        out, _ = await lister.communicate()
        listed = json.loads(out)
        if listed:
            break
        await asyncio.sleep(0.1)
    assert proc.process.returncode is None  # still serving: nothing was flushed by an exit
    await proc.finish()
    assert [(row["id"], row["cwd"]) for row in listed] == [(session_id, str(tmp_path))]


async def test_a_session_answered_just_before_a_kill_9_loads_in_the_next_process(
    tmp_path: Path,
) -> None:
    # Its row is only in the journal when the reply goes out; the next process
    # must find it there.
    home = tmp_path / "home"
    first = await (await spawn(home)).started()
    session_id = (await first.new_session(tmp_path))["sessionId"]
    first.process.kill()
    await first.process.wait()
    second = await (await spawn(home)).started()
    loaded = await second.call(
        "session/load", {"sessionId": session_id, "cwd": str(tmp_path), "mcpServers": []}
    )
    listed = await second.call("session/list", {})
    await second.finish()
    assert "error" not in loaded, loaded
    assert [s["sessionId"] for s in listed["result"]["sessions"]] == [session_id]
