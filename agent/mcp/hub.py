"""A session's MCP servers as namespaced tools (see `agent.mcp.connection`).

- `attach()` connects a session's servers concurrently and returns after all
  are ready or `connect_timeout` passed; slow servers keep connecting in the
  background and their tools appear when ready, announced with a Notice.
- Identical specs shared by sessions are reference-counted: one connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from agent.events import Notice
from agent.mcp.connection import (
    SHUTDOWN_SECONDS,
    Connection,
    McpServerSpec,
    NoticeSink,
    ServerStatus,
    sanitise,
)
from agent.mcp.tool import McpTool
from agent.tools.api import Tool


class McpAttachment:
    """A session's view of its MCP servers; a ToolSource for the engine."""

    def __init__(
        self, hub: McpHub, connections: list[tuple[str, Connection]], sink: NoticeSink | None
    ) -> None:
        self._hub = hub
        self.connections = connections
        self._sink = sink

    def tools(self) -> Sequence[Tool]:
        out: list[Tool] = []
        for prefix, connection in self.connections:
            if connection.state == "ready":
                out += [McpTool(prefix, connection, definition) for definition in connection.tools]
        return out

    def status(self) -> list[ServerStatus]:
        return [
            ServerStatus(c.spec.name, c.spec.transport, c.state, c.error, len(c.tools))
            for _, c in self.connections
        ]

    async def close(self) -> None:
        for _, connection in self.connections:
            if self._sink is not None and self._sink in connection.listeners:
                connection.listeners.remove(self._sink)
            await self._hub.release(connection)
        self.connections = []


class McpHub:
    def __init__(self, connect_timeout: float = 10.0, call_timeout: float = 120.0) -> None:
        self.connect_timeout = connect_timeout
        self.call_timeout = call_timeout
        self._connections: dict[McpServerSpec, Connection] = {}

    async def attach(
        self, specs: Sequence[McpServerSpec], on_notice: NoticeSink | None = None
    ) -> McpAttachment:
        connections: list[tuple[str, Connection]] = []
        seen: dict[str, int] = {}
        for spec in specs:
            connection = self._connections.get(spec)
            if connection is None or connection.state in ("failed", "closed"):
                connection = Connection(spec, self.call_timeout)
                self._connections[spec] = connection
            connection.references += 1
            if on_notice is not None:
                connection.listeners.append(on_notice)
            base = sanitise(spec.name)
            seen[base] = seen.get(base, 0) + 1
            # Deterministic: in spec order, later clashes become name_2, name_3, ...
            prefix = base if seen[base] == 1 else f"{base}_{seen[base]}"
            connections.append((prefix, connection))
        waits = [asyncio.create_task(c.ready.wait()) for _, c in connections]
        if waits:
            _, pending = await asyncio.wait(waits, timeout=self.connect_timeout)
            for task in pending:
                task.cancel()
            if pending and on_notice is not None:
                slow = [c.spec.name for _, c in connections if not c.ready.is_set()]
                on_notice(
                    Notice(
                        "warning",
                        f"MCP server(s) still connecting: {', '.join(slow)}; their tools appear when ready",
                    )
                )
        return McpAttachment(self, connections, on_notice)

    async def release(self, connection: Connection) -> None:
        connection.references -= 1
        if connection.references <= 0:
            if self._connections.get(connection.spec) is connection:
                del self._connections[connection.spec]
            await connection.close()

    async def aclose(self, timeout: float = SHUTDOWN_SECONDS) -> None:
        """Close every connection at once, each given `timeout`: the agent's
        exit waits for this. A server still running then is killed with its
        group by the reaper when the agent exits."""
        connections = list(self._connections.values())
        self._connections.clear()
        await asyncio.gather(*(c.close(timeout) for c in connections))
