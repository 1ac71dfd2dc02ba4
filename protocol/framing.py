"""NDJSON framing, sans-I/O: bytes in, complete lines out.

A line longer than the limit is discarded as it streams (memory stays bounded)
and reported as an `OversizedLine` value. Its first few KiB and last few bytes
are kept, so `read_head` can tell what it was (a call, a notification or a
reply) and which id it carried: a request is still answered, and a reply still
settles the call that waits for it.
"""

from __future__ import annotations

import re
from typing import Literal

import msgspec

DEFAULT_MAX_LINE_BYTES = 50 * 1024 * 1024

HeadKind = Literal["call", "reply"] | None

_HEAD_WINDOW = 4096
_TAIL_WINDOW = 256
# JSON tokens, enough to follow the top level of an object. A lone `"` is a
# string the window cut off: reading stops there.
_TOKEN = re.compile(
    rb'"(?:[^"\\]|\\.){0,4096}"|"|[{}\[\]:,]|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null'
)
# An id as the last member of the top-level object: the last `}` of a line
# closes the top level, so the member just before it is a top-level one.
_TRAILING_ID = re.compile(rb',\s*"id"\s*:\s*("(?:[^"\\]|\\.){0,200}"|-?\d{1,19})\s*\}\s*$')


class OversizedLine:
    """A line over the limit, reported as a value (not a dataclass: start-up cost).

    `kind` is what its head shows it was ("call": it has a method; "reply": a
    result or an error; None: unknown), `request_id` the id it carried, if seen.
    """

    __slots__ = ("kind", "request_id", "size")

    def __init__(self, size: int, request_id: str | int | None, kind: HeadKind = None) -> None:
        self.size = size  # bytes seen before the line ended
        self.request_id = request_id
        self.kind = kind

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OversizedLine) and (
            other.size,
            other.request_id,
            other.kind,
        ) == (self.size, self.request_id, self.kind)

    __hash__ = None  # type: ignore[assignment]


class LineSplitter:
    def __init__(self, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes
        self._buffer = bytearray()
        self._discarding = False
        self._discarded = 0
        self._head = b""
        self._tail = b""

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
            self._tail = (self._tail + chunk[-_TAIL_WINDOW:])[-_TAIL_WINDOW:]
            return
        self._buffer += chunk
        if len(self._buffer) > self.max_line_bytes:
            self._head = bytes(self._buffer[:_HEAD_WINDOW])
            self._tail = bytes(self._buffer[-_TAIL_WINDOW:])
            self._discarded = len(self._buffer)
            self._buffer.clear()
            self._discarding = True

    def _finish_line(self) -> bytes | OversizedLine:
        if self._discarding:
            kind, request_id = read_head(self._head, self._tail)
            item = OversizedLine(self._discarded, request_id, kind)
            self._discarding, self._discarded, self._head, self._tail = False, 0, b"", b""
            return item
        line = bytes(self._buffer).strip()
        self._buffer.clear()
        return line

    def pending_bytes(self) -> int:
        return len(self._buffer)


def read_head(head: bytes, tail: bytes = b"") -> tuple[HeadKind, str | int | None]:
    """What the ends of a frame show: its kind and its id, from top-level
    members only (an `"id"` inside params is not the frame's id), found in the
    first 4 KiB or as the last member. Used for lines that cannot be decoded
    whole: too long, or nested too deep."""
    depth = 0
    key: bytes | None = None
    value_next = False
    keys: set[bytes] = set()
    request_id: str | int | None = None
    for match in _TOKEN.finditer(head[:_HEAD_WINDOW]):
        token = match.group()
        if token == b'"':
            break  # cut off inside a string
        if depth == 1 and value_next:
            value_next = False
            if key == b"id":
                request_id = _id_value(token)
        elif depth == 1 and token[:1] == b'"':
            key = token[1:-1]
        elif depth == 1 and token == b":" and key is not None:
            keys.add(key)  # now: its value may be what the window cuts off
            value_next = True
        if token in (b"{", b"["):
            if depth == 0 and token == b"[":
                break  # a batch array: no envelope to read
            depth += 1
        elif token in (b"}", b"]"):
            depth -= 1
    if request_id is None and tail:
        request_id = _trailing_id(tail[-_TAIL_WINDOW:])
    if b"method" in keys:
        return "call", request_id
    if b"result" in keys or b"error" in keys:
        return "reply", request_id
    return None, request_id


def _id_value(token: bytes) -> str | int | None:
    if token[:1] == b'"':
        try:
            return str(msgspec.json.decode(token))
        except msgspec.DecodeError:  # a lone surrogate or bad UTF-8 in the id
            return token[1:-1].decode("utf-8", "replace")
    if token[:1] in b"-0123456789" and token.lstrip(b"-").isdigit():
        return int(token)
    return None  # null, a float, a container: not an id one can answer with


def _trailing_id(tail: bytes) -> str | int | None:
    match = _TRAILING_ID.search(tail)
    return _id_value(match.group(1)) if match else None
