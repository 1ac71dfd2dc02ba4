"""`ClientConnection`: speak ACP to any agent, as an editor would.

It advertises exactly the capabilities it is given and serves only those
methods: anything else the agent calls gets -32601 and is recorded as a
violation in `unadvertised_calls`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from editor_clients.client.accumulator import SessionView
from editor_clients.client.handlers import LocalFiles, LocalTerminals, PermissionPolicy
from protocol import Endpoint, Route, RpcError, SpawnedProcess, memory_pipe, spawn_process
from protocol.endpoint import ByteReader, ByteWriter

FrameCallback = Callable[[str, dict[str, Any]], None]  # ("client->agent" | "agent->client", frame)


@dataclass(frozen=True)
class ClientCapabilities:
    fs_read: bool = True
    fs_write: bool = True
    terminal: bool = True
    auth_terminal: bool = False
    elicitation: bool = False

    def to_wire(self) -> dict[str, Any]:
        caps: dict[str, Any] = {
            "fs": {"readTextFile": self.fs_read, "writeTextFile": self.fs_write},
            "terminal": self.terminal,
        }
        if self.auth_terminal:
            caps["auth"] = {"terminal": True}
        if self.elicitation:
            caps["elicitation"] = {"form": {}}
        return caps


@dataclass
class ClientConnection:
    endpoint: Endpoint
    capabilities: ClientCapabilities
    cwd: str
    permissions: PermissionPolicy
    files: LocalFiles
    terminals: LocalTerminals
    process: SpawnedProcess | None = None
    sessions: dict[str, SessionView] = field(default_factory=dict)
    unadvertised_calls: list[str] = field(default_factory=list)
    frames: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    on_update: Callable[[str, dict[str, Any]], None] | None = None
    _task: asyncio.Task[None] | None = None
    _updated: asyncio.Event = field(default_factory=asyncio.Event)

    # ---------------------------------------------------------------- setup

    @classmethod
    async def spawn(
        cls,
        argv: Sequence[str],
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        capabilities: ClientCapabilities | None = None,
        permissions: PermissionPolicy | None = None,
        on_frame: FrameCallback | None = None,
    ) -> ClientConnection:
        cwd = os.path.abspath(cwd or os.getcwd())
        process = await spawn_process(argv, env=dict(env) if env is not None else None, cwd=cwd)
        connection = cls._build(
            process.reader, process.writer, cwd, capabilities, permissions, on_frame
        )
        connection.process = process
        return connection

    @classmethod
    def over(
        cls,
        reader: ByteReader,
        writer: ByteWriter,
        *,
        cwd: str,
        capabilities: ClientCapabilities | None = None,
        permissions: PermissionPolicy | None = None,
        on_frame: FrameCallback | None = None,
    ) -> ClientConnection:
        return cls._build(reader, writer, cwd, capabilities, permissions, on_frame)

    @classmethod
    def _build(
        cls,
        reader: ByteReader,
        writer: ByteWriter,
        cwd: str,
        capabilities: ClientCapabilities | None,
        permissions: PermissionPolicy | None,
        on_frame: FrameCallback | None,
    ) -> ClientConnection:
        loop = asyncio.get_running_loop()
        connection: ClientConnection
        frames: list[tuple[float, str, dict[str, Any]]] = []

        def observe(direction: str, raw: bytes) -> None:
            try:
                frame = json.loads(raw)
            except ValueError:
                frame = {"unparseable": raw.decode("utf-8", "replace")}
            label = "client->agent" if direction == "out" else "agent->client"
            frames.append((loop.time(), label, frame))
            if on_frame is not None:
                on_frame(label, frame)

        endpoint = Endpoint(reader, writer, observers=[observe], name="client")
        connection = cls(
            endpoint,
            capabilities or ClientCapabilities(),
            cwd,
            permissions or PermissionPolicy("deny"),
            LocalFiles(cwd),
            LocalTerminals(cwd),
        )
        connection.frames = frames
        connection._install_routes()
        connection._task = asyncio.create_task(endpoint.run())
        return connection

    def _install_routes(self) -> None:
        caps = self.capabilities
        served: dict[str, tuple[bool, Any]] = {
            "session/request_permission": (True, self.permissions),
            "fs/read_text_file": (caps.fs_read, self.files.read),
            "fs/write_text_file": (caps.fs_write, self.files.write),
            "terminal/create": (caps.terminal, self.terminals.create),
            "terminal/output": (caps.terminal, self.terminals.output),
            "terminal/wait_for_exit": (caps.terminal, self.terminals.wait_for_exit),
            "terminal/kill": (caps.terminal, self.terminals.kill),
            "terminal/release": (caps.terminal, self.terminals.release),
            "elicitation/create": (caps.elicitation, self._decline_elicitation),
        }
        for method, (advertised, handler) in served.items():
            self.endpoint.requests[method] = Route(
                None, handler if advertised else self._refuse(method)
            )
        self.endpoint.notifications["session/update"] = Route(None, self._on_update)

    def _refuse(self, method: str) -> Any:
        async def refuse(params: Any) -> Any:
            self.unadvertised_calls.append(method)
            raise RpcError.method_not_found(method)

        return refuse

    async def _decline_elicitation(self, params: Any) -> dict[str, Any]:
        return {"action": "decline"}

    async def _on_update(self, params: Any) -> None:
        session_id = str(params.get("sessionId"))
        view = self.sessions.setdefault(session_id, SessionView(session_id))
        view.apply(params.get("update") or {})
        if self.on_update is not None:
            self.on_update(session_id, params.get("update") or {})
        self._updated.set()

    async def close(self) -> int | None:
        await self.terminals.close()
        code = None
        if self.process is not None:
            code = await self.process.aclose()
        else:
            with_close = getattr(self.endpoint, "_writer", None)
            if with_close is not None:
                with_close.close()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 5)
            except TimeoutError:
                self._task.cancel()
        return code

    # ---------------------------------------------------------------- calls

    async def request(self, method: str, params: Any = None, timeout: float | None = 60) -> Any:
        return await self.endpoint.request(
            method, params if params is not None else {}, timeout=timeout
        )

    async def notify(self, method: str, params: Any = None) -> None:
        await self.endpoint.notify(method, params if params is not None else {})

    async def initialize(self, protocol_version: int = 1, **extra: Any) -> dict[str, Any]:
        params = {
            "protocolVersion": protocol_version,
            "clientCapabilities": self.capabilities.to_wire(),
            "clientInfo": {"name": "acp-client", "version": "0.1.0"},
            **extra,
        }
        return dict(await self.request("initialize", params))

    async def authenticate(self, method_id: str) -> Any:
        return await self.request("authenticate", {"methodId": method_id})

    async def logout(self) -> Any:
        return await self.request("logout", {})

    def _view(self, session_id: str) -> SessionView:
        return self.sessions.setdefault(session_id, SessionView(session_id))

    async def new_session(
        self, cwd: str | None = None, mcp_servers: list[dict[str, Any]] | None = None, **extra: Any
    ) -> dict[str, Any]:
        result = dict(
            await self.request(
                "session/new", {"cwd": cwd or self.cwd, "mcpServers": mcp_servers or [], **extra}
            )
        )
        view = self._view(str(result["sessionId"]))
        view.config_options = list(result.get("configOptions") or [])
        view.mode = (result.get("modes") or {}).get("currentModeId")
        return result

    async def load_session(
        self,
        session_id: str,
        cwd: str | None = None,
        mcp_servers: list[dict[str, Any]] | None = None,
    ) -> Any:
        return await self.request(
            "session/load",
            {"sessionId": session_id, "cwd": cwd or self.cwd, "mcpServers": mcp_servers or []},
        )

    async def resume_session(self, session_id: str, cwd: str | None = None) -> Any:
        return await self.request(
            "session/resume", {"sessionId": session_id, "cwd": cwd or self.cwd, "mcpServers": []}
        )

    async def fork_session(self, session_id: str, cwd: str | None = None) -> Any:
        return await self.request(
            "session/fork", {"sessionId": session_id, "cwd": cwd or self.cwd, "mcpServers": []}
        )

    async def close_session(self, session_id: str) -> Any:
        return await self.request("session/close", {"sessionId": session_id})

    async def delete_session(self, session_id: str) -> Any:
        return await self.request("session/delete", {"sessionId": session_id})

    async def list_sessions(self, cwd: str | None = None, cursor: str | None = None) -> Any:
        params: dict[str, Any] = {}
        if cwd:
            params["cwd"] = cwd
        if cursor:
            params["cursor"] = cursor
        return await self.request("session/list", params)

    async def prompt(
        self, session_id: str, text: str | list[dict[str, Any]], timeout: float | None = None
    ) -> dict[str, Any]:
        blocks = [{"type": "text", "text": text}] if isinstance(text, str) else text
        return dict(
            await self.request(
                "session/prompt", {"sessionId": session_id, "prompt": blocks}, timeout=timeout
            )
        )

    async def cancel(self, session_id: str) -> None:
        await self.notify("session/cancel", {"sessionId": session_id})

    async def set_mode(self, session_id: str, mode_id: str) -> Any:
        return await self.request("session/set_mode", {"sessionId": session_id, "modeId": mode_id})

    async def set_config_option(self, session_id: str, config_id: str, value: str | bool) -> Any:
        params: dict[str, Any] = {"sessionId": session_id, "configId": config_id, "value": value}
        if isinstance(value, bool):
            params["type"] = "boolean"
        result = await self.request("session/set_config_option", params)
        self._view(session_id).config_options = list(result.get("configOptions") or [])
        return result

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        async def loop() -> None:
            while not predicate():
                self._updated.clear()
                await self._updated.wait()

        await asyncio.wait_for(loop(), timeout)


def memory_connection(
    cwd: str, capabilities: ClientCapabilities | None = None
) -> tuple[ClientConnection, tuple[Any, Any]]:
    """A client over memory pipes; returns it and the agent's (reader, writer) end."""
    (client_reader, client_writer), agent_end = memory_pipe()
    return ClientConnection.over(
        client_reader, client_writer, cwd=cwd, capabilities=capabilities
    ), agent_end
