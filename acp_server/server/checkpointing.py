"""A session's checkpoint keeping, and what it lends a rewind.

`SessionCheckpoints` sits between a session and its host's file service:
- `wrap(host)` puts `RecordingFileSystem` in front of the host's files (the
  editor's `fs/*` or local disk), so every write of the file tools is
  captured first, in both file system modes;
- `mark(...)` notes where a prompt starts (next update seq, history length,
  title) before anything of it is stored; `begin()` opens the turn's row
  when the prompt reaches the model, so slash commands answered locally get
  no turn; `observe(event)` notes commands and MCP tools; `finish(messages)`
  ends the capture, and `settle()`, after the reply, seals the turn once the
  history holds its first message.

Writes outside a model turn (none are made today) pass through uncaptured.
With `checkpoints.enabled: false` nothing is wrapped or recorded.

`Lent` is the `RewindSession` a session builds for one rewind from its parts,
so the rewind code never holds the session itself.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from agent import events as ev

log = logging.getLogger("acp_server.checkpoints")

if TYPE_CHECKING:
    from acp_server.checkpoints import TurnCapture
    from acp_server.checkpoints.live import Outcome
    from acp_server.checkpoints.restore import TextWriter
    from acp_server.config.schema import CheckpointSettings
    from acp_server.server.context import SessionContext
    from acp_server.server.outbound import UpdateSink
    from acp_server.store import SessionStore
    from agent.ports import Host


class SessionCheckpoints:
    def __init__(self, store: SessionStore, session_id: str, settings: CheckpointSettings) -> None:
        self.store = store
        self.session_id = session_id
        self.settings = settings
        self.capture: TurnCapture | None = None
        self._mark: tuple[str, int, int, str | None] | None = None
        self._noted: set[str] = set()
        self._unsealed: tuple[TurnCapture, list[Mapping[str, object]]] | None = None

    def wrap(self, host: Host) -> Host:
        if not self.settings.enabled:
            return host
        from msgspec.structs import replace

        from agent.checkpoints import RecordingFileSystem

        return replace(host, files=RecordingFileSystem(host.files, self))

    def mark(self, *, prompt: str, history_len: int, title: str | None) -> None:
        """Where this prompt starts; call before its first update is stored."""
        self._mark = (prompt, self.store.next_seq(self.session_id), history_len, title)

    def begin(self) -> None:
        """The prompt reaches the model: it becomes a numbered turn.

        The turn's row is one small fsynced SQLite insert, ~0.16 ms, written on
        the loop like the session's other rows. On a worker thread it cost 1.5
        to 2.5 ms before the model request started: two thread hops, and the
        loop waiting for the GIL the thread took back after its fsync."""
        if not self.settings.enabled or self._mark is None:
            return
        from acp_server.checkpoints import Caps, open_turn

        prompt, seq, history_len, title = self._mark
        caps = Caps(self.settings.max_session_bytes, self.settings.max_total_bytes)
        self.capture = open_turn(
            self.store,
            self.session_id,
            prompt=prompt,
            history_len=history_len,
            title=title,
            caps=caps,
            seq_start=seq,
        )
        self._noted.clear()

    def observe(self, event: ev.Event) -> None:
        if self.capture is None or not isinstance(event, ev.ToolCallStarted):
            return
        effect = (
            "mcp"
            if event.tool.startswith("mcp__")
            else "commands"
            if event.kind == "execute"
            else ""
        )
        if effect and effect not in self._noted:
            self._noted.add(effect)
            self.capture.note_effects(commands=effect == "commands", mcp=effect == "mcp")

    def finish(self, messages: Sequence[Mapping[str, object]]) -> None:
        """The turn is over: nothing more is captured. Its seal (the mark of its
        first message, one fsynced SQLite update) waits for `settle`, which
        runs after the prompt's reply: the mark only serves a later rewind
        after a compaction moved that message, and the next turn, a rewind and
        `close` settle first."""
        if self.capture is not None:
            self._unsealed = (self.capture, list(messages))
        self.capture = None
        self._mark = None

    async def settle(self) -> None:
        """Seal the last finished turn, if not yet done."""
        if self._unsealed is None:
            return
        capture, messages = self._unsealed
        self._unsealed = None
        try:
            capture.seal(messages)
        except (OSError, sqlite3.Error) as error:
            # Unsealed, the turn is found by its position: right unless a later
            # compaction moved it, and then a rewind to it is refused, not wrong.
            log.warning("could not seal the checkpoint of turn %s: %s", capture.turn, error)

    async def before_write(self, path: str, content: str) -> None:
        if self.capture is not None:
            await self.capture.before_write(path, content)


class Lent:
    """What a session lends one rewind (satisfies `checkpoints.live.RewindSession`)."""

    def __init__(
        self,
        *,
        session_id: str,
        store: SessionStore,
        mode: str,
        roots: Sequence[str],
        rules: tuple[Sequence[str], Sequence[str]],
        history: Sequence[Mapping[str, object]],
        replace_history: Callable[[Sequence[Mapping[str, object]]], None],
        writer: TextWriter | None,
        send: Callable[..., Awaitable[None]],
        ask: Callable[[dict[str, object], list[dict[str, object]]], Awaitable[str]],
    ) -> None:
        self.id = session_id
        self.store = store
        self.mode = mode
        self.roots = roots
        self.rules = rules
        self.history = history
        self._replace = replace_history
        self.writer = writer
        self._send = send
        self._ask = ask

    def replace_history(self, messages: Sequence[Mapping[str, object]]) -> None:
        self._replace(messages)

    async def send(self, update: dict[str, object], *, persist: bool = True) -> None:
        await self._send(update, persist=persist)

    async def ask(self, tool_call: dict[str, object], options: list[dict[str, object]]) -> str:
        return await self._ask(tool_call, options)


class LiveHistory(Protocol):
    """What a rewind needs of a session's engine side (`SessionEngine`)."""

    @property
    def mode(self) -> str: ...

    @property
    def messages(self) -> Sequence[Mapping[str, object]]: ...

    @property
    def editor_write(self) -> TextWriter | None: ...

    def replace_history(self, messages: Sequence[Mapping[str, object]]) -> None: ...


