"""`ClientConnection`: speak ACP to any agent, as an editor would.

It advertises exactly the capabilities it is given and serves only those
methods: anything else the agent calls gets -32601 and is recorded as a
violation in `unadvertised_calls`. Likewise a `notice` or compaction update
for a client that did not opt in to it (`session.notices`,
`session.compaction`) is recorded in `unadvertised_updates`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from editor_clients.client.accumulator import SessionView
from editor_clients.client.handlers import LocalFiles, LocalTerminals, PermissionPolicy
from protocol import Endpoint, Route, RpcError, SpawnedProcess, memory_pipe, spawn_process
from protocol.endpoint import ByteReader, ByteWriter
from protocol.json_types import JsonObject, JsonValue, as_object, get_list, get_object

FrameCallback = Callable[[str, JsonObject], None]  # ("client->agent" | "agent->client", frame)
#: A handler of one method the agent may call on the client.
Served = Callable[[JsonObject], Awaitable[JsonObject]]

# session/update kind -> the `clientCapabilities.session` opt-in it needs
GATED_UPDATES = {
    "notice": "notices",
    "compaction_update": "compaction",
    "compaction_summary_chunk": "compaction",
}


@dataclass(frozen=True)
class ClientCapabilities:
    fs_read: bool = True
    fs_write: bool = True
    terminal: bool = True
    auth_terminal: bool = False
    elicitation: bool = False
    notices: bool = False  # session.notices: `notice` updates are presented
    compaction: bool = False  # session.compaction: compaction updates are presented

    def to_wire(self) -> JsonObject:
        caps: JsonObject = {
            "fs": {"readTextFile": self.fs_read, "writeTextFile": self.fs_write},
            "terminal": self.terminal,
        }
        if self.auth_terminal:
            caps["auth"] = {"terminal": True}
        if self.elicitation:
            caps["elicitation"] = {"form": {}}
        session: JsonObject = {name: {} for name in self.session_opt_ins()}
        if session:
            caps["session"] = session
        return caps

    def session_opt_ins(self) -> list[str]:
        """The `clientCapabilities.session` keys advertised."""
        return [name for name in ("notices", "compaction") if getattr(self, name)]

    def accepts_update(self, kind: object) -> bool:
        """May the agent send an update of `kind` to this client?"""
        needed = GATED_UPDATES.get(str(kind))
        return needed is None or needed in self.session_opt_ins()


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
    unadvertised_updates: list[str] = field(default_factory=list)  # "kind for session"
    frames: list[tuple[float, str, JsonObject]] = field(default_factory=list)
    on_update: Callable[[str, JsonObject], None] | None = None
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
        frames: list[tuple[float, str, JsonObject]] = []

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
        served: dict[str, tuple[bool, Served]] = {
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

    def _refuse(self, method: str) -> Served:
        async def refuse(params: JsonObject) -> JsonObject:
            self.unadvertised_calls.append(method)
            raise RpcError.method_not_found(method)

        return refuse

    async def _decline_elicitation(self, params: JsonObject) -> JsonObject:
        return {"action": "decline"}

    async def _on_update(self, params: JsonObject) -> None:
        session_id = str(params.get("sessionId"))
        view = self.sessions.setdefault(session_id, SessionView(session_id))
        update = as_object(params.get("update"))
        kind = update.get("sessionUpdate")
        if not self.capabilities.accepts_update(kind):
            self.unadvertised_updates.append(f"{kind} for session {session_id}")
        view.apply(update)
        if self.on_update is not None:
            self.on_update(session_id, update)
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

    async def request(
        self, method: str, params: object = None, timeout: float | None = 60
    ) -> JsonValue:
        return await self.endpoint.request(
            method, params if params is not None else {}, timeout=timeout
        )

    async def _call(self, method: str, params: object, timeout: float | None = 60) -> JsonObject:
        # The methods below whose result the schema makes an object, read as one.
        result = await self.request(method, params, timeout)
        if not isinstance(result, dict):
            raise TypeError(f"{method} answered {type(result).__name__}, not an object")
        return result

    async def notify(self, method: str, params: object = None) -> None:
        await self.endpoint.notify(method, params if params is not None else {})

    async def initialize(self, protocol_version: int = 1, **extra: JsonValue) -> JsonObject:
        params: JsonObject = {
            "protocolVersion": protocol_version,
            "clientCapabilities": self.capabilities.to_wire(),
            "clientInfo": {"name": "acp-client", "version": "0.1.0"},
            **extra,
        }
        return await self._call("initialize", params)

    async def authenticate(self, method_id: str) -> JsonValue:
        return await self.request("authenticate", {"methodId": method_id})

    async def logout(self) -> JsonValue:
        return await self.request("logout", {})

    def _view(self, session_id: str) -> SessionView:
        return self.sessions.setdefault(session_id, SessionView(session_id))

    async def new_session(
        self,
        cwd: str | None = None,
        mcp_servers: Sequence[Mapping[str, object]] | None = None,
        **extra: JsonValue,
    ) -> JsonObject:
        result = await self._call(
            "session/new", {"cwd": cwd or self.cwd, "mcpServers": mcp_servers or [], **extra}
        )
        view = self._view(str(result["sessionId"]))
        view.config_options = _options(result)
        mode = get_object(result, "modes").get("currentModeId")
        view.mode = mode if isinstance(mode, str) else None
        return result

    async def load_session(
        self,
        session_id: str,
        cwd: str | None = None,
        mcp_servers: Sequence[Mapping[str, object]] | None = None,
    ) -> JsonValue:
        return await self.request(
            "session/load",
            {"sessionId": session_id, "cwd": cwd or self.cwd, "mcpServers": mcp_servers or []},
        )

    async def resume_session(self, session_id: str, cwd: str | None = None) -> JsonValue:
        return await self.request(
            "session/resume", {"sessionId": session_id, "cwd": cwd or self.cwd, "mcpServers": []}
        )

    async def fork_session(self, session_id: str, cwd: str | None = None) -> JsonObject:
        return await self._call(
            "session/fork", {"sessionId": session_id, "cwd": cwd or self.cwd, "mcpServers": []}
        )

    async def close_session(self, session_id: str) -> JsonValue:
        return await self.request("session/close", {"sessionId": session_id})

    async def delete_session(self, session_id: str) -> JsonValue:
        return await self.request("session/delete", {"sessionId": session_id})

    async def list_sessions(self, cwd: str | None = None, cursor: str | None = None) -> JsonObject:
        params: JsonObject = {}
        if cwd:
            params["cwd"] = cwd
        if cursor:
            params["cursor"] = cursor
        return await self._call("session/list", params)

    async def prompt(
        self,
        session_id: str,
        text: str | Sequence[Mapping[str, object]],
        timeout: float | None = None,
    ) -> JsonObject:
        blocks = [{"type": "text", "text": text}] if isinstance(text, str) else text
        return await self._call(
            "session/prompt", {"sessionId": session_id, "prompt": blocks}, timeout=timeout
        )

    async def cancel(self, session_id: str) -> None:
        await self.notify("session/cancel", {"sessionId": session_id})

    async def set_mode(self, session_id: str, mode_id: str) -> JsonValue:
        return await self.request("session/set_mode", {"sessionId": session_id, "modeId": mode_id})

    async def set_config_option(
        self, session_id: str, config_id: str, value: str | bool
    ) -> JsonObject:
        params: JsonObject = {"sessionId": session_id, "configId": config_id, "value": value}
        if isinstance(value, bool):
            params["type"] = "boolean"
        result = await self._call("session/set_config_option", params)
        self._view(session_id).config_options = _options(result)
        return result

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        async def loop() -> None:
            while not predicate():
                self._updated.clear()
                await self._updated.wait()

        await asyncio.wait_for(loop(), timeout)


def memory_connection(
    cwd: str, capabilities: ClientCapabilities | None = None
) -> tuple[ClientConnection, tuple[ByteReader, ByteWriter]]:
    """A client over memory pipes; returns it and the agent's (reader, writer) end."""
    (client_reader, client_writer), agent_end = memory_pipe()
    return ClientConnection.over(
        client_reader, client_writer, cwd=cwd, capabilities=capabilities
    ), agent_end


def _options(result: JsonObject) -> list[JsonObject]:
    return [option for option in get_list(result, "configOptions") if isinstance(option, dict)]
