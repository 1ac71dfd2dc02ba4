"""One ACP session: its engine, options, persistence and prompt turns.

A session is given a `SessionContext` (see context.py), never the server.
Every update and every request to the client leaves through its
`UpdateSink` (outbound.py), which persists before it sends and orders the
proxies' requests after the engine's events; a turn is driven by `run_turn`
(turn.py).

Turn rules this module keeps:
- all of a turn's updates go out before the `session/prompt` response and
  nothing of the turn after it;
- a second prompt while a turn runs waits for it (a queue of one lock);
- cancel ends the running turn (and prompts queued before the cancel) with
  `cancelled`, never an error, and leaves the session usable;
- what is stored for replay names no terminal: its final output stands in.

It also satisfies `CommandHost`, the face the slash commands see.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from acp_server.config_report import ConfigReport
from acp_server.notices import Surfaced, surface
from acp_server.server import commands
from acp_server.server.checkpointing import SessionCheckpoints
from acp_server.server.options import checked_option, config_options, mode_state, model_choices
from acp_server.server.outbound import UpdateSink
from acp_server.server.translate import text_chunk
from agent import events as ev
from protocol import AfterResponse, RpcError

if TYPE_CHECKING:
    from acp_server.checkpoints.live import ConflictChoice, Outcome
    from acp_server.checkpoints.restore import TextWriter
    from acp_server.server.checkpointing import Lent
    from acp_server.server.context import SessionContext, SessionState
    from acp_server.store import Refresh
    from agent import Engine, ToolInfo
    from agent.mcp import McpAttachment
    from agent.messages import Message
    from agent.ports import Host, PromptPart
    from protocol import schema as acp

TITLE_CHARS = 60


def title_from(text: str) -> str | None:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        return None
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1].rstrip() + "…"


class Session:
    def __init__(
        self,
        ctx: SessionContext,
        session_id: str,
        cwd: str,
        roots: tuple[str, ...],
        state: SessionState,
    ) -> None:
        self.ctx = ctx
        self.id = session_id
        self.cwd = cwd
        self.roots = roots
        self.title = state.title
        self.grants: set[str] = set(state.grants or [])
        # What the engine starts from. A session/new reply needs only these, so
        # the engine, its host and the skills are built on first use (a prompt,
        # an option change, the command list sent after the reply).
        self._start = state
        self._engine: Engine | None = None
        self._host: Host | None = None
        self._editor_write: TextWriter | None = None
        self._skills: list[commands.Skill] | None = None
        self.sink = UpdateSink(session_id, ctx.link, ctx.store, ctx.client_caps.opt_ins)
        self.checkpoints = SessionCheckpoints(ctx.store, session_id, ctx.config.checkpoints)

        self._turn_lock = asyncio.Lock()
        self._cancel_epoch = 0
        self._closed = False
        self._announced = False
        self._in_turn = False
        self._held_notices: list[Surfaced] = []
        self._background: set[asyncio.Task[None]] = set()
        self.mcp: McpAttachment | None = None
        # The client's `systemPrompt` (append mode): after our prompt and AGENTS.md.
        self._instructions: str | None = None
        self._config_report = ConfigReport()

    @property
    def in_turn(self) -> bool:
        return self._in_turn

    @property
    def host(self) -> Host:
        """The editor's fs and terminal, or local ones, as the engine's ports."""
        if self._host is None:
            from acp_server.server.proxies import select_host

            caps = self.ctx.client_caps
            host = select_host(
                self.sink.request,
                self.id,
                fs_read=caps.fs_read,
                fs_write=caps.fs_write,
                terminal=caps.terminal,
                client_timeout=self.ctx.config.timeouts.client_request,
                grants=self.grants,
                on_grants_change=self._persist_grants,
                audit=self.ctx.audit,
                on_terminal_output=self.sink.terminal_output.__setitem__,
            )
            # Rewinds write back through the editor too, but are not captured.
            self._editor_write = host.files.write_text if caps.fs_write else None
            self._host = self.checkpoints.wrap(host)
        return self._host

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from agent import Engine

            start = self._start
            engine = Engine(
                self.ctx.engine_config(),
                self.host,
                cwd=self.cwd,
                roots=self.roots,
                mode=start.mode,
                model=start.model,
                messages=start.messages,
                tool_sources=(),
                session_cost_usd=start.cost_usd,
                instructions=self._instructions,
            )
            if start.thought_level:
                engine.thought_level = start.thought_level
            # The proxies' requests wait for what the engine emitted so far.
            self.sink.order_after(engine.delivered)
            self._engine = engine
        return self._engine

    @property
    def mode(self) -> str:
        return self._engine.mode if self._engine is not None else self._start.mode

    @property
    def model(self) -> str | None:
        return self._engine.model if self._engine is not None else self._start.model

    @property
    def thought_level(self) -> str | None:
        if self._engine is not None:
            return self._engine.thought_level
        return self._start.thought_level

    @property
    def messages(self) -> list[Message]:
        if self._engine is not None:
            return self._engine.messages
        return list(self._start.messages or [])

    @property
    def skills(self) -> list[commands.Skill]:
        # Looked up when the command list is sent, after the session's reply.
        if self._skills is None:
            self._skills = commands.discover_skills(self.ctx.home, self.cwd)
        return self._skills

    # ------------------------------------------------------------ updates

    async def send(self, update: dict[str, object], *, persist: bool = True) -> None:
        await self.sink.send(update, persist=persist)

    async def replay(self) -> None:
        """Re-send the stored history; close any tool call a crash left open."""
        await self.sink.replay(self.ctx.store.updates(self.id))
        await self.sink.close_open_calls(
            "Interrupted: the agent stopped before this call finished."
        )

    async def announce(self) -> None:
        """What follows a new/load/resume/fork response: the command list."""
        await self.send(
            {
                "sessionUpdate": "available_commands_update",
                "availableCommands": commands.available_commands(self.skills),
            },
            persist=False,
        )
        self._announced = True
        if self.ctx.client_caps.opt_ins.notices:
            await self._flush_notices()  # a `notice` need not wait for a turn
        self._spawn(self._refresh_catalogue())

    def _spawn(self, work: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _refresh_catalogue(self) -> None:
        """Fetch live model catalogues after the reply; offer them when they change."""
        from acp_server.server.catalogues import refresh_offered_safely

        changed = await refresh_offered_safely(self.ctx.config, self.ctx.home)
        if changed and not self._closed:
            await self.send(
                {"sessionUpdate": "config_option_update", "configOptions": self.options()},
                persist=False,
            )

    def append_system_prompt(self, text: str) -> None:
        """Append the client's `systemPrompt` to the model's system prompt
        from the next model request on (see acp_server/system_prompt.py)."""
        self._instructions = text
        if self._engine is not None:
            self._engine.instructions = text

    def report_config(self, report: ConfigReport) -> None:
        """A configuration the server refused: what this session tells of it."""
        self._config_report = report
        if (notice := report.take_notice()) is not None:
            self._on_notice(notice)  # goes out right after the session response

    # ------------------------------------------------------------ MCP and notices

    async def attach_mcp(self, specs: list[object]) -> None:
        if not specs:
            return
        self.mcp = await self.ctx.mcp_hub().attach(specs, on_notice=self._on_notice)  # type: ignore[arg-type]
        self.engine.tool_sources = [self.mcp]

    def _on_notice(self, notice: ev.Notice) -> None:
        # Updates may only go out after the session response. A `notice` may go
        # at once then; its text form for a client without the opt-in is turn
        # content, so from outside a turn it waits for the next one.
        surfaced = surface(notice)
        if surfaced is None:
            return
        if self._announced and (self._in_turn or self.ctx.client_caps.opt_ins.notices):
            self._spawn(self.sink.surface(surfaced))
        else:
            self._held_notices.append(surfaced)

    def hold_notice(self, text: str) -> None:
        """Show `text` as a notice at the start of the next turn."""
        self._on_notice(ev.Notice("warning", text))

    async def _flush_notices(self) -> None:
        held, self._held_notices = self._held_notices, []
        for surfaced in held:
            await self.sink.surface(surfaced)

    # ------------------------------------------------------------ options

    def model_choices(self) -> list[str]:
        return model_choices(self.model, self.ctx.config)

    def options(self) -> list[dict[str, object]]:
        return config_options(self.model, self.mode, self.thought_level, self.model_choices())

    def modes(self) -> dict[str, object]:
        return mode_state(self.mode)

    async def set_option(self, config_id: str, value: object) -> list[dict[str, object]]:
        setting = checked_option(config_id, value)
        if config_id == "mode":
            self.engine.mode = setting
        elif config_id == "model":
            self.engine.model = setting
        else:
            self.engine.thought_level = setting
        self.ctx.store.update_meta(
            self.id,
            model=self.engine.model,
            mode=self.engine.mode,
            thought_level=self.engine.thought_level,
        )
        return self.options()

    async def announce_option_change(self, config_id: str) -> None:
        if config_id == "mode":
            await self.send(
                {"sessionUpdate": "current_mode_update", "currentModeId": self.engine.mode},
                persist=False,
            )
        await self.send(
            {"sessionUpdate": "config_option_update", "configOptions": self.options()},
            persist=False,
        )

    # ------------------------------------------------------------ what commands see

    async def compact(self) -> bool:
        """`/compact`: its lifecycle goes out as it happens, in the form the
        client accepts; every update of it before the command's reply."""
        queue: asyncio.Queue[ev.Event] = asyncio.Queue()

        async def forward() -> None:
            while True:
                event = await queue.get()
                try:
                    if (surfaced := surface(event)) is not None:
                        await self.sink.surface(surfaced)
                finally:
                    queue.task_done()  # so the join below never waits on a failed send

        forwarder = asyncio.get_running_loop().create_task(forward())
        try:
            return await self.engine.compact(queue.put_nowait)
        finally:
            await queue.join()
            forwarder.cancel()

    def context_usage(self) -> tuple[int, int]:
        return self.engine.context_usage()

    def message_count(self) -> int:
        return len(self.messages)

    def costs(self) -> tuple[float, float | None]:
        return self.engine.session_cost_usd, self.engine.last_turn_cost_usd

    def tool_infos(self) -> list[ToolInfo]:
        return self.engine.tool_infos()

    def clear_history(self) -> None:
        self.engine.clear()
        self.persist_history()

    async def checkpoint_listing(self) -> str:
        from acp_server.server.checkpointing import listing_reply

        return await listing_reply(self.ctx.store, self.id)

    async def rewind(self, turn: int | None) -> str:
        """`/rewind N` or `/undo` (None), inside the prompt that asked for it."""
        from acp_server.server.checkpointing import rewind_reply

        reply, outcome = await rewind_reply(self._lend(), turn)
        if outcome is not None and not outcome.cancelled:
            self._rewound(outcome)
        return reply

    async def fork_before(self, turn: int) -> str:
        from acp_server.server.checkpointing import fork_before

        return fork_before(self.ctx.store, self.id, turn, self.messages)

    async def rewind_outside(self, turn: int, conflicts: ConflictChoice) -> Outcome:
        """`_acp_server/rewind`: a rewind between turns, holding the turn as a prompt does."""
        from acp_server.checkpoints.live import rewind

        async with self._turn_lock:
            if self._closed:
                raise RpcError.invalid_params(f"session {self.id} is closed")
            from acp_server.server.turn import claim_turn

            refresh = claim_turn(self.ctx.store, self.id)
            try:
                if refresh is not None:
                    await self._catch_up(refresh)
                outcome = await rewind(self._lend(), turn, conflicts=conflicts)
                if not outcome.cancelled:
                    self._rewound(outcome)
                return outcome
            finally:
                self.ctx.store.end_turn(self.id)

    def _lend(self) -> Lent:
        from functools import partial

        from acp_server.server.checkpointing import Lent, ask_client

        _ = self.host  # built now if no prompt needed it yet: the editor's writer is known
        permissions = self.ctx.config.permissions
        return Lent(
            session_id=self.id,
            store=self.ctx.store,
            mode=self.mode,
            roots=self.roots,
            rules=(permissions.allow, permissions.deny),
            history=self.messages,
            replace_history=self._replace_history,
            writer=self._editor_write,
            send=self.send,
            ask=partial(
                ask_client, self.sink.request, self.id, self.ctx.config.timeouts.client_request
            ),
        )

    def _replace_history(self, messages: Sequence[Mapping[str, object]]) -> None:
        # The entries are the engine's own, cut: the same objects, the same type.
        kept: list[Any] = list(messages)
        if self._engine is not None:
            self._engine.clear()  # also forgets the context size of the longer history
            self._engine.messages.extend(kept)
        else:
            self._start = self._start._replace(messages=kept)

    def _rewound(self, outcome: Outcome) -> None:
        self.title = outcome.title
        if self._engine is not None:
            self._engine.session_cost_usd = self.ctx.store.cost_usd(self.id)

    def mcp_status(self) -> list[dict[str, object]]:
        from acp_server.server.mcp_specs import status_rows

        return status_rows(self.mcp)

    # ------------------------------------------------------------ persistence

    def _persist_grants(self) -> None:
        self.ctx.store.update_meta(self.id, grants=sorted(self.grants))

    def persist_history(self) -> None:
        # Only what is new since the last step is written (see store/history.py).
        self.ctx.store.save_history(self.id, self.engine.messages)

    async def _catch_up(self, refresh: Refresh) -> None:
        """Continue from another process's turns: its model history, and its
        updates shown to this editor (they are stored already)."""
        from acp_server.server.context import stored_messages

        if self._engine is not None:
            self._engine.messages[:] = stored_messages(refresh.messages)
        else:
            self._start = self._start._replace(messages=stored_messages(refresh.messages))
        for payload in refresh.missed:
            await self.send(msgspec.json.decode(payload), persist=False)

    # ------------------------------------------------------------ turns

    def cancel(self) -> None:
        self._cancel_epoch += 1
        if self._engine is not None:  # no engine: no turn ever ran, the epoch says it all
            self._engine.cancel()

    async def prompt(self, request: acp.PromptRequest) -> dict[str, object] | AfterResponse:
        epoch = self._cancel_epoch
        async with self._turn_lock:
            if self._closed:
                raise RpcError.invalid_params(f"session {self.id} is closed")
            if epoch != self._cancel_epoch:
                return {"stopReason": "cancelled"}
            from acp_server.server.turn import claim_turn

            refresh = claim_turn(self.ctx.store, self.id)
            self.sink.turn += 1
            self._in_turn = True
            from acp_server.correlation import bind_ids

            bind_ids(session=self.id, turn=self.sink.turn)  # this request's task only
            try:
                if refresh is not None:
                    await self._catch_up(refresh)
                await self._flush_notices()
                result = await self._run_prompt(request, epoch)
            except BaseException:
                self._end_turn()
                await self._ingest_if_idle()  # an error reply has no follow-up to do it
                raise
            self._end_turn()
        return AfterResponse(result, self._ingest_if_idle)

    def _end_turn(self) -> None:
        self._in_turn = False
        self.ctx.store.end_turn(self.id)  # before the reply: another process may go next

    async def _ingest_if_idle(self) -> None:
        """After the reply: when no turn runs any more, move the journal into
        SQLite, where other processes' listings read it. Started before the
        reply, the ingest thread took the GIL while the reply waited (a cancel
        took ~5 ms to answer for ~1 ms of work); no need to wait for it."""
        if not self._in_turn and not self.ctx.turn_running_elsewhere(self.id):
            self.ctx.store.flush(wait=False)

    async def _run_prompt(self, request: acp.PromptRequest, epoch: int) -> dict[str, object]:
        from protocol import schema as acp  # loaded by the request's decoding already

        self._config_report.check_prompt()  # a refused config.yaml, told once
        text = "".join(b.text for b in request.prompt if isinstance(b, acp.ContentBlockText))
        self.checkpoints.mark(prompt=text, history_len=len(self.messages), title=self.title)
        for block in request.prompt:  # stored for replay; the editor already shows them live
            self.sink.record({"sessionUpdate": "user_message_chunk", "content": block})
        if self.title is None and (title := title_from(text)):
            self.title = title
            self.ctx.store.update_meta(self.id, title=title)
            await self.send(
                {"sessionUpdate": "session_info_update", "title": title, "updatedAt": _now_iso()}
            )
        outcome = await commands.dispatch(text, self) if text.lstrip().startswith("/") else None
        if outcome is not None and outcome.reply is not None:
            await self.send(text_chunk(outcome.reply))
            return {"stopReason": "end_turn"}
        from acp_server.prompt_content import to_prompt_parts
        from agent import ModelNotConfigured

        try:
            self.engine.check_ready()
        except ModelNotConfigured as error:
            raise self._config_report.no_model(f"{error}. {error.hint}") from None
        parts: list[PromptPart] = await to_prompt_parts(request.prompt, self.host.files)
        if outcome is not None and outcome.run_prompt is not None:
            from agent.ports import TextPart

            parts = [TextPart(outcome.run_prompt)]
        from agent.fileio import off_loop

        await off_loop(self.checkpoints.begin)  # the turn's row, durable before any write
        if epoch != self._cancel_epoch:
            # Cancelled while attachments were read: the engine never started,
            # so engine.cancel() could not see it.
            await off_loop(self.checkpoints.abandon)
            return {"stopReason": "cancelled"}
        return await self._drive(parts)

    async def _drive(self, parts: list[PromptPart]) -> dict[str, object]:
        from acp_server.server.turn import run_turn, usage_fields
        from agent.fileio import off_loop

        # The journal is moved into SQLite once the reply is out and no turn
        # runs (`_ingest_if_idle`): never during a stream, whose CPU it shared.
        try:
            result = await run_turn(
                self.engine,
                parts,
                self.sink,
                self.ctx.store,
                self.ctx.audit,
                observe=self.checkpoints.observe,
            )
        finally:
            await off_loop(self.checkpoints.end, list(self.engine.messages))
        if result.stop_reason == "failed" and result.failure is not None:
            from acp_server.turn_failure import prompt_error

            raise prompt_error(result.failure)  # after every update of the turn
        response: dict[str, object] = {"stopReason": result.stop_reason}
        if result.usage is not None and self.ctx.features.get("prompt_usage"):
            response["usage"] = usage_fields(result.usage)
        return response

    async def close(self) -> None:
        self._closed = True
        self.cancel()
        # Wait for the running turn to flush and answer before freeing resources.
        async with self._turn_lock:
            pass
        if self.mcp is not None:
            await self.mcp.close()


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


__all__ = ["Session", "title_from"]
