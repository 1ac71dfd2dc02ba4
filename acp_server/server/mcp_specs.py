"""ACP `McpServer` entries plus the user's configured servers, as hub specs;
and a session's MCP servers as the rows `/mcp` shows."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from acp_server.config import Config
    from agent.mcp import McpAttachment, McpServerSpec
    from protocol import schema as acp

log = logging.getLogger("acp_server")


def mcp_specs(servers: list[acp.McpServer] | None, config: Config, cwd: str) -> list[McpServerSpec]:
    """The client's servers first, then the configured ones. Without any, the
    MCP modules stay unimported."""
    if not servers and not config.mcp_servers:
        return []
    from agent.mcp import McpServerSpec

    specs = []
    for server in servers or []:
        kind = (server.type or "stdio").lower()
        name = server.name or "server"
        if kind == "stdio":
            env = tuple((e.name, e.value) for e in server.env or [])
            specs.append(
                McpServerSpec(
                    name,
                    "stdio",
                    command=server.command,
                    args=tuple(server.args or ()),
                    env=env,
                    cwd=cwd,
                )
            )
        elif kind in ("http", "sse"):
            headers = tuple((h.name, h.value) for h in server.headers or [])
            specs.append(
                McpServerSpec(
                    name, "http" if kind == "http" else "sse", url=server.url, headers=headers
                )
            )
        else:
            log.warning("MCP server %s uses unsupported transport %s", server.name, kind)
    for name, settings in config.mcp_servers.items():
        if settings.command:
            specs.append(
                McpServerSpec(
                    name,
                    "stdio",
                    command=settings.command,
                    args=settings.args,
                    env=settings.env,
                    cwd=cwd,
                )
            )
        else:
            specs.append(
                McpServerSpec(name, settings.transport, url=settings.url, headers=settings.headers)
            )
    return specs


def status_rows(attachment: McpAttachment | None) -> list[dict[str, object]]:
    if attachment is None:
        return []
    return [
        {
            "name": st.name,
            "transport": st.transport,
            "state": st.state,
            "error": st.error,
            "tools": st.tool_count,
        }
        for st in attachment.status()
    ]


__all__ = ["mcp_specs", "status_rows"]
