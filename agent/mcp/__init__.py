"""MCP servers as namespaced tools. The `mcp` SDK loads only when a session
actually has servers."""

from agent.mcp.connection import Connection, McpServerSpec, ServerStatus, ToolDef, sanitise
from agent.mcp.hub import McpAttachment, McpHub
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
