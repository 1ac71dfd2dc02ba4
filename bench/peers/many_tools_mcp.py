"""A stdio MCP server (the `mcp` SDK's server side) with N tools, for the scaling table.

python bench/peers/many_tools_mcp.py N
"""

from __future__ import annotations

import sys

from mcp.server import MCPServer


def _tool(index: int):  # type: ignore[no-untyped-def]
    def tool(text: str, repeat: int = 1) -> str:
        return f"{index}:" + text * repeat

    return tool


def main() -> None:
    server = MCPServer("many-tools")
    for index in range(int(sys.argv[1])):
        server.add_tool(
            _tool(index),
            name=f"tool_{index:03d}",
            description=f"Tool number {index}: returns its text, repeated.",
        )
    server.run("stdio")


if __name__ == "__main__":
    main()
