"""`acp-server` with no subcommand: the stdio ACP agent editors launch.

stdout carries protocol frames only, from the first byte: the protocol gets a
private copy of fd 1 and fd 1 itself points at stderr. Nothing heavy is
imported before `initialize` is answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from typing import TYPE_CHECKING, cast

from acp_server import __version__

if TYPE_CHECKING:
    from collections.abc import Mapping

    from acp_server.config import Config
    from acp_server.config_report import ConfigProblem
    from acp_server.server.config_files import ConfigFiles
    from protocol.endpoint import ByteReader, ByteWriter

_VALUE_FLAGS = {
    "--model": "model",
    "--mode": "mode",
    "--log-level": "log_level",
    "--max-line-bytes": "max_line_bytes",
}
# Spelled out rather than read from agent/policy.py, which would load the
# permission policy before the initialize reply; a test holds the two equal.
_MODES = ("ask", "accept-edits", "read-only", "yolo")


class ServerArgs:
    def __init__(self) -> None:
        self.model: str | None = None
        self.mode: str | None = None
        self.log_level: str | None = None
        self.max_line_bytes: int | None = None


class UsageError(Exception):
    pass


def parse_server_args(argv: list[str]) -> ServerArgs:
    """A small hand parser: argparse alone costs ~15 ms of every editor start."""
    args = ServerArgs()
    items = iter(argv)
    for item in items:
        flag, eq, inline = item.partition("=")
        if flag not in _VALUE_FLAGS:
            raise UsageError(f"unknown option {item!r}; see `acp-server --help`")
        value = inline if eq else next(items, None)
        if value is None:
            raise UsageError(f"{flag} needs a value")
        setattr(args, _VALUE_FLAGS[flag], value)
    if args.mode is not None and args.mode not in _MODES:
        raise UsageError(f"--mode must be one of {', '.join(_MODES)}")
    if args.max_line_bytes is not None:
        try:
            args.max_line_bytes = int(args.max_line_bytes)
        except ValueError:
            raise UsageError("--max-line-bytes must be an integer") from None
    return args


HELP = f"""usage: acp-server [--model ID] [--mode MODE] [--log-level LEVEL] [--max-line-bytes N]
       acp-server COMMAND ...   (see `acp-server help`)

acp-server {__version__}: an Agent Client Protocol agent on stdio, launched by your editor.

  --model ID          e.g. openai:gpt-4.1, anthropic:claude-sonnet-4-5, ollama:qwen3, or scripted
  --mode MODE         permission mode for new sessions: {", ".join(_MODES)}
  --log-level LEVEL   DEBUG, INFO, WARNING (default) or ERROR; also ACP_SERVER_LOG_LEVEL
  --max-line-bytes N  largest accepted frame (default 50 MB)
