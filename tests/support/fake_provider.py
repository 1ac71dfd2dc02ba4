"""A real HTTP server on loopback that speaks the OpenAI chat-completions and
Anthropic Messages streaming formats, scripted per request, with faults.

    async with FakeProvider() as fake:
        fake.enqueue(openai_stream(text="hi"))
        fake.enqueue(error(429, headers={"retry-after": "0"}))
        ... point a provider at fake.base_url (OpenAI: fake.base_url + "/v1")
        fake.requests  # what arrived: path, headers, JSON body
        fake.listings["/v1/models"] = openai_models("gpt-x")  # GETs, by path

Faults: `error(status)` for any HTTP error (401, 429, 503 ...), and on a
stream `reset_after=N` (the connection is aborted after N events: a reset
mid-stream) or `stall_after=N` (the socket stays open, silent). `mid_stream`
builds either from a normal stream. `closed_port()` is an address where
nothing listens (an unreachable provider).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)  # raw SSE frames, already formatted
    body: bytes = b""
    reset_after: int | None = None  # abort the connection after this many events
    stall_after: int | None = None  # stop sending (but keep the socket) after this many events


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def sse(data: object, event: str | None = None) -> str:
    payload = data if isinstance(data, str) else json.dumps(data)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


def error(status: int, message: str = "fault", headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps({"error": {"message": message, "type": "fault"}}).encode()
    return Reply(status, {"content-type": "application/json", **(headers or {})}, body=body)


def openai_stream(
    text: str = "",
    tool_calls: list[tuple[str, str, str]] = (),
    finish: str | None = None,
    usage: tuple[int, int] | None = (10, 5),
    reasoning: str = "",
    split: int = 4,
) -> Reply:  # type: ignore[assignment]
    """Text split into `split`-char deltas; tool calls as (id, name, arguments_json) with
    arguments delivered in fragments, the way real servers stream them. `usage=None`:
    no usage chunk, as servers that ignore `stream_options` send."""
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "fake"}
    frames = []

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> str:
        return sse(
            {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
        )

    frames.append(chunk({"role": "assistant", "content": ""}))
    if reasoning:
        frames.append(chunk({"reasoning_content": reasoning}))
    for i in range(0, len(text), split):
        frames.append(chunk({"content": text[i : i + split]}))
    for index, (call_id, name, arguments) in enumerate(tool_calls):
        frames.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call_id,
                            "type": "function",
                            "function": {"name": name, "arguments": ""},
                        }
                    ]
                }
            )
        )
        for i in range(0, len(arguments), 5):
            frames.append(
                chunk(
                    {
                        "tool_calls": [
                            {"index": index, "function": {"arguments": arguments[i : i + 5]}}
                        ]
                    }
                )
            )
    frames.append(chunk({}, finish or ("tool_calls" if tool_calls else "stop")))
    if usage is not None:
        frames.append(
            sse(
                {
                    **base,
                    "choices": [],
                    "usage": {
                        "prompt_tokens": usage[0],
                        "completion_tokens": usage[1],
                        "total_tokens": sum(usage),
                    },
                }
            )
        )
    frames.append("data: [DONE]\n\n")
    return Reply(200, {"content-type": "text/event-stream"}, frames)


def anthropic_stream(
    text: str = "",
    tool_uses: list[tuple[str, str, str]] = (),
    stop: str | None = None,
    usage: tuple[int, int] = (10, 5),
    thinking: str = "",
    cache_written: int = 0,
) -> Reply:  # type: ignore[assignment]
    frames = [
        sse(
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": "fake",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {
                        "input_tokens": usage[0],
                        "output_tokens": 0,
                        "cache_read_input_tokens": 3,
                        "cache_creation_input_tokens": cache_written,
                    },
                },
            },
            "message_start",
        )
    ]
    index = 0
    if thinking:
        frames.append(
            sse(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "thinking", "thinking": "", "signature": ""},
                },
                "content_block_start",
            )
        )
        frames.append(
            sse(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "thinking_delta", "thinking": thinking},
                },
                "content_block_delta",
            )
        )
        frames.append(
            sse(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "signature_delta", "signature": "sig-1"},
                },
                "content_block_delta",
            )
        )
        frames.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
        index += 1
    if text:
        frames.append(
            sse(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "text", "text": ""},
                },
                "content_block_start",
            )
        )
        for i in range(0, len(text), 4):
            frames.append(
                sse(
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "text_delta", "text": text[i : i + 4]},
                    },
                    "content_block_delta",
                )
            )
        frames.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
        index += 1
    for call_id, name, arguments in tool_uses:
        frames.append(
            sse(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "tool_use", "id": call_id, "name": name, "input": {}},
                },
                "content_block_start",
            )
        )
        for i in range(0, len(arguments), 5):
            frames.append(
                sse(
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": arguments[i : i + 5]},
                    },
                    "content_block_delta",
                )
            )
        frames.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
        index += 1
    reason = stop or ("tool_use" if tool_uses else "end_turn")
    frames.append(
        sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": reason, "stop_sequence": None},
                "usage": {"output_tokens": usage[1]},
            },
            "message_delta",
        )
    )
    frames.append(sse({"type": "message_stop"}, "message_stop"))
    return Reply(200, {"content-type": "text/event-stream"}, frames)


def json_reply(payload: object, status: int = 200) -> Reply:
    """A plain JSON answer (a model listing, for instance)."""
    return Reply(status, {"content-type": "application/json"}, body=json.dumps(payload).encode())


def openai_models(*ids: str) -> Reply:
    """`GET /v1/models` of an OpenAI-compatible server."""
    return json_reply({"object": "list", "data": [{"id": i, "object": "model"} for i in ids]})


def openrouter_models(*models: tuple[str, int, str, str]) -> Reply:
    """OpenRouter's listing: (id, context_length, prompt $/token, completion $/token)."""
    data = [
        {"id": i, "context_length": window, "pricing": {"prompt": p, "completion": c}}
        for i, window, p, c in models
    ]
    return json_reply({"data": data})


