"""Local stand-ins for Amazon Bedrock and Google Vertex AI, speaking each
service's streaming format on loopback, so the SDK's own clients can be
driven against them with test credentials.

Bedrock streams `application/vnd.amazon.eventstream`: binary messages of

    prelude: total length (u32) | headers length (u32) | CRC32 of those 8 bytes
    headers: name length (u8) | name | type 7 (string) | value length (u16) | value
    payload
    message CRC32 (of everything before it)

whose `chunk` events carry `{"bytes": base64(JSON of one Anthropic stream
event)}`, and whose `exception` messages carry a fault mid-stream. Vertex
streams Anthropic's own server-sent events. Both answer errors the way the
services do (Bedrock: `x-amzn-ErrorType` and `{"message"}`; Google:
`{"error": {"code", "status", "details"}}`), and `CloudServer.token_replies`
answers OAuth token requests for google-auth.

    async with CloudServer() as cloud:
        cloud.enqueue(bedrock_stream(anthropic_events(text="hi")))
        cloud.enqueue(bedrock_error(429, "ThrottlingException"))
        ... cloud.base_url; cloud.requests (path, headers, body)
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from tests.support.fake_provider import anthropic_stream


@dataclass
class CloudReply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)  # streamed, one HTTP chunk each
    body: bytes = b""
    # After this many chunks, send the first half of the next one and close
    # the connection: a stream dropped in the middle of a message.
    drop_after: int | None = None


@dataclass
class CloudRequest:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> dict[str, Any]:
        loaded = json.loads(self.raw) if self.raw.startswith(b"{") else {}
        return loaded if isinstance(loaded, dict) else {}


# ------------------------------------------------------------------ event-stream framing


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack("!B", len(raw_name))
        + raw_name
        + struct.pack("!BH", 7, len(raw_value))
        + raw_value
    )


def event_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One AWS event-stream message, CRCs included."""
    encoded = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack("!II", total, len(encoded))
    head = prelude + struct.pack("!I", binascii.crc32(prelude)) + encoded + payload
    return head + struct.pack("!I", binascii.crc32(head))


def chunk_event(event: dict[str, Any]) -> bytes:
    payload = {"bytes": base64.b64encode(json.dumps(event).encode()).decode(), "p": "abcd"}
    headers = {
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return event_message(headers, json.dumps(payload).encode())


def exception_event(kind: str, message: str) -> bytes:
    headers = {
        ":exception-type": kind,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return event_message(headers, json.dumps({"message": message}).encode())


# ------------------------------------------------------------------ replies


def anthropic_events(**kwargs: Any) -> list[dict[str, Any]]:
    """The Anthropic stream events of `anthropic_stream(**kwargs)`, as JSON objects."""
    events = []
    for frame in anthropic_stream(**kwargs).events:
        data = next(line for line in frame.splitlines() if line.startswith("data: "))
        events.append(json.loads(data.removeprefix("data: ")))
    return events


def bedrock_stream(events: list[dict[str, Any]], *, drop_after: int | None = None) -> CloudReply:
    return CloudReply(
        200,
        {"content-type": "application/vnd.amazon.eventstream"},
        [chunk_event(e) for e in events],
        drop_after=drop_after,
    )


def bedrock_error(status: int, kind: str, message: str = "fault", **headers: str) -> CloudReply:
    body = json.dumps({"message": message}).encode()
    extra = {k.replace("_", "-"): v for k, v in headers.items()}
    return CloudReply(
        status,
        {
            "content-type": "application/json",
            "x-amzn-errortype": f"{kind}:http://internal/",
            **extra,
        },
        body=body,
    )


def sse_frames(events: list[dict[str, Any]]) -> list[bytes]:
    return [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events]


def vertex_stream(events: list[dict[str, Any]], *, drop_after: int | None = None) -> CloudReply:
    return CloudReply(
        200, {"content-type": "text/event-stream"}, sse_frames(events), drop_after=drop_after
    )


def google_error(
    status: int, code: str, message: str = "fault", retry_delay: str = ""
) -> CloudReply:
    details = (
        [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}]
        if retry_delay
        else []
    )
    body = {"error": {"code": status, "message": message, "status": code, "details": details}}
    return CloudReply(status, {"content-type": "application/json"}, body=json.dumps(body).encode())


def token_reply(token: str = "ya29.local-test-token", status: int = 200) -> CloudReply:
    """An OAuth token endpoint's answer (or its refusal, with a status >= 400)."""
    body: dict[str, Any] = (
        {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
        if status < 400
        else {"error": "invalid_grant", "error_description": "Token has been revoked."}
    )
    return CloudReply(status, {"content-type": "application/json"}, body=json.dumps(body).encode())


# ------------------------------------------------------------------ the server


class CloudServer:
    """Model calls are answered from `enqueue`d replies in order; requests to
    `/token` from `token_replies`. Both are recorded."""

    def __init__(self) -> None:
        self.replies: list[CloudReply] = []
        self.token_replies: list[CloudReply] = []
        self.requests: list[CloudRequest] = []
        self.token_requests: list[CloudRequest] = []
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def enqueue(self, *replies: CloudReply) -> None:
        self.replies.extend(replies)

    async def __aenter__(self) -> CloudServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)

    async def _read(self, reader: asyncio.StreamReader) -> CloudRequest | None:
        request_line = await reader.readline()
        if not request_line:
            return None
        method, path = request_line.decode().split()[:2]
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        raw = await reader.readexactly(int(headers.get("content-length", "0")))
        return CloudRequest(method, path, headers, raw)

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        request = await self._read(reader)
        if request is None:
            return False
        if request.path.startswith("/token"):
            self.token_requests.append(request)
            reply = self.token_replies.pop(0) if self.token_replies else token_reply()
        else:
            self.requests.append(request)
            reply = self.replies.pop(0) if self.replies else google_error(500, "INTERNAL")
        head = [f"HTTP/1.1 {reply.status} X", *(f"{k}: {v}" for k, v in reply.headers.items())]
        if not reply.chunks:
            size = f"content-length: {len(reply.body)}"
            writer.write("\r\n".join([*head, size, "", ""]).encode() + reply.body)
            await writer.drain()
            return True
        writer.write("\r\n".join([*head, "transfer-encoding: chunked", "", ""]).encode())
        for number, data in enumerate(reply.chunks):
            if reply.drop_after is not None and number >= reply.drop_after:
                half = data[: len(data) // 2]
                writer.write(f"{len(half):x}\r\n".encode() + half + b"\r\n")
                await writer.drain()
                writer.transport.abort()
                return False
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True
