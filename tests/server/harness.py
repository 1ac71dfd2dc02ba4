"""An in-memory editor joined to a real AgentServer over the real protocol.

The editor side is built on our own protocol core: it serves permission, fs
and terminal requests only when it advertised them (real disk, real
subprocesses), records every frame, and checks each one against the official
schema.

Every transcript is also held to the tracer's protocol rules (causal order, no
turn content after its prompt response, every tool call closed, ...), per
session: a test fails on any violation unless it opts out for a rule it breaks
on purpose (`connect(..., allow_rules={...})`).
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acp_server.config import Config, load_config
from acp_server.server.app import AgentServer
from editor_clients.trace import TraceChecker
from protocol import Endpoint, Route, RpcError, memory_pipe
from tests.support.schema_validation import SchemaChecker


@dataclass
class Editor:
    fs: bool = True
    terminal: bool = True
    permission: str = "allow_once"  # option id to answer, "cancelled", or "never" (no answer)
    endpoint: Endpoint = None  # type: ignore[assignment]
    updates: list[dict[str, Any]] = field(default_factory=list)
    frames: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    permission_requests: list[dict[str, Any]] = field(default_factory=list)
    terminals: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    update_event: asyncio.Event = field(default_factory=asyncio.Event)
    permission_asked: asyncio.Event = field(default_factory=asyncio.Event)
    violations: list[tuple[str, str]] = field(default_factory=list)

    def routes(self) -> tuple[dict[str, Route], dict[str, Route]]:
        requests = {
            "session/request_permission": Route(None, self._permission),
            "fs/read_text_file": Route(None, self._read),
            "fs/write_text_file": Route(None, self._write),
            "terminal/create": Route(None, self._create),
            "terminal/wait_for_exit": Route(None, self._wait),
            "terminal/output": Route(None, self._output),
            "terminal/kill": Route(None, self._kill),
            "terminal/release": Route(None, self._release),
        }
        return requests, {"session/update": Route(None, self._update)}

    async def _update(self, params: Any) -> None:
        self.updates.append(params)
        self.update_event.set()

    def _require(self, method: str, allowed: bool) -> None:
        self.calls.append(method)
        if not allowed:
            raise AssertionError(f"the agent called {method}, which this editor did not advertise")

    async def _permission(self, params: Any) -> Any:
        self.calls.append("session/request_permission")
        self.permission_requests.append(params)
        self.permission_asked.set()
        if self.permission == "never":
            await asyncio.Event().wait()
        if self.permission == "cancelled":
            return {"outcome": {"outcome": "cancelled"}}
        return {"outcome": {"outcome": "selected", "optionId": self.permission}}

    async def _read(self, params: Any) -> Any:
        self._require("fs/read_text_file", self.fs)
        try:
            text = Path(params["path"]).read_text()
        except FileNotFoundError:
            raise RpcError.resource_not_found(params["path"]) from None
        lines = text.splitlines(keepends=True)
        start = (params.get("line") or 1) - 1
        end = start + params["limit"] if params.get("limit") else None
        return {"content": "".join(lines[start:end])}

    async def _write(self, params: Any) -> Any:
        self._require("fs/write_text_file", self.fs)
        Path(params["path"]).write_text(params["content"])
        return {}

    async def _create(self, params: Any) -> Any:
        self._require("terminal/create", self.terminal)
        process = subprocess.Popen(
            [params["command"], *params.get("args", [])],
            cwd=params.get("cwd"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        terminal_id = f"term-{uuid.uuid4().hex[:8]}"
        self.terminals[terminal_id] = process
        return {"terminalId": terminal_id}

    async def _wait(self, params: Any) -> Any:
        self._require("terminal/wait_for_exit", self.terminal)
        process = self.terminals[params["terminalId"]]
        while process.poll() is None:
            await asyncio.sleep(0.01)
        return {"exitCode": process.returncode}

    async def _output(self, params: Any) -> Any:
        self._require("terminal/output", self.terminal)
        process = self.terminals[params["terminalId"]]
        out = (
            process.stdout.read().decode() if process.poll() is not None and process.stdout else ""
        )
        result: dict[str, Any] = {"output": out, "truncated": False}
        if process.returncode is not None:
            result["exitStatus"] = {"exitCode": process.returncode}
        return result

    async def _kill(self, params: Any) -> Any:
        self._require("terminal/kill", self.terminal)
        process = self.terminals[params["terminalId"]]
        process.kill()
        process.wait()
        return {}

    async def _release(self, params: Any) -> Any:
        self._require("terminal/release", self.terminal)
        process = self.terminals.pop(params["terminalId"])
        if process.poll() is None:
            process.kill()
            process.wait()
        self.released.append(params["terminalId"])
        return {}

    # -------------------------------------------------------------- helpers

    async def call(self, method: str, params: Any, timeout: float = 10) -> Any:
        return await self.endpoint.request(method, params, timeout=timeout)

    async def initialize(self, **extra: Any) -> Any:
        caps: dict[str, Any] = {
            "fs": {"readTextFile": self.fs, "writeTextFile": self.fs},
            "terminal": self.terminal,
        }
        caps.update(extra)
        return await self.call("initialize", {"protocolVersion": 1, "clientCapabilities": caps})

    async def new_session(self, cwd: Path | str, **extra: Any) -> str:
        result = await self.call("session/new", {"cwd": str(cwd), "mcpServers": [], **extra})
        return str(result["sessionId"])

    async def prompt(self, session_id: str, text: str, timeout: float = 20) -> Any:
        return await self.call(
            "session/prompt",
            {"sessionId": session_id, "prompt": [{"type": "text", "text": text}]},
            timeout,
        )

    def session_updates(self, session_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        return [
            u["update"]
            for u in self.updates
            if u["sessionId"] == session_id
            and (kind is None or u["update"]["sessionUpdate"] == kind)
        ]

    def text(self, session_id: str) -> str:
        return "".join(
            u["content"]["text"] for u in self.session_updates(session_id, "agent_message_chunk")
        )

    async def wait_for(self, predicate: Any, timeout: float = 10) -> None:
        async def loop() -> None:
            while not predicate():
                self.update_event.clear()
                await self.update_event.wait()

        await asyncio.wait_for(loop(), timeout)


@asynccontextmanager
async def connect(
    home: Path,
    editor: Editor | None = None,
    config: Config | None = None,
    mode: str | None = None,
    allow_rules: frozenset[str] = frozenset(),
    **flags: Any,
) -> AsyncIterator[tuple[Editor, AgentServer]]:
    editor = editor or Editor()
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    flags = {"model": "scripted", **flags}
    if mode:
        flags["permissions.default_mode"] = mode
    config = config or load_config(home, flags=flags, env={})
    server = AgentServer(config, home)
    checker = SchemaChecker()
    (a_reader, a_writer), (c_reader, c_writer) = memory_pipe()
    agent_requests, agent_notes = server.routes()
    server.endpoint = Endpoint(
        a_reader,
        a_writer,
        requests=agent_requests,
        notifications=agent_notes,
        observers=[checker.observer("agent"), _rules_observer(editor)],
        name="agent",
    )
    client_requests, client_notes = editor.routes()
    editor.endpoint = Endpoint(
        c_reader, c_writer, requests=client_requests, notifications=client_notes, name="editor"
    )
    editor.frames = checker.frames  # type: ignore[assignment]
    tasks = [asyncio.create_task(server.endpoint.run()), asyncio.create_task(editor.endpoint.run())]
    try:
        yield editor, server
    finally:
        c_writer.close()
        await asyncio.wait_for(tasks[0], 10)
        await server.shutdown()
        a_writer.close()
        await asyncio.wait_for(tasks[1], 10)
        for process in editor.terminals.values():
            process.kill()
    broken = [v for v in editor.violations if v[0] not in allow_rules]
    assert not broken, f"the transcript breaks protocol rules: {broken[:5]}"


def _rules_observer(editor: Editor) -> Any:
    """Feeds the agent endpoint's frames, in wire order, to the tracer's rules,
    and keeps what the agent's own frames break."""
    rules = TraceChecker()

    def observe(direction: str, raw: bytes) -> None:
        found = rules.check("agent" if direction == "out" else "client", raw)
        if direction == "out":  # what the editor sends is the test's own choice
            editor.violations.extend(found)

    return observe
