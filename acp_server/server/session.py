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

The slash commands see it through a `CommandFace` (command_face.py). The
engine and host, built on first use, are its `SessionEngine`
(session_engine.py); notices wait in its `NoticeDesk` (session_notices.py);
its turn across processes, taken and given back, is its `TurnHold`
(turn_hold.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING

from acp_server.server.checkpointing import SessionCheckpoints
from acp_server.server.command_face import CommandFace
from acp_server.server.outbound import UpdateSink
from acp_server.server.session_engine import SessionEngine
from acp_server.server.session_notices import NoticeDesk
from acp_server.server.titles import title_from, title_update
from acp_server.server.translate import text_chunk
from acp_server.server.turn_hold import TurnHold
from agent import events as ev
from protocol import AfterResponse, RpcError

if TYPE_CHECKING:
    # Loaded when first used, after the session/new reply: the slash commands
    # and skills with the command list, titles and config reports with a prompt.
    from acp_server.checkpoints.live import ConflictChoice, Outcome
    from acp_server.config_report import ConfigReport
    from acp_server.server.checkpointing import Lent
    from acp_server.server.commands import Skill
    from acp_server.server.context import SessionContext, SessionState
    from agent import Engine
    from agent.mcp import McpAttachment, McpServerSpec
    from agent.messages import Message
    from agent.ports import Host, PromptPart
    from protocol import schema as acp


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
        self.sink = UpdateSink(session_id, ctx.link, ctx.store, ctx.client_caps.opt_ins)
        self.checkpoints = SessionCheckpoints(ctx.store, session_id, ctx.config.checkpoints)
        # The engine, its host and the skills are built on first use (a prompt,
        # an option change, the command list sent after the reply).
        self.live = SessionEngine(
            ctx,
            self.sink,
            self.checkpoints,
            cwd=cwd,
            roots=roots,
            state=state,
            grants=self.grants,
            on_grants_change=self._persist_grants,
        )
        self._skills: list[Skill] | None = None

        self.turns = TurnHold(ctx.store, session_id, self.live, self.sink, self.checkpoints)
        self._turn_lock = asyncio.Lock()
        self._cancel_epoch = 0
        self._closed = False
        self._in_turn = False
        self._background: set[asyncio.Task[None]] = set()
        self.notices = NoticeDesk(self.sink, self._spawn, lambda: self._in_turn)
        self.mcp: McpAttachment | None = None
        self._report: ConfigReport | None = None  # None: nothing refused so far

    @property
    def in_turn(self) -> bool:
        return self._in_turn

    @property
    def host(self) -> Host:
        return self.live.host

    @property
    def engine(self) -> Engine:
        return self.live.engine

    @property
    def mode(self) -> str:
        return self.live.mode

    @property
    def model(self) -> str | None:
        return self.live.model

    @property
    def messages(self) -> list[Message]:
        return self.live.messages

    @property
    def skills(self) -> list[Skill]:
        # Looked up when the command list is sent, after the session's reply.
        if self._skills is None:
            from acp_server.server.commands import discover_skills

            self._skills = discover_skills(self.ctx.home, self.cwd)
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
        from acp_server.server.commands import available_commands

        await self.send(
            {
                "sessionUpdate": "available_commands_update",
                "availableCommands": available_commands(self.skills),
            },
            persist=False,
        )
        self.notices.announced = True
        if self.ctx.client_caps.opt_ins.notices:
            await self.notices.flush()  # a `notice` need not wait for a turn
        from acp_server.server.catalogues import listed_providers

        if self.ctx.home is not None and listed_providers(self.ctx.config):
            self._spawn(self._refresh_catalogue())  # else no task: nothing to ask

    def _spawn(self, work: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _refresh_catalogue(self) -> None:
        """Fetch live model catalogues after the reply; offer them when they change."""
        from acp_server.server.catalogues import refresh_offered_safely

        changed = await refresh_offered_safely(self.ctx.config, self.ctx.home)
        if changed and not self._closed:
            await self.send(self._options_update(), persist=False)

    def append_system_prompt(self, text: str) -> None:
        """Append the client's `systemPrompt` to the model's system prompt
        from the next model request on (see acp_server/system_prompt.py)."""
        self.live.append_instructions(text)

    @property
    def _config_report(self) -> ConfigReport:
        if self._report is None:  # the usual case, built only when a prompt asks
            from acp_server.config_report import ConfigReport

            self._report = ConfigReport()
        return self._report

    def report_config(self, report: ConfigReport) -> None:
        """A configuration the server refused: what this session tells of it."""
        self._report = report
        if (notice := report.take_notice()) is not None:
            self.notices.offer(notice)  # goes out right after the session response

    # ------------------------------------------------------------ MCP and notices

    async def attach_mcp(self, specs: Sequence[McpServerSpec]) -> None:
        if not specs:
            return
        self.mcp = await self.ctx.mcp_hub().attach(specs, on_notice=self.notices.offer)
        self.engine.tool_sources = [self.mcp]

    def hold_notice(self, text: str) -> None:
        """Show `text` as a notice at the start of the next turn."""
        self.notices.offer(ev.Notice("warning", text))

    # ------------------------------------------------------------ options

    def model_choices(self) -> list[str]:
        return self.live.model_choices()

    def options(self) -> list[dict[str, object]]:
        return self.live.options()

    def modes(self) -> dict[str, object]:
        return self.live.modes()

    async def set_option(self, config_id: str, value: object) -> list[dict[str, object]]:
        return self.live.set_option(config_id, value)

    async def announce_option_change(self, config_id: str) -> None:
        if config_id == "mode":
            mode: dict[str, object] = {
                "sessionUpdate": "current_mode_update",
                "currentModeId": self.mode,
            }
            await self.send(mode, persist=False)
        await self.send(self._options_update(), persist=False)

    def _options_update(self) -> dict[str, object]:
        return {"sessionUpdate": "config_option_update", "configOptions": self.options()}

    # ------------------------------------------------------------ rewinds

    async def rewind_outside(self, turn: int, conflicts: ConflictChoice) -> Outcome:
        """`_acp_server/rewind`: a rewind between turns, holding the turn as a prompt does."""
        from acp_server.checkpoints.live import rewind

        async with self._turn_lock:
            await self._take_turn()
            try:
                outcome = await rewind(self.lend(), turn, conflicts=conflicts)
                if not outcome.cancelled:
                    self.rewound(outcome)
                return outcome
            finally:
                self.turns.give_back()

    def lend(self) -> Lent:
        """What a rewind may use of this session."""
        from acp_server.server.checkpointing import lend

        return lend(self.ctx, self.live, self.sink, self.roots)

    def rewound(self, outcome: Outcome) -> None:
        self.title = outcome.title  # the title the session had before that turn
        self.live.reload_cost()

    # ------------------------------------------------------------ persistence

    def _persist_grants(self) -> None:
        self.ctx.store.update_meta(self.id, grants=sorted(self.grants))

    async def _take_turn(self) -> None:
        """Under the turn lock: the session's turn across processes (turn_hold.py)."""
        if self._closed:
            raise RpcError.invalid_params(f"session {self.id} is closed")
        await self.turns.take()

    # ------------------------------------------------------------ turns

    def cancel(self) -> None:
        self._cancel_epoch += 1
        self.live.cancel()  # no engine: no turn ever ran, the epoch says it all

    async def prompt(self, request: acp.PromptRequest) -> dict[str, object] | AfterResponse:
        epoch = self._cancel_epoch
        async with self._turn_lock:
            if epoch != self._cancel_epoch and not self._closed:
                return {"stopReason": "cancelled"}
            await self._take_turn()
            self.turns.keep_until_close_out()
            self.sink.turn += 1
            self._in_turn = True
            from acp_server.correlation import bind_ids

            bind_ids(session=self.id, turn=self.sink.turn)  # this request's task only
            try:
                await self.notices.flush()
                result = await self._run_prompt(request, epoch)
            except BaseException:
                self._in_turn = False
                self.turns.close_out()  # an error reply has no follow-up to do it
                await self._after_reply()
                raise
            self._in_turn = False
        return AfterResponse(result, self._after_reply)

    async def _after_reply(self) -> None:
        """What a reply need not wait for: the turn's history and claim, its
        checkpoint seal, then, when no turn runs any more, the journal's move
        into SQLite (where other processes' listings read it). Before the
        reply, their threads took the GIL while it waited (a cancel took ~5 ms
        to answer for ~1 ms of work)."""
        self.turns.close_out()
        await self.checkpoints.settle()
        if not self._in_turn and not self.ctx.turn_running_elsewhere(self.id):
            self.ctx.store.flush(wait=False)

    async def _run_prompt(self, request: acp.PromptRequest, epoch: int) -> dict[str, object]:
        from protocol import schema as acp  # loaded by the request's decoding already

        self._config_report.check_prompt()  # a refused config.yaml, told once
        text = "".join(b.text for b in request.prompt if isinstance(b, acp.ContentBlockText))
        self.checkpoints.mark(prompt=text, history_len=len(self.messages), title=self.title)
        for block in request.prompt:  # stored for replay; the editor already shows them live
            self.sink.record({"sessionUpdate": "user_message_chunk", "content": block})
        title = title_from(text) if self.title is None else None
        outcome = None
        if text.lstrip().startswith("/"):
            from acp_server.server.commands import dispatch

            if title is not None:
                await self._tell_title(title)
                title = None
            outcome = await dispatch(text, CommandFace(self))
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
        if epoch != self._cancel_epoch:
            # Cancelled while attachments were read: the engine never started,
            # so engine.cancel() could not see it; no turn is numbered.
            return {"stopReason": "cancelled"}
        self.checkpoints.begin()  # a numbered turn; its row is written before any effect
        return await self._drive(parts, title)

    async def _tell_title(self, title: str) -> None:
        if self.title is not None:  # the client set one meanwhile (`session/set_title`)
            return
        self.title = title
        self.ctx.store.update_meta(self.id, title=title)
        await self.send(title_update(title))

    async def _drive(self, parts: list[PromptPart], title: str | None) -> dict[str, object]:
        from functools import partial

        from acp_server.server.turn import prompt_response, run_turn

        # The journal is moved into SQLite once the reply is out and no turn
        # runs (`_after_reply`): never during a stream, whose CPU it shared.
        try:
            result = await run_turn(
                self.engine,
                parts,
                self.sink,
                self.ctx.store,
                self.ctx.audit,
                observe=self.checkpoints.observe,
                save_at_end=False,  # after the reply (`TurnHold.close_out`)
                # A new title is stored and told once the first update is out:
                # its SQLite write (which also writes a new session's row) and
                # its update are not worth delaying the first token for.
                after_first=partial(self._tell_title, title) if title is not None else None,
            )
        finally:
            self.checkpoints.finish(self.engine.messages)  # sealed after the reply
        return prompt_response(result, with_usage=self.ctx.features.get("prompt_usage", False))

    async def close(self) -> None:
        self._closed = True
        self.cancel()
        # Wait for the running turn to flush and answer before freeing resources.
        async with self._turn_lock:
            self.turns.close_out()
        await self.checkpoints.settle()
        if self.mcp is not None:
            await self.mcp.close()


__all__ = ["Session"]
