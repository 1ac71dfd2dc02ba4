"""`acp-server` with no subcommand: the stdio ACP agent editors launch.

stdout carries protocol frames only, from the first byte: the protocol gets a
private copy of fd 1 and fd 1 itself points at stderr. Nothing heavy is
imported before `initialize` is answered.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from acp_server import __version__


def parse_server_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="acp-server", description="ACP agent on stdio (launched by your editor)."
    )
    parser.add_argument(
        "--model", help="model id, e.g. openai:gpt-4.1, anthropic:claude-sonnet-4-5, or scripted"
    )
    parser.add_argument(
        "--mode",
        choices=["ask", "accept-edits", "read-only", "yolo"],
        help="permission mode for new sessions",
    )
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING (default) or ERROR")
    parser.add_argument(
        "--max-line-bytes", type=int, default=None, help="largest accepted frame (default 50 MB)"
    )
    parser.add_argument("--version", action="version", version=f"acp-server {__version__}")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> int:
    from acp_server.config import ConfigError, load_config
    from acp_server.home import HomeError, ensure_home, resolve_home
    from acp_server.logs import configure_logging
    from acp_server.server.app import AgentServer
    from protocol import DEFAULT_MAX_LINE_BYTES, Endpoint, open_stdio

    reader, writer = await open_stdio()
    home = None
    problem = None
    try:
        home = ensure_home(resolve_home())
    except (HomeError, OSError) as error:
        problem = str(error)
    flags = {
        "model": args.model,
        "logging.level": args.log_level,
        "permissions.default_mode": args.mode,
    }
    try:
        config = load_config(home, flags=flags)
    except ConfigError as error:
        from acp_server.config import Config

        problem, config = f"configuration error: {error}", Config()
    configure_logging(home, config.logging.level, stderr_level=args.log_level)
    if problem:
        print(f"acp-server: {problem}", file=sys.stderr)
    server = AgentServer(config, home)
    requests, notifications = server.routes()
    endpoint = Endpoint(
        reader,
        writer,
        requests=requests,
        notifications=notifications,  # type: ignore[arg-type]
        max_line_bytes=args.max_line_bytes or DEFAULT_MAX_LINE_BYTES,
        name="acp",
    )
    server.endpoint = endpoint
    try:
        await endpoint.run()
    finally:
        await server.shutdown()
    return 0


def run_stdio(argv: list[str]) -> int:
    args = parse_server_args(argv)
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    try:
        return asyncio.run(serve(args))
    except KeyboardInterrupt:
        return 130
