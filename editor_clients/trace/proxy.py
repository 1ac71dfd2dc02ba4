"""`acp-client trace --out FILE.ndjson -- AGENT_CMD...`: a transparent stdio proxy.

An editor launches it in place of the agent. Bytes pass through untouched in
both directions; each complete line is also logged with a timestamp and its
direction, the agent's stderr is logged, and protocol violations found by
`TraceChecker` are logged as `{"ts", "violation": {"rule", "detail"}}` lines.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from typing import IO, Any

from editor_clients.trace.rules import TraceChecker
from protocol import open_stdio


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
    source: Any,
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


def open_log(out_path: str) -> IO[str]:
    """The trace file, opened for appending before the agent starts, so a bad
    path is one clear error and no orphaned agent (TraceFileError)."""
    from editor_clients.trace.show import TraceFileError

    try:
        return open(out_path, "a", encoding="utf-8")
    except OSError as error:
        raise TraceFileError(f"cannot write {out_path}: {error.strerror or error}") from None


async def run_trace(argv: Sequence[str], out_path: str) -> int:
    handle = open_log(out_path)
    with handle:
        # stdin and stdout may be regular files or /dev/null (`< frames.ndjson
        # > replies.ndjson`), which asyncio's pipe transports refuse.
        stdin, stdout = await open_stdio(guard_stdout=False)
        process = await _spawn(argv)
        log, checker = TraceLog(handle), TraceChecker()
        code = await _relay(process, stdin, stdout, log, checker)
        _report_open_calls(checker, log)
    return code


async def _spawn(argv: Sequence[str]) -> asyncio.subprocess.Process:
    """The agent, in its own session: a Ctrl-C typed at the terminal is the
    proxy's to handle, and the agent ends by stdin EOF when the proxy does,
    as it would without a proxy in between (not by a SIGINT mid-start-up)."""
    from editor_clients.trace.show import TraceFileError

    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=1 << 30,
            start_new_session=True,
        )
    except OSError as error:
        raise TraceFileError(f"cannot start {argv[0]}: {error.strerror or error}") from None


async def _relay(
    process: asyncio.subprocess.Process,
    stdin: Any,
    stdout: Any,
    log: TraceLog,
    checker: TraceChecker,
) -> int:
    """Pump both ways and the agent's stderr until the editor closes our stdin
    and the agent exits. The pumps are ended here whatever happens (Ctrl-C
    included), so none writes to the log after it is closed."""
    assert process.stdin and process.stdout and process.stderr
    agent_err = process.stderr

    async def stderr_pump() -> None:
        while line := await agent_err.readline():
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
    try:
        await upstream
        process.stdin.close()  # the editor closed our stdin: close the agent's
        code = await process.wait()
        await asyncio.gather(downstream, errors, return_exceptions=True)
        return code
    finally:
        for task in (upstream, downstream, errors):
            task.cancel()
        await asyncio.gather(upstream, downstream, errors, return_exceptions=True)


def _report_open_calls(checker: TraceChecker, log: TraceLog) -> None:
    for session, calls in checker.open_calls.items():
        open_ids = [cid for cid, status in calls.items() if status not in ("completed", "failed")]
        if open_ids:
            log.violation(
                "tool-call-not-completed",
                f"session {session} ended with open tool calls: {', '.join(open_ids)}",
            )
