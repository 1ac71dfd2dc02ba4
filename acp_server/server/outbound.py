"""A session's one way out: every update and every request to the client.

`UpdateSink.send` encodes an update once, lets the tool-call ledger see it,
appends it to the store's journal and hands the frame to the writer. The
store's write-ahead hook runs before the writer's next `write()`, so what
reaches stdout is always journaled first.

`UpdateSink.send_text` is the same for the bulk of a stream, a model's text
or thought chunk, without building the update as a dict: such a chunk is no
tool call, holds no terminal id and is gated by no opt-in, so only the journal
and the writer need it, and its bytes (a fixed head, the encoded text, a fixed
tail) are exactly those `send` would produce.

`UpdateSink.request` is the only way a session's proxies (permission, fs,
terminal) reach the client. It first waits on the sink's barrier: the point
at which every event the engine emitted so far has been handed to `send`. So
a tool call's `tool_call` update precedes any request made for it, and, since
the prompt's reply is returned only after the turn's last `send`, every update
of a turn precedes its response.

The writer is a `ClientLink`: the endpoint in an editor's session, a writer of
nothing in `acp-server run` (which prints engine events itself) where the
journal and the ledger still do their work.

Opt-in updates are gated here, so no path (a turn, a slash command, a
replay, another process's updates caught up) can send a `notice` or a
compaction update to a client that did not opt in: `send` keeps them off
the wire (still journaling what is to be stored) and `replay` skips them.
`surface` sends the one form of a notice or compaction the client accepts
(see acp_server/notices.py) and journals a compaction whatever was sent, so a
later client that opted in gets it replayed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

import msgspec

from acp_server.opt_ins import GATED_KINDS, SessionOptIns, allows
from acp_server.server.translate import ToolLedger, for_replay

if TYPE_CHECKING:
    from acp_server.notices import Surfaced
    from acp_server.server.context import ClientLink

log = logging.getLogger("acp_server.outbound")


class UpdateStore(Protocol):
    """The part of the session store a sink writes to."""

    def append_update(self, session_id: str, payload: bytes, turn: int = 0) -> object: ...


Update = dict[str, object]
REPLAY_BATCH = 512
#: the update kinds `send_text` writes: model output, which no opt-in gates
TEXT_KINDS = ("agent_message_chunk", "agent_thought_chunk")
# What msgspec writes around the text of `text_chunk(text, kind)`: keys in
# insertion order, no spaces. A test holds this equal to the dict's encoding.
_TEXT_HEADS = {
    kind: b'{"sessionUpdate":"' + kind.encode() + b'","content":{"type":"text","text":'
    for kind in TEXT_KINDS
}
_TEXT_TAIL = b"}}"
_encode = msgspec.json.encode
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
    def __init__(
        self,
        session_id: str,
        link: ClientLink,
        store: UpdateStore,
        opt_ins: SessionOptIns | None = None,
    ) -> None:
        self.session_id = session_id
        self.link = link
        self.store = store
        self.opt_ins = opt_ins if opt_ins is not None else SessionOptIns()
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
        if not allows(self.opt_ins, update.get("sessionUpdate")):
            log.warning("kept %s from a client that did not opt in", update.get("sessionUpdate"))
            return
        # Framed by concatenation, as a replay is: the update is encoded once.
        await self.link.notify_encoded("session/update", [self._prefix + payload + b"}"])

    async def send_text(self, text: str, kind: str = "agent_message_chunk") -> None:
        """`send(text_chunk(text, kind))`, byte for byte, at a fraction of the cost:
        one encode of the text and no dict (most of a stream is these)."""
        payload = _TEXT_HEADS[kind] + _encode(text) + _TEXT_TAIL
        self.store.append_update(self.session_id, payload, self.turn)
        await self.link.notify_encoded("session/update", [self._prefix + payload + b"}"])

    async def surface(self, surfaced: Surfaced) -> None:
        """A notice or a compaction, in the one form this client accepts."""
        from acp_server.notices import pick

        chosen = pick(surfaced, self.opt_ins)
        full = chosen is surfaced.update
        if surfaced.stored and not full:
            self.record(surfaced.update)  # for a later client that opts in
        if chosen is not None:
            await self.send(chosen, persist=surfaced.stored and full)

    def record(self, update: Update) -> None:
        """Persist without sending: what the editor already shows (its own prompt)."""
        self.store.append_update(self.session_id, msgspec.json.encode(update), self.turn)

    async def replay(self, stored: Iterable[bytes]) -> None:
        """Re-send stored updates as they are, in batches; the ledger sees
        every tool call so a crash's open calls can be closed after."""
        batch: list[bytes] = []
        for payload in stored:
            if _gated(payload) and not allows(self.opt_ins, _kind(payload)):
                continue
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


def _gated(payload: bytes) -> bool:
    # Cheap first: most stored updates are text chunks and tool calls.
    return b'"notice"' in payload or b'"compaction_' in payload


def _kind(payload: bytes) -> object:
    update = msgspec.json.decode(payload)
    kind = update.get("sessionUpdate") if isinstance(update, dict) else None
    return kind if kind in GATED_KINDS else None


__all__ = ["TERMINAL_GONE", "TEXT_KINDS", "NullLink", "UpdateSink"]
