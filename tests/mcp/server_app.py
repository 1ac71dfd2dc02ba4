"""A real MCP server on the SDK's server side, for the MCP tests.

    python tests/mcp/server_app.py stdio [MARKER_DIR]
    python tests/mcp/server_app.py http|sse PORT [MARKER_DIR]

Tools: echo, add, slow (records cancellation), image, fail (isError),
peek (read-only; reports the X-Test header it received over HTTP), crash.
"""

from __future__ import annotations

import asyncio
import base64
import os
import sys
from pathlib import Path

from mcp.server import MCPServer
from mcp.types import ImageContent, ToolAnnotations

server = MCPServer("test-server")
MARKERS = Path(
    sys.argv[3]
    if sys.argv[1] != "stdio" and len(sys.argv) > 3
    else sys.argv[2]
    if sys.argv[1] == "stdio" and len(sys.argv) > 2
    else os.getcwd()
)
PIXEL = base64.b64encode(b"\x89PNG\r\n\x1a\n fake").decode()


@server.tool()
def echo(text: str) -> str:
    """Echo the text back."""
    (MARKERS / "echo-called").write_text(text)
    return text


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
async def slow(seconds: float = 30) -> str:
    """Sleep, recording whether the call was cancelled."""
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        (MARKERS / "slow-cancelled").write_text("yes")
        raise
    return "slept"


@server.tool()
def image() -> ImageContent:
    """Return a tiny image."""
    return ImageContent(type="image", data=PIXEL, mime_type="image/png")


@server.tool()
def fail() -> str:
    """Always fails."""
    raise ValueError("this tool always fails")


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def peek() -> str:
    """Read-only: says hello."""
    return "peeked"


@server.tool()
def crash() -> str:
    """Kill this server process."""
    print("about to crash: goodbye", file=sys.stderr, flush=True)
    os._exit(3)


if __name__ == "__main__":
    transport = sys.argv[1]
    if transport == "stdio":
        print("test server starting on stdio", file=sys.stderr, flush=True)
        server.run("stdio")
    else:
        import uvicorn

        app = server.streamable_http_app() if transport == "http" else server.sse_app()
        uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
