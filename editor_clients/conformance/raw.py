"""Raw stdio exchanges, for what the client library would never send.

The kit waits for the `initialize` reply (up to `--startup-timeout`) before it
sends anything else, so a slow cold start is never read as silence. It ends
each exchange with a sentinel request and waits for that answer, then closes
stdin and reads stdout to the end: every line the agent wrote is judged, and no
fixed pause decides the result.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from editor_clients.conformance.probe import AgentDidNotStart, Probe
from protocol.json_types import JsonObject, JsonValue

SENTINEL_ID = 9999
INIT_ID = 1


def initialize_line(version: int = 1, ident: int = INIT_ID) -> bytes:
    params = {"protocolVersion": version, "clientCapabilities": {}}
    return json.dumps(
        {"jsonrpc": "2.0", "id": ident, "method": "initialize", "params": params}
    ).encode()


def sentinel_line() -> bytes:
    return json.dumps(
        {"jsonrpc": "2.0", "id": SENTINEL_ID, "method": "_conformance/sentinel", "params": {}}
    ).encode()


@dataclass
class RawResult:
    lines: list[bytes] = field(default_factory=list)
    frames: list[JsonObject] = field(default_factory=list)
    exit_time: float | None = None  # seconds from closing stdin to exit; None = killed
    returncode: int | None = None

    def reply(self, ident: JsonValue) -> JsonObject | None:
        return next((f for f in self.frames if f.get("id") == ident and "method" not in f), None)


async def raw_exchange(
    probe: Probe, lines: Sequence[bytes], *, sentinel: bool = True, settle: float = 10.0
) -> RawResult:
    """Start the agent, initialize it, send `lines`, then the sentinel; close stdin."""
    loop = asyncio.get_running_loop()
    process = await asyncio.create_subprocess_exec(
        *probe.argv,
        cwd=probe.cwd,
        env=probe.env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=1 << 30,
        start_new_session=True,
    )
    assert process.stdin and process.stdout and process.stderr
    result = RawResult()
    arrived = asyncio.Event()
    tail: collections.deque[str] = collections.deque(maxlen=60)

    async def read_stdout() -> None:
        assert process.stdout
        while line := await process.stdout.readline():
            line = line.rstrip(b"\n")
            result.lines.append(line)
            try:
                parsed: Any = json.loads(line)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                frame = parsed
                result.frames.append(frame)
            else:
                frame = {"unparseable": line.decode("utf-8", "replace")}
            probe.raw_frames.append((loop.time(), "agent->client", frame))
            arrived.set()
        arrived.set()

    async def read_stderr() -> None:
        assert process.stderr
        while line := await process.stderr.readline():
            tail.append(line.decode("utf-8", "replace").rstrip("\n"))

    readers = [asyncio.create_task(read_stdout()), asyncio.create_task(read_stderr())]

    def send(line: bytes) -> None:
        assert process.stdin
        try:
            frame: Any = json.loads(line)
        except ValueError:
            frame = {"unparseable": line.decode("utf-8", "replace")}
        probe.raw_frames.append((loop.time(), "client->agent", frame))
        with contextlib.suppress(ConnectionError, OSError):
            process.stdin.write(line + b"\n")

    async def answered(ident: Any, timeout: float) -> bool:
        async def wait() -> None:
            while result.reply(ident) is None and not readers[0].done():
                arrived.clear()
                await arrived.wait()

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wait(), timeout)
        return result.reply(ident) is not None

    try:
        start = loop.time()
        send(initialize_line())
        if not await answered(INIT_ID, probe.spec.startup_timeout):
            await _stop(process)
            raise AgentDidNotStart(
                "exited before answering initialize"
                if process.returncode is not None
                else f"no initialize reply within {probe.spec.startup_timeout:g} s"
            )
        probe.startup = loop.time() - start
        for line in lines:
            send(line)
        if sentinel:
            send(sentinel_line())
            await answered(SENTINEL_ID, settle)
        closed = loop.time()
        with contextlib.suppress(ConnectionError, OSError):
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 5)
            result.exit_time = loop.time() - closed
        except TimeoutError:
            await _stop(process)
        result.returncode = process.returncode
    finally:
        if process.returncode is None:
            await _stop(process)
        for reader in readers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reader, 5)
        probe.raw_stderr.append("\n".join(tail))
    return result


async def _stop(process: asyncio.subprocess.Process) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            await asyncio.wait_for(process.wait(), 2)
            return
        except TimeoutError:
            continue
