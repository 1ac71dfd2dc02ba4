"""A session's checkpoint keeping, and what it lends a rewind.

`SessionCheckpoints` sits between a session and its host's file service:
- `wrap(host)` puts `RecordingFileSystem` in front of the host's files (the
  editor's `fs/*` or local disk), so every write of the file tools is
  captured first, in both file system modes;
- `mark(...)` notes where a prompt starts (next update seq, history length,
  title) before anything of it is stored; `begin()` makes it a numbered turn
  when the prompt reaches the model, so slash commands answered locally get
  no turn; the turn's row is written before its first effect (a captured
  write, a command or MCP tool seen by `observe(event)`), else by `settle()`;
  `finish(messages)` ends the capture, and `settle()`, after the reply, seals
  the turn once the history holds its first message.

Writes outside a model turn (none are made today) pass through uncaptured.
With `checkpoints.enabled: false` nothing is wrapped or recorded.

`Lent` is the `RewindSession` a session builds for one rewind from its parts,
so the rewind code never holds the session itself.
"""

from __future__ import annotations

import logging
import sqlite3
import time
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


#: where a prompt starts: (prompt text, next update seq, history length, title, time)
Mark = tuple[str, int, int, "str | None", float]


class SessionCheckpoints:
    def __init__(self, store: SessionStore, session_id: str, settings: CheckpointSettings) -> None:
        self.store = store
        self.session_id = session_id
        self.settings = settings
        self.capture: TurnCapture | None = None
        self._mark: Mark | None = None
        self._noted: set[str] = set()
        self._started = False
        self._unsealed: tuple[TurnCapture | Mark, list[Mapping[str, object]]] | None = None

    def wrap(self, host: Host) -> Host:
        if not self.settings.enabled:
            return host
        from msgspec.structs import replace

        from agent.checkpoints import RecordingFileSystem

        return replace(host, files=RecordingFileSystem(host.files, self))

    def mark(self, *, prompt: str, history_len: int, title: str | None) -> None:
        """Where this prompt starts; call before its first update is stored."""
        self._mark = (prompt, self.store.next_seq(self.session_id), history_len, title, time.time())

    def begin(self) -> None:
        """The prompt reaches the model: it becomes a numbered turn.

        Its row is written at the turn's first effect (a file write, a
        command, an MCP tool) or, for a turn with none, with its seal after
        the reply: never before the model request. The row is an fsynced
        insert (`synchronous=FULL`, which a file's checkpoint needs before the
        file changes), 0.2 ms on a quiet disk and 3 ms under load, and a turn
        that has changed nothing yet has nothing to make durable first."""
        if self.settings.enabled and self._mark is not None:
            self._started = True
            self._noted.clear()

    def _opened(self) -> TurnCapture | None:
        """The running turn's capture, its row written now if not yet."""
        if self.capture is None and self._started and self._mark is not None:
            self._started = False
            self.capture = self._open(self._mark)
        return self.capture

    def _open(self, mark: Mark, *, messages: Sequence[Mapping[str, object]] = ()) -> TurnCapture:
        """Write the turn's row; sealed at once when `messages` holds its first."""
        from acp_server.checkpoints import Caps, message_mark, open_turn

        prompt, seq, history_len, title, started_at = mark
        first = message_mark(messages[history_len]) if len(messages) > history_len else None
        caps = Caps(self.settings.max_session_bytes, self.settings.max_total_bytes)
        return open_turn(
            self.store,
            self.session_id,
            prompt=prompt,
            history_len=history_len,
            title=title,
            caps=caps,
            seq_start=seq,
            started_at=started_at,
            history_mark=first,
        )

    def observe(self, event: ev.Event) -> None:
        if not isinstance(event, ev.ToolCallStarted) or (
            self.capture is None and not self._started
        ):
            return
        effect = (
            "mcp"
            if event.tool.startswith("mcp__")
            else "commands"
            if event.kind == "execute"
            else ""
        )
        if not effect or effect in self._noted:
            return
        self._noted.add(effect)
        try:
            if (capture := self._opened()) is not None:
                capture.note_effects(commands=effect == "commands", mcp=effect == "mcp")
        except (OSError, sqlite3.Error) as error:
            log.warning("could not note that %s ran in this turn: %s", effect, error)

    def finish(self, messages: Sequence[Mapping[str, object]]) -> None:
        """The turn is over: nothing more is captured. Its seal (the mark of its
        first message, one fsynced SQLite write, with the turn's row when no
        effect wrote it) waits for `settle`, which runs after the prompt's
        reply: the mark only serves a later rewind after a compaction moved
        that message, and the next turn, a rewind and `close` settle first."""
        if self.capture is not None:
            self._unsealed = (self.capture, list(messages))
        elif self._started and self._mark is not None:
            self._unsealed = (self._mark, list(messages))
        self.capture = None
        self._mark = None
        self._started = False

    async def settle(self) -> None:
        """Seal the last finished turn, if not yet done."""
        if self._unsealed is None:
            return
        finished, messages = self._unsealed
        self._unsealed = None
        try:
            if isinstance(finished, tuple):  # no effect opened its row: row and seal at once
                self._open(finished, messages=messages)
            else:
                finished.seal(messages)
        except (OSError, sqlite3.Error) as error:
            # Unsealed, the turn is found by its position: right unless a later
            # compaction moved it, and then a rewind to it is refused, not wrong.
            # Without a row (a turn that changed nothing) it cannot be a target.
            log.warning("could not seal the checkpoint of the last turn: %s", error)

    async def before_write(self, path: str, content: str) -> None:
        try:
            capture = self._opened()
        except (OSError, sqlite3.Error) as error:
            from agent.fileio import printable
            from agent.ports import FileAccessError

            raise FileAccessError(
                f"cannot record a checkpoint of {printable(path)} ({error}), so it is not changed"
            ) from None
        if capture is not None:
            await capture.before_write(path, content)


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
