"""Tiny HTTP and SSE MCP servers (stdlib only) for MCP-002 and MCP-003, with
the same `echo` tool and marker file as the stdio stub.

`/mcp` speaks streamable HTTP with JSON replies (a notification gets 202);
`/sse` opens the legacy HTTP+SSE stream, whose first event names the
`/messages?session=ID` endpoint that takes the client's POSTs (202) and whose
replies go out as `message` events. Each server runs on 127.0.0.1 in a thread
of the kit's process, for the length of one probe.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from editor_clients.conformance.mcp_stub import answer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: stderr is the kit's
        return

    def do_GET(self) -> None:
        if urlparse(self.path).path != "/sse":
            self.send_response(405)  # no server-initiated stream on /mcp
            self.end_headers()
            return
        session = uuid.uuid4().hex
        outbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.server.streams[session] = outbox
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self._event("endpoint", f"/messages?session={session}")
        while (message := outbox.get()) is not None:
            try:
                self._event("message", json.dumps(message))
            except OSError:
                return

    def _event(self, name: str, data: str) -> None:
        self.wfile.write(f"event: {name}\ndata: {data}\n\n".encode())
        self.wfile.flush()

    def do_POST(self) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        try:
            message = json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            message = None
        reply = answer(message, self.server.marker) if isinstance(message, dict) else None
        if url.path == "/messages":
            stream = self.server.streams.get((parse_qs(url.query).get("session") or [""])[0])
            if stream is None:
                self.send_response(404)
                self.end_headers()
                return
            if reply is not None:
                stream.put(reply)
            self.send_response(202)
            self.end_headers()
            return
        if reply is None:
            self.send_response(202)
            self.end_headers()
            return
        body = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_DELETE(self) -> None:
        self.send_response(200)
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, marker: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.marker = marker
        self.streams: dict[str, queue.Queue[dict[str, Any] | None]] = {}


class McpHttpStub:
    """`with McpHttpStub(marker) as stub: stub.url("http")` or `stub.url("sse")`."""

    def __init__(self, marker: str) -> None:
        self._server = _Server(marker)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, transport: str) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/{'mcp' if transport == 'http' else 'sse'}"

    def __enter__(self) -> McpHttpStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for stream in self._server.streams.values():
            stream.put(None)
        self._server.shutdown()
        self._server.server_close()
