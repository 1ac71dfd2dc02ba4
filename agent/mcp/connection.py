"""One MCP server connection, on the official `mcp` SDK (imported lazily), and
the plain data around it: server specs, tool definitions, status.

- One long-lived owner task per connection enters and exits the SDK's
  contexts: the SDK refuses to close a connection from another task.
- Failures are never silent: a server that cannot start, or dies, produces an
  error Notice with its name, transport, the error and its stderr tail.
- Env values and headers are never logged.
- No stdio server outlives the agent: closing stops it (the SDK closes its
  stdin, then kills its group), and where the agent dies first, the reaper
  kills its group (see agent/reaper.py and `_watched`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from agent.events import Notice

log = logging.getLogger("agent.mcp")
SHUTDOWN_SECONDS = 1.0
KILL_GRACE_SECONDS = 0.5
NoticeSink = Callable[[Notice], None]
State = Literal["connecting", "ready", "failed", "closed"]


@dataclass(frozen=True, slots=True)
class McpServerSpec:
    name: str
    transport: Literal["stdio", "http", "sse"] = "stdio"
    command: str | None = None
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    cwd: str | None = None
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def where(self) -> str:
        return self.url or self.command or "?"


@dataclass(frozen=True, slots=True)
class ToolDef:
    name: str
    description: str
    input_schema: dict[str, object]  # a JSON Schema object
    read_only: bool


@dataclass(frozen=True, slots=True)
class ServerStatus:
    name: str
    transport: str
    state: State
    error: str | None
    tool_count: int

    def __getitem__(self, key: str) -> object:  # lets `/mcp` treat it like a row
        return {"tools": self.tool_count}.get(key, getattr(self, key, None))


def sanitise(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name) or "server"


class Connection:
    """One MCP server connection, owned by one task."""

    def __init__(self, spec: McpServerSpec, call_timeout: float) -> None:
        self.spec = spec
        self.call_timeout = call_timeout
        self.state: State = "connecting"
        self.error: str | None = None
        self.tools: list[ToolDef] = []
        self.session: Any = None
        self.ready = asyncio.Event()
        self.references = 0
        self.listeners: list[NoticeSink] = []
        self._close = asyncio.Event()
        # Closed in close(): it outlives this method, so no context manager.
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        self._owner = asyncio.create_task(self._own(), name=f"mcp-{spec.name}")

    def _notify(self, notice: Notice) -> None:
        for listener in list(self.listeners):
            listener(notice)

    def stderr_tail(self, lines: int = 20) -> str:
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            kept = [x for x in self._stderr.read().splitlines() if not x.startswith(_PID_LINE)]
            return "\n".join(kept[-lines:])
        except (OSError, ValueError):
            return ""

    def fail(self, error: str) -> None:
        if self.state == "failed":
            return
        self.state, self.error = "failed", error
        tail = self.stderr_tail() if self.spec.transport == "stdio" else ""
        text = (
            f"MCP server {self.spec.name} ({self.spec.transport} {self.spec.where}) failed: {error}"
        )
        log.warning("%s", text)
        self._notify(Notice("error", text + (f"\nstderr:\n{tail}" if tail else "")))

    async def _own(self) -> None:
        try:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await self._open(stack)
                from mcp import ClientSession

                session = await stack.enter_async_context(ClientSession(read, write))
                await session.initialize()
                self.tools = await self._list_tools(session)
                self.session, self.state = session, "ready"
                self.ready.set()
                self._notify(
                    Notice(
                        "info", f"MCP server {self.spec.name} connected: {len(self.tools)} tool(s)"
                    )
                )
                await self._close.wait()
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # the SDK raises exception groups from its task groups
            self.fail(_describe(error))
        finally:
            if self.state != "failed":
                self.state = "closed"
            self.session = None
            self.ready.set()

    async def _open(self, stack: contextlib.AsyncExitStack) -> tuple[Any, Any]:
        spec = self.spec
        if spec.transport == "stdio":
            import os

            from mcp.client.stdio import StdioServerParameters, stdio_client

            env = {**os.environ, **dict(spec.env)}
            command, args = _watched(spec.command or "", list(spec.args), env, spec.cwd)
            params = StdioServerParameters(command=command, args=args, env=env, cwd=spec.cwd)
            return await stack.enter_async_context(stdio_client(params, errlog=self._stderr))
        if spec.transport == "http":
            import httpx2
            from mcp.client.streamable_http import streamable_http_client

            client = await stack.enter_async_context(
                httpx2.AsyncClient(headers=dict(spec.headers), timeout=httpx2.Timeout(30, read=300))
            )
            streams = await stack.enter_async_context(
                streamable_http_client(spec.url or "", http_client=client)
            )
            return streams[0], streams[1]
        from mcp.client.sse import sse_client

        streams = await stack.enter_async_context(
            sse_client(spec.url or "", headers=dict(spec.headers))
        )
        return streams[0], streams[1]

    @staticmethod
    async def _list_tools(session: Any) -> list[ToolDef]:
        tools: list[ToolDef] = []
        cursor = None
        while True:
            from mcp import types

            page = await session.list_tools(
                params=types.PaginatedRequestParams(cursor=cursor) if cursor else None
            )
            for tool in page.tools:
                annotations = getattr(tool, "annotations", None)
                read_only = bool(
                    (annotations and getattr(annotations, "read_only_hint", None))
                    or getattr(annotations, "readOnlyHint", None)
                )
                schema = (
                    getattr(tool, "input_schema", None)
                    or getattr(tool, "inputSchema", None)
                    or {"type": "object"}
                )
                tools.append(ToolDef(tool.name, tool.description or "", dict(schema), read_only))
            cursor = getattr(page, "next_cursor", None) or getattr(page, "nextCursor", None)
            if not cursor:
                return tools

    async def call(self, tool: str, arguments: dict[str, object]) -> object:
        if self.session is None:
            raise ConnectionError(
                f"MCP server {self.spec.name} is {self.state}"
                + (f": {self.error}" if self.error else "")
            )
        try:
            return await asyncio.wait_for(
                self.session.call_tool(tool, arguments), self.call_timeout
            )
        except TimeoutError:
            raise TimeoutError(
                f"MCP tool {self.spec.name}/{tool} did not answer in {self.call_timeout:g} s"
            ) from None
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if (
                self._owner.done()
                or isinstance(error, (ConnectionError, EOFError))
                or "closed" in str(error).lower()
            ):
                self.fail(f"the connection was lost during {tool}: {_describe(error)}")
            raise

    async def close(self, timeout: float = 5.0) -> None:
        self._close.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._owner), timeout)
        except (TimeoutError, Exception):
            # The SDK's own shutdown escalates over seconds (stdin closed, then
            # SIGTERM, then SIGKILL), shielded from cancellation: past our bound,
            # the server's group is killed here, and the SDK sees it gone.
            self._kill_server()
            await asyncio.wait({self._owner}, timeout=KILL_GRACE_SECONDS)
            if not self._owner.done():
                self._owner.cancel()
                await asyncio.wait({self._owner}, timeout=KILL_GRACE_SECONDS)
        self._stderr.close()

    def _kill_server(self) -> None:
        """SIGKILL the stdio server's group, found by the pid its wrapper wrote
        first on stderr. The SDK has not reaped the process yet (its owner task
        still runs), so the pid cannot belong to anyone else."""
        if self.spec.transport != "stdio":
            return
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            first = self._stderr.readline()
            self._stderr.seek(0, 2)  # the offset is shared with the server's writes
        except (OSError, ValueError):
            return
        if first.startswith(_PID_LINE) and first[len(_PID_LINE) :].strip().isdigit():
            import os
            import signal

            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(int(first[len(_PID_LINE) :]), signal.SIGKILL)


# The wrapper registers the server's process group with the reaper before the
# server runs (see agent/reaper.py), then becomes the server: same pid, same
# argv. The SDK starts it in a session of its own, so its pid is the group's id.
# It also writes its pid first on stderr, so a close that runs out of time can
# kill the group itself. "$0" is the lifeline's path, or empty without one.
_PID_LINE = "acp-server: MCP server pid "
_REGISTERED = f'echo "{_PID_LINE}$$" >&2; [ -z "$0" ] || echo "+$$" 2>/dev/null 1<>"$0"; exec "$@"'


def _watched(
    command: str, args: list[str], env: dict[str, str], cwd: str | None
) -> tuple[str, list[str]]:
    """The command line that starts a stdio server through the wrapper above,
    so the reaper kills its whole group (npx and its node child, say) if the
    agent dies without closing it. Registered only where the lifeline has a
    path (/proc); left unwrapped when the command does not resolve, which the
    SDK reports more clearly than a shell would."""
    import os
    import shutil

    from agent.reaper import lifeline

    if "/" in command:
        found = os.access(os.path.join(cwd or os.getcwd(), command), os.X_OK)
    else:
        found = shutil.which(command, path=env.get("PATH")) is not None
    if not found:
        return command, args
    return "/bin/sh", ["-c", _REGISTERED, lifeline().proc_path() or "", command, *args]


def _describe(error: BaseException) -> str:
    inner = getattr(error, "exceptions", None)
    if inner:
        return "; ".join(_describe(e) for e in inner)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