def ollama_tags(*names: str) -> Reply:
    """ollama's `GET /api/tags`."""
    return json_reply({"models": [{"name": n, "model": n, "size": 1} for n in names]})


def mid_stream(
    reply: Reply, *, reset_after: int | None = None, stall_after: int | None = None
) -> Reply:
    """`reply` cut short after some of its events: aborted, or left silent."""
    return Reply(
        reply.status,
        dict(reply.headers),
        list(reply.events),
        reset_after=reset_after,
        stall_after=stall_after,
    )


def closed_port() -> int:
    """A loopback port with no listener (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FakeProvider:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[Seen] = []
        # GET answers by path (model listings), served without using up the
        # scripted replies; any other GET is a 404, as from a server without it.
        self.listings: dict[str, Reply] = {}
        self.listing_requests: list[Seen] = []  # the GETs, kept apart from `requests`
        self._server: asyncio.Server | None = None
        self._stalls: list[asyncio.Event] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def enqueue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def __aenter__(self) -> FakeProvider:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for stall in self._stalls:
            stall.set()
        assert self._server is not None
        self._server.close()
        for task in self._handlers:
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

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        request_line = await reader.readline()
        if not request_line:
            return False
        method, path = request_line.split()[0].decode(), request_line.split()[1].decode()
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        seen = Seen(path, headers, json.loads(body) if body else {})
        (self.listing_requests if method == "GET" else self.requests).append(seen)
        if method == "GET":
            reply = self.listings.get(path) or error(404, "not found")
        else:
            reply = self.replies.pop(0) if self.replies else error(500, "no reply scripted")
        head = [f"HTTP/1.1 {reply.status} X", *(f"{k}: {v}" for k, v in reply.headers.items())]
        if reply.events:
            writer.write(("\r\n".join([*head, "transfer-encoding: chunked", "", ""])).encode())
            for number, frame in enumerate(reply.events):
                if reply.reset_after is not None and number >= reply.reset_after:
                    writer.transport.abort()
                    return False
                if reply.stall_after is not None and number >= reply.stall_after:
                    await writer.drain()
                    stall = asyncio.Event()
                    self._stalls.append(stall)
                    await stall.wait()
                    return False
                data = frame.encode()
                writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                await writer.drain()
            writer.write(b"0\r\n\r\n")
        else:
            writer.write(
                ("\r\n".join([*head, f"content-length: {len(reply.body)}", "", ""])).encode()
                + reply.body
            )
        await writer.drain()
        return True
