"""MCP servers as namespaced tools. The `mcp` SDK loads only when a session
actually has servers."""

from agent.mcp.hub import (
    Connection,
    McpAttachment,
    McpHub,
    McpServerSpec,
    ServerStatus,
    ToolDef,
    sanitise,
)
from agent.mcp.tool import McpTool

__all__ = [
    "Connection",
    "McpAttachment",
    "McpHub",
    "McpServerSpec",
    "McpTool",
    "ServerStatus",
    "ToolDef",
    "sanitise",
]
