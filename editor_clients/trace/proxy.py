"""`acp-client trace --out FILE.ndjson -- AGENT_CMD...`: a transparent stdio proxy.

An editor launches it in place of the agent. Bytes pass through untouched in
both directions; each complete line is also logged with a timestamp and its
direction, the agent's stderr is logged, and protocol violations found by
`TraceChecker` are logged as `{"ts", "violation": {"rule", "detail"}}` lines.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import IO, Any

from editor_clients.trace.rules import TraceChecker


class TraceLog:
    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle
        self.start = time.monotonic()

    def _write(self, entry: dict[str, Any]) -> None:
        self.handle.write(
            json.dumps({"ts": round(time.monotonic() - self.start, 6), **entry}, ensure_ascii=False)
            + "\n"
        )
        self.handle.flush()

    def frame(self, direction: str, line: bytes) -> None:
        try:
            message: Any = json.loads(line)
        except ValueError:
            message = {"unparseable": line.decode("utf-8", "replace")}
        self._write({"direction": direction, "message": message})

    def stderr(self, text: str) -> None:
        self._write({"stderr": text})

    def violation(self, rule: str, detail: str) -> None:
        self._write({"violation": {"rule": rule, "detail": detail}})


class _Lines:
    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        lines = []
        while (index := self.buffer.find(b"\n")) >= 0:
            lines.append(bytes(self.buffer[:index]).strip())
            del self.buffer[: index + 1]
        return [line for line in lines if line]


async def _pump(
    source: asyncio.StreamReader,
    sink: Any,
    direction: str,
    sender: str,
    log: TraceLog,
    checker: TraceChecker,
) -> None:
    lines = _Lines()
    while chunk := await source.read(65536):
        sink.write(chunk)  # forward first: the proxy must never delay or alter traffic
        await sink.drain()
        for line in lines.feed(chunk):
            log.frame(direction, line)
            for rule, detail in checker.check(sender, line):
                log.violation(rule, detail)


async def run_trace(argv: Sequence[str], out_path: str) -> int:
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader(limit=1 << 30)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), os.fdopen(0, "rb", 0))
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(1, "wb", 0)
    )
    stdout = asyncio.StreamWriter(transport, protocol, None, loop)
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=1 << 30,
    )
    assert process.stdin and process.stdout and process.stderr
    checker = TraceChecker()
    with open(out_path, "a", encoding="utf-8") as handle:
        log = TraceLog(handle)

        async def stderr_pump() -> None:
            assert process.stderr
            while line := await process.stderr.readline():
                sys.stderr.buffer.write(line)
                sys.stderr.flush()
                log.stderr(line.decode("utf-8", "replace").rstrip("\n"))

        upstream = asyncio.create_task(
            _pump(stdin, process.stdin, "client->agent", "client", log, checker)
        )
        downstream = asyncio.create_task(
            _pump(process.stdout, stdout, "agent->client", "agent", log, checker)
        )
        errors = asyncio.create_task(stderr_pump())
        await upstream
        process.stdin.close()  # the editor closed our stdin: close the agent's
        code = await process.wait()
        await asyncio.gather(downstream, errors, return_exceptions=True)
        for session, calls in checker.open_calls.items():
            open_ids = [
                cid for cid, status in calls.items() if status not in ("completed", "failed")
            ]
            if open_ids:
                log.violation(
                    "tool-call-not-completed",
                    f"session {session} ended with open tool calls: {', '.join(open_ids)}",
                )
    return code
