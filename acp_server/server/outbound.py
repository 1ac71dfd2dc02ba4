"""A session's one way out: every update and every request to the client.

`UpdateSink.send` encodes an update once, lets the tool-call ledger see it,
appends it to the store's journal and hands the frame to the writer. The
store's write-ahead hook runs before the writer's next `write()`, so what
reaches stdout is always journaled first.

`UpdateSink.request` is the only way a session's proxies (permission, fs,
terminal) reach the client. It first waits on the sink's barrier: the point
at which every event the engine emitted so far has been handed to `send`. So
a tool call's `tool_call` update precedes any request made for it, and, since
the prompt's reply is returned only after the turn's last `send`, every update
of a turn precedes its response.

The writer is a `ClientLink`: the endpoint in an editor's session, a writer of
nothing in `acp-server run` (which prints engine events itself) where the
journal and the ledger still do their work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

import msgspec

from acp_server.server.translate import ToolLedger, for_replay

if TYPE_CHECKING:
    from acp_server.server.context import ClientLink


class UpdateStore(Protocol):
    """The part of the session store a sink writes to."""

    def append_update(self, session_id: str, payload: bytes, turn: int = 0) -> object: ...


Update = dict[str, object]
REPLAY_BATCH = 512
TERMINAL_GONE = "(the output of this command was not kept)"


class NullLink:
    """A writer for a session nobody watches over the wire (`acp-server run`)."""

    async def request(
        self, method: str, params: object = None, *, timeout: float | None = None
    ) -> object:
        raise ConnectionError(f"no client to send {method} to")

    async def notify_encoded(self, method: str, params: Sequence[bytes]) -> None:
        return None


class UpdateSink:
    def __init__(self, session_id: str, link: ClientLink, store: UpdateStore) -> None:
        self.session_id = session_id
        self.link = link
        self.store = store
        self.ledger = ToolLedger()
        #: the turn every persisted update is filed under
        self.turn = 0
        #: terminal id -> its final output: what replay shows instead of a dead terminal
        self.terminal_output: dict[str, str] = {}
        self._barrier: Callable[[], Awaitable[None]] | None = None
        # The params of every session/update frame: this prefix, the update, "}".
        self._prefix = b'{"sessionId":' + msgspec.json.encode(session_id) + b',"update":'

    def order_after(self, barrier: Callable[[], Awaitable[None]]) -> None:
        """Requests wait on `barrier` first (the engine's `delivered`)."""
        self._barrier = barrier

    async def send(self, update: Update, *, persist: bool = True) -> None:
        payload = msgspec.json.encode(update)
        self.ledger.observe(update)
        if persist:
            stored = payload
            if b'"terminal"' in payload:  # a terminal id must not outlive this connection
                stored = msgspec.json.encode(for_replay(update, self.terminal_output))
            self.store.append_update(self.session_id, stored, self.turn)
        # Framed by concatenation, as a replay is: the update is encoded once.
        await self.link.notify_encoded("session/update", [self._prefix + payload + b"}"])

    def record(self, update: Update) -> None:
        """Persist without sending: what the editor already shows (its own prompt)."""
        self.store.append_update(self.session_id, msgspec.json.encode(update), self.turn)

    async def replay(self, stored: Iterable[bytes]) -> None:
        """Re-send stored updates as they are, in batches; the ledger sees
        every tool call so a crash's open calls can be closed after."""
        batch: list[bytes] = []
        for payload in stored:
            if b'"tool_call' in payload:
                update = msgspec.json.decode(payload)
                self.ledger.observe(update)
                if b'"terminal"' in payload:  # kept by an older version: the id is dead
                    payload = msgspec.json.encode(for_replay(update, {}, TERMINAL_GONE))
            batch.append(self._prefix + payload + b"}")
            if len(batch) == REPLAY_BATCH:
                await self.link.notify_encoded("session/update", batch)
                batch = []
        await self.link.notify_encoded("session/update", batch)

    async def close_open_calls(self, reason: str) -> None:
        """A final status for every tool call still open."""
        for update in self.ledger.close_all(reason):
            await self.send(update)

    async def request(self, method: str, params: object, *, timeout: float | None) -> object:
        if self._barrier is not None:
            await self._barrier()
        from agent.tools.runner import current_tool_call

        call_id = current_tool_call.get()
        if call_id is not None and isinstance(params, dict) and "_meta" not in params:
            # Names the call the request is made for, so the editor (and a
            # transcript check) can tie a file read or a terminal to it.
            params = {**params, "_meta": {"toolCallId": call_id}}
        return await self.link.request(method, params, timeout=timeout)


__all__ = ["TERMINAL_GONE", "NullLink", "UpdateSink"]
