"""A tiny stdio MCP server (stdlib only) shipped with the kit, so MCP-001 needs
no MCP SDK. One tool, `echo`. The marker file given as argv[1] gets a line
`connected` on initialize and a line `called: TEXT` for each tool call, so the
kit can tell an agent that never started the server from one that never used it.

    python -m editor_clients.conformance.mcp_stub MARKER
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the stub itself runs on the standard library alone
    from protocol.json_types import JsonObject


def _mark(marker: str | None, line: str) -> None:
    if marker:
        with open(marker, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def _object(value: object) -> JsonObject:
    return value if isinstance(value, dict) else {}


def answer(message: JsonObject, marker: str | None) -> JsonObject | None:
    """The reply to one MCP message, or None for a notification. Shared with the
    HTTP and SSE servers in `mcp_http_stub`."""
    method, ident = message.get("method"), message.get("id")
    if ident is None:
        return None  # notifications (initialized, cancelled)
    if method == "initialize":
        _mark(marker, "connected")
        result: JsonObject = {
            "protocolVersion": _object(message.get("params")).get("protocolVersion", "2025-06-18"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "conformance-kit", "version": "1"},
        }
    elif method == "tools/list":
        schema: JsonObject = {"type": "object", "properties": {"text": {"type": "string"}}}
        result = {
            "tools": [{"name": "echo", "description": "Echo text back", "inputSchema": schema}]
        }
    elif method == "tools/call":
        text = str(_object(_object(message.get("params")).get("arguments")).get("text", ""))
        _mark(marker, f"called: {text}")
        result = {"content": [{"type": "text", "text": text}], "isError": False}
    elif method == "ping":
        result = {}
    else:
        error: JsonObject = {"code": -32601, "message": f"unknown {method}"}
        return {"jsonrpc": "2.0", "id": ident, "error": error}
    return {"jsonrpc": "2.0", "id": ident, "result": result}


def main() -> None:
    marker = sys.argv[1] if len(sys.argv) > 1 else None
    for raw in sys.stdin:
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        reply = answer(message, marker) if isinstance(message, dict) else None
        if reply is not None:
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
