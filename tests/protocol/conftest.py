"""Two endpoints joined by memory pipes, plus a raw-line peer for wire-level tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from protocol import Endpoint, Route, memory_pipe


class RawPeer:
    """Speaks bytes to an Endpoint, to test what it does with arbitrary input."""

    def __init__(self, reader: asyncio.StreamReader, writer: Any) -> None:
        self.reader = reader
        self.writer = writer

    def send_line(self, line: bytes | str) -> None:
        self.writer.write((line.encode() if isinstance(line, str) else line) + b"\n")

    def send(self, frame: object) -> None:
        self.send_line(json.dumps(frame))

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        line = await asyncio.wait_for(self.reader.readline(), timeout)
        assert line, "endpoint closed the stream"
        return json.loads(line)

    async def nothing_within(self, seconds: float) -> bool:
        try:
            line = await asyncio.wait_for(self.reader.readline(), seconds)
        except TimeoutError:
            return True
        return not line


@asynccontextmanager
async def endpoint_with_raw_peer(
    requests: Mapping[str, Route] | None = None,
    notifications: Mapping[str, Route] | None = None,
    **kwargs: Any,
) -> AsyncIterator[tuple[Endpoint, RawPeer]]:
    (a_reader, a_writer), (b_reader, b_writer) = memory_pipe()
    endpoint = Endpoint(
        a_reader, a_writer, requests=requests, notifications=notifications, **kwargs
    )
    task = asyncio.create_task(endpoint.run())
    peer = RawPeer(b_reader, b_writer)
    try:
        yield endpoint, peer
    finally:
        b_writer.close()
        await asyncio.wait_for(task, 5)