def lend(ctx: SessionContext, live: LiveHistory, sink: UpdateSink, roots: Sequence[str]) -> Lent:
    """What one rewind may use of a session: its history and the editor's
    writer through `live`, its updates and permission prompt through `sink`."""
    from functools import partial

    permissions = ctx.config.permissions
    return Lent(
        session_id=sink.session_id,
        store=ctx.store,
        mode=live.mode,
        roots=roots,
        rules=(permissions.allow, permissions.deny),
        history=live.messages,
        replace_history=live.replace_history,
        writer=live.editor_write,
        send=sink.send,
        ask=partial(ask_client, sink.request, sink.session_id, ctx.config.timeouts.client_request),
    )


async def ask_client(
    request: Callable[..., Awaitable[object]],
    session_id: str,
    timeout: float,
    tool_call: dict[str, object],
    options: list[dict[str, object]],
) -> str:
    """`session/request_permission` with our own options; "" when there is no
    choice (cancelled, no answer in time, an error): never a yes."""
    from protocol import RpcError

    params = {"sessionId": session_id, "toolCall": tool_call, "options": options}
    try:
        result = await request("session/request_permission", params, timeout=timeout)
    except (TimeoutError, RpcError, ConnectionError):
        return ""
    outcome = result.get("outcome") if isinstance(result, dict) else None
    if not isinstance(outcome, dict) or outcome.get("outcome") != "selected":
        return ""
    choice = outcome.get("optionId")
    return choice if isinstance(choice, str) else ""


# ---------------------------------------------------------------- what commands say


def last_turn(store: SessionStore, session_id: str) -> int | None:
    turns = store.checkpoints.turns(session_id)
    return turns[-1].turn if turns else None


async def listing_reply(store: SessionStore, session_id: str) -> str:
    from acp_server.checkpoints import listing
    from acp_server.checkpoints.live import render_listing
    from agent.fileio import off_loop

    return render_listing(await off_loop(listing, store, session_id))


async def rewind_reply(lent: Lent, turn: int | None) -> tuple[str, Outcome | None]:
    """`/rewind N` (None: `/undo`) as a reply, and the outcome when it ran."""
    from acp_server.checkpoints import RewindError
    from acp_server.checkpoints.live import report, rewind

    turn = turn if turn is not None else last_turn(lent.store, lent.id)
    if turn is None:
        return "Nothing to undo: no turn has reached the model yet.", None
    try:
        outcome = await rewind(lent, turn)
    except RewindError as error:
        return f"Cannot rewind: {error}.", None
    return report(outcome), outcome


def fork_before(
    store: SessionStore, session_id: str, turn: int, messages: Sequence[Mapping[str, object]]
) -> str:
    """A new stored session from the conversation before `turn`; its id. The
    files are not touched; the earlier turns are listed in the fork without
    their file checkpoints."""
    from msgspec.structs import replace

    from acp_server.checkpoints import RewindError
    from acp_server.checkpoints.rewind import fork_start
    from acp_server.server.ids import session_id_source

    source = store.get(session_id)
    if source is None:
        raise LookupError(f"session {session_id} is not stored")
    try:
        start = fork_start(store, session_id, turn, messages)
    except RewindError as error:
        raise LookupError(str(error)) from None
    new_id = session_id_source()()
    title = f"{source.title} (fork)" if source.title else None
    store.create(replace(source, id=new_id, title=title, messages=start.messages, created_at=0.0))
    store.append_updates(new_id, start.updates)
    store.checkpoints.copy_turns(session_id, new_id, turn)
    return new_id


__all__ = [
    "Lent",
    "LiveHistory",
    "SessionCheckpoints",
    "ask_client",
    "fork_before",
    "last_turn",
    "lend",
    "listing_reply",
    "rewind_reply",
]
