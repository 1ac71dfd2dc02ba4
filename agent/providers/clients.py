"""Provider SDK clients, built once and shared by every session that uses them.

Building an SDK client (`openai.AsyncOpenAI`, `anthropic.AsyncAnthropic`) cost
~40 ms, nearly all of it in `SSLContext.load_verify_locations` (reading the
system CA bundle), and a new client starts with an empty connection pool, so
every session paid for a new context and a new TCP (and, against a remote
provider, TLS) handshake on its first prompt. Two things are shared instead:

- **one SSL context per process** (`ssl_context()`), built the way the SDKs'
  HTTP stack builds its default one, so verification is unchanged. It holds
  no connection and belongs to no event loop. `prewarm()` builds it on a
  daemon thread, off the critical path: `load_verify_locations` releases the
  GIL, so the event loop runs on meanwhile;
- **one client per event loop and key** (`shared_client()`): the caller's key
  names everything that shapes the client (kind, base URL, API key). A
  connection pool belongs to the loop whose sockets it holds, so clients are
  never shared across loops (tests and the CLI run several loops in one
  process); the clients of a closed loop are dropped at the next lookup.

Nothing here imports an SDK at module import time: callers import theirs
when they build a client, on the first model call.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_contexts: dict[tuple[str | None, str | None], ssl.SSLContext] = {}
# id(loop) -> (the loop, weakly; that loop's clients by key)
_clients: dict[int, tuple[weakref.ref[asyncio.AbstractEventLoop], dict[Hashable, object]]] = {}


def ssl_context() -> ssl.SSLContext:
    """The process's shared client SSL context: the SDKs' default one (system
    CA bundle, honouring SSL_CERT_FILE / SSL_CERT_DIR), built once per value of
    those variables."""
    where = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _contexts.get(where)
    if context is not None:
        return context
    with _lock:  # a prewarm thread may be building it right now: wait for it
        context = _contexts.get(where)
        if context is None:
            import httpx2

            context = httpx2.create_ssl_context()
            _contexts[where] = context
    return context


def prewarm() -> threading.Thread | None:
    """Build the shared SSL context on a daemon thread, unless it exists; the
    thread, for a caller that wants to wait for it."""
    where = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    if where in _contexts:
        return None
    thread = threading.Thread(target=ssl_context, name="ssl-context", daemon=True)
    thread.start()
    return thread


def shared_client(key: Hashable, build: Callable[[], T]) -> T:
    """The running loop's client for `key`, built by `build()` on first use.
    Outside a running loop, `build()` every time (nothing to attach it to)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return build()
    entry = _clients.get(id(loop))
    if entry is None or entry[0]() is not loop:
        _forget_closed_loops()
        entry = (weakref.ref(loop), {})
        _clients[id(loop)] = entry
    clients = entry[1]
    if key not in clients:
        clients[key] = build()
    return clients[key]  # type: ignore[return-value]


def _forget_closed_loops() -> None:
    for ident, (ref, _) in list(_clients.items()):
        loop = ref()
        if loop is None or loop.is_closed():
            del _clients[ident]


__all__ = ["prewarm", "shared_client", "ssl_context"]
