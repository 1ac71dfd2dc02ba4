"""A local OpenAI-compatible model that answers at once, for first-token timing.

    python bench/model_server.py          # prints "PORT <n>" on stdout, then serves

Stdlib asyncio only. `POST .../chat/completions` with `"stream": true` gets the
whole answer as chat.completions SSE chunks in one write: a role chunk, the
text in `CHUNKS` deltas, the finish chunk, a usage chunk and `[DONE]`, over
HTTP/1.1 keep-alive with chunked transfer encoding (as real providers send).
The server does no work per request beyond parsing it, so what a client
measures up to its first text delta is the client's own cost plus loopback.

`GET /last` returns the body of the latest completions request, so a
benchmark can replay exactly the request a server made (same messages, same
tools) through the SDK directly. `GET .../models` lists one model.
"""

from __future__ import annotations

import asyncio
import json
import sys

ANSWER = "The answer, in a handful of words, streamed as separate deltas to the editor. " * 4
CHUNKS = 10
_BASE = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1, "model": "m"}


def _sse(payload: object) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def _choice(delta: dict[str, object], finish: str | None = None) -> bytes:
    return _sse({**_BASE, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


def _stream_body() -> bytes:
    step = -(-len(ANSWER) // CHUNKS)
    frames = [_choice({"role": "assistant", "content": ""})]
    frames += [_choice({"content": ANSWER[i : i + step]}) for i in range(0, len(ANSWER), step)]
    frames.append(_choice({}, "stop"))
    usage = {"prompt_tokens": 10, "completion_tokens": CHUNKS, "total_tokens": 10 + CHUNKS}
    frames.append(_sse({**_BASE, "choices": [], "usage": usage}))
    frames.append(b"data: [DONE]\n\n")
    return b"".join(frames)


_STREAM = _stream_body()


def _chunked(body: bytes) -> bytes:
    return f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"


def _response(status: str, content_type: str, body: bytes, chunked: bool = False) -> bytes:
    head = f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\nconnection: keep-alive\r\n"
    if chunked:
        return (head + "transfer-encoding: chunked\r\n\r\n").encode() + _chunked(body)
    return (head + f"content-length: {len(body)}\r\n\r\n").encode() + body


class ModelServer:
    def __init__(self) -> None:
        self.last: bytes = b"{}"
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = dict(
                    (k.strip().lower(), v.strip())
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                )
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                writer.write(self.answer(method, path, body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def answer(self, method: str, path: str, body: bytes) -> bytes:
        if method == "POST" and path.endswith("/chat/completions"):
            self.requests += 1
            self.last = body
            return _response("200 OK", "text/event-stream", _STREAM, chunked=True)
        if method == "GET" and path == "/last":
            return _response("200 OK", "application/json", self.last)
        if method == "GET" and path.endswith("/models"):
            listing = {"object": "list", "data": [{"id": "m", "object": "model"}]}
            return _response("200 OK", "application/json", json.dumps(listing).encode())
        return _response("404 Not Found", "application/json", b'{"error": "not found"}')


async def main() -> None:
    model = ModelServer()
    server = await asyncio.start_server(model.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