"""


class ConfigSetup:
    """Home, logging and config, set up when the first session needs them
    (after `initialize` has been answered) and re-read for each new session
    when a file they come from changed (see config_files.py)."""

    def __init__(self, args: ServerArgs) -> None:
        self.args = args
        self.flags: dict[str, object] = {
            "model": args.model,
            "logging.level": args.log_level,
            "permissions.default_mode": args.mode,
        }
        # The last full setup: where the home came from, what it read, and
        # what it produced.
        self._cached: tuple[tuple[str | None, str | None], ConfigFiles, Config, str] | None = None
        #: what the last setup refused (see acp_server/config_report.py)
        self.problem: ConfigProblem | None = None

    def __call__(self) -> tuple[Config, str | None]:
        where = (os.environ.get("ACP_SERVER_HOME"), os.environ.get("HOME"))
        cached = self._cached
        if cached is not None and cached[0] == where and not cached[1].changed():
            return cached[2], cached[3]
        self.close()
        from acp_server.config import ConfigError, load_config
        from acp_server.server.config_files import ConfigFiles

        args = self.args
        level = args.log_level or os.environ.get("ACP_SERVER_LOG_LEVEL")
        home = _usable_home(level, args.log_level)
        marks = ConfigFiles(home)  # before reading: an edit made meanwhile shows next time
        try:
            config = load_config(home, flags=self.flags)
        except ConfigError as error:
            _configure_logging(home, level, args.log_level)
            logging.getLogger("acp_server").error("configuration error, using defaults: %s", error)
            config, self.problem = _usable_part(home, self.flags, error)
            return config, home
        self.problem = None
        _configure_logging(home, level or config.logging.level, args.log_level)
        self._cached = (where, marks, config, home)
        # From the next turn of the loop on, after this reply has gone out.
        asyncio.get_running_loop().call_soon(marks.watch)
        return config, home

    def close(self) -> None:
        if self._cached is not None:
            self._cached[1].close()
        self._cached = None


def _usable_part(
    home: str, flags: Mapping[str, object], error: Exception
) -> tuple[Config, ConfigProblem]:
    """What can be used when loading failed: the flags and the environment
    without config.yaml when the file is at fault, else the defaults."""
    from acp_server.config import Config, ConfigError, load_config
    from acp_server.config_report import ConfigProblem

    try:
        config = load_config(None, flags=flags)
    except ConfigError:
        return Config(), ConfigProblem(str(error), None)
    return config, ConfigProblem(str(error), os.path.join(home, "config.yaml"))


async def serve(args: ServerArgs) -> int:
    from acp_server.correlation import bind_ids
    from acp_server.server.app import AgentServer
    from acp_server.server.signals import GracefulStop
    from protocol import DEFAULT_MAX_LINE_BYTES, Endpoint, open_stdio

    reader, writer = await open_stdio()
    setup = ConfigSetup(args)
    bind_ids(connection=f"{os.getpid()}-{os.urandom(3).hex()}")  # inherited by every handler task
    server = AgentServer(None, None, setup=setup, config_problem=lambda: setup.problem)
    requests, notifications = server.routes()
    endpoint = Endpoint(
        cast("ByteReader", reader),
        cast("ByteWriter", writer),
        requests=requests,
        notifications=notifications,
        max_line_bytes=args.max_line_bytes or DEFAULT_MAX_LINE_BYTES,
        name="acp",
    )
    server.endpoint = endpoint
    serving = asyncio.ensure_future(endpoint.run())
    stop = GracefulStop(server, reader, serving)
    stop.install()
    try:
        await serving
    except asyncio.CancelledError:
        if not stop.stopping:
            raise
    finally:
        await server.shutdown()
        setup.close()
    return 0


def _usable_home(level: str | None, stderr_level: str | None) -> str:
    """The home, created and checked; otherwise the session request that
    needed it fails with a message that names the directory and the fix. The
    agent itself lives on: `initialize` has been answered, and the next session
    tries again, so a home made writable meanwhile needs no restart. A str,
    not a Path: pathlib is not loaded before the first session/new reply."""
    from acp_server.home import HomeError, check_writable, ensure_home, home_path
    from protocol import ErrorCode, RpcError

    home = None
    try:
        home = home_path()
        ensure_home(home)
        check_writable(home)
        return home
    except (HomeError, OSError) as error:
        problem = str(error)
    _configure_logging(None, level, stderr_level)  # stderr only: there is no file to log to
    global _home_problem_told
    if _home_problem_told != problem:  # once per problem, not once per session
        _home_problem_told = problem
        print(f"acp-server: {problem}", file=sys.stderr)
    raise RpcError(
        ErrorCode.INTERNAL_ERROR,
        f"acp-server cannot keep sessions: {problem}",
        {"home": str(home) if home is not None else None},
    )


_home_problem_told: str | None = None


def _configure_logging(home: str | None, level: str | None, stderr_level: str | None) -> None:
    from acp_server.logs import configure_logging

    configure_logging(home, level, stderr_level=stderr_level)


def run_stdio(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv:
        sys.stderr.write(HELP)
        return 0
    if "--version" in argv:
        sys.stderr.write(f"acp-server {__version__}\n")
        return 0
    try:
        args = parse_server_args(argv)
    except UsageError as error:
        sys.stderr.write(f"acp-server: {error}\n")
        return 2
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    try:
        code = asyncio.run(serve(args))
    except KeyboardInterrupt:
        return 130
    _exit_at_once(code)
    return code  # not reached


def _exit_at_once(code: int) -> None:
    """Leave without the interpreter's teardown. Everything of ours is closed
    and flushed by now; what is left is freeing the modules, which took 0.8 s
    with the MCP SDK loaded on a busy machine, and editors wait for the exit."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
