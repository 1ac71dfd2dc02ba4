"""NDJSON framing, sans-I/O: bytes in, complete lines out.

A line longer than the limit is discarded as it streams (memory stays bounded)
and reported as an `OversizedLine` value, with the request id when one appears
near the start of the line, so the peer can still be answered.
"""

from __future__ import annotations

import re

DEFAULT_MAX_LINE_BYTES = 50 * 1024 * 1024

_ID_NEAR_START = re.compile(rb'"id"\s*:\s*("(?:[^"\\]|\\.){0,200}"|-?\d{1,19})')
_ID_WINDOW = 4096


class OversizedLine:
    """A line over the limit, reported as a value (not a dataclass: start-up cost)."""

    __slots__ = ("request_id", "size")

    def __init__(self, size: int, request_id: str | int | None) -> None:
        self.size = size  # bytes seen before the line ended
        self.request_id = request_id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OversizedLine) and (other.size, other.request_id) == (
            self.size,
            self.request_id,
        )

    __hash__ = None  # type: ignore[assignment]


class LineSplitter:
    def __init__(self, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes
        self._buffer = bytearray()
        self._discarding = False
        self._discarded = 0
        self._head = b""

    def feed(self, data: bytes) -> list[bytes | OversizedLine]:
        out: list[bytes | OversizedLine] = []
        start = 0
        while start < len(data):
            newline = data.find(b"\n", start)
            end = len(data) if newline < 0 else newline
            self._take(data[start:end])
            if newline < 0:
                break
            out.append(self._finish_line())
            start = newline + 1
        return [item for item in out if item != b""]

    def _take(self, chunk: bytes) -> None:
        if self._discarding:
            self._discarded += len(chunk)
            return
        self._buffer += chunk
        if len(self._buffer) > self.max_line_bytes:
            self._head = bytes(self._buffer[:_ID_WINDOW])
            self._discarded = len(self._buffer)
            self._buffer.clear()
            self._discarding = True

    def _finish_line(self) -> bytes | OversizedLine:
        if self._discarding:
            item = OversizedLine(self._discarded, _recover_id(self._head))
            self._discarding, self._discarded, self._head = False, 0, b""
            return item
        line = bytes(self._buffer).strip()
        self._buffer.clear()
        return line

    def pending_bytes(self) -> int:
        return len(self._buffer)


def _recover_id(head: bytes) -> str | int | None:
    match = _ID_NEAR_START.search(head)
    if not match:
        return None
    raw = match.group(1)
    if raw.startswith(b'"'):
        return raw[1:-1].decode("utf-8", "replace")
    return int(raw)
