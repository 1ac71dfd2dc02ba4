"""One ACP session: its engine, options, persistence and prompt turns.

Turn rules this module keeps:
- every update is persisted, then sent; all of a turn's updates go out before
  the `session/prompt` response and nothing of the turn after it;
- a second prompt while a turn runs waits for it (a queue of one lock);
- cancel ends the running turn (and prompts queued before the cancel) with
  `cancelled`, never an error, and leaves the session usable;
- every tool call gets a final status: the ledger closes any left open;
- causal order: every request to the client goes out after the engine's events
  so far, so a `tool_call` precedes any request made for it;
- what is stored for replay names no terminal: its final output stands in.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec

from acp_server import commands
from acp_server.server.options import config_options, mode_state, model_choices
from acp_server.server.translate import ToolLedger, for_replay, text_chunk, translate
from agent import events as ev
from protocol import RpcError

if TYPE_CHECKING:
    from acp_server.server.app import AgentServer
    from agent import Engine
    from protocol import schema as acp

log = logging.getLogger("acp_server.session")
TITLE_CHARS = 60
TERMINAL_GONE = "(the output of this command was not kept)"


def title_from(text: str) -> str | None:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        return None
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1].rstrip() + "…"


class _EngineStart(NamedTuple):
    """What a session's engine starts from, kept until the engine is built."""

    model: str | None
    mode: str
    thought_level: str | None
    messages: list[dict[str, object]] | None
    cost_usd: float


class Session:
    def __init__(
        self,
        server: AgentServer,
        session_id: str,
        cwd: str,
        roots: tuple[str, ...],
        *,
        model: str | None,
        mode: str,
        thought_level: str | None,
        messages: list[dict[str, object]] | None = None,
        grants: list[str] | None = None,
        title: str | None = None,
        cost_usd: float = 0.0,
    ) -> None:
        self.server = server
        self.id = session_id
        self.cwd = cwd
        self.roots = roots
        self.title = title
        self.grants: set[str] = set(grants or [])
        # What the engine starts from. A session/new reply needs only these, so
        # the engine, its host and the skills are built on first use (a prompt,
        # an option change, the command list sent after the reply).
        self._start = _EngineStart(model, mode, thought_level, messages, cost_usd)
        self._engine: Engine | None = None
        self._host: Any = None
        self._skills: list[commands.Skill] | None = None
        self.ledger = ToolLedger()
        # The params of every session/update frame: this prefix, the update, "}".
        self._params_prefix = b'{"sessionId":' + msgspec.json.encode(session_id) + b',"update":'

        self._turn_lock = asyncio.Lock()
        self._cancel_epoch = 0
        self._turn = 0
        self._closed = False
        self._announced = False
        self._in_turn = False
        self._held_notices: list[dict[str, object]] = []
        self._background: set[asyncio.Task[None]] = set()
        self._started: dict[str, tuple[str, dict[str, object], float]] = {}
        self._terminal_output: dict[str, str] = {}  # terminal id -> final output, for replay
        self.mcp: Any = None

    @property
    def in_turn(self) -> bool:
        return self._in_turn

    @property
    def host(self) -> Any:
        """The editor's fs and terminal, or local ones, as the engine's ports."""
        if self._host is None:
            from acp_server.proxies import select_host

            caps = self.server.client_caps
            self._host = select_host(
                self._call_client,
                self.id,
                fs_read=caps.fs_read,
                fs_write=caps.fs_write,
                terminal=caps.terminal,
                client_timeout=self.server.config.timeouts.client_request,
                grants=self.grants,
                on_grants_change=self._persist_grants,
                audit=self.server.audit,
                on_terminal_output=self._terminal_output.__setitem__,
            )
        return self._host

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from agent import Engine

            start = self._start
            engine = Engine(
                self.server.engine_config(),
                self.host,
                cwd=self.cwd,
                roots=self.roots,
                mode=start.mode,
                model=start.model,
                messages=start.messages,
                tool_sources=(),
                session_cost_usd=start.cost_usd,
            )
            if start.thought_level:
                engine.thought_level = start.thought_level
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
    def messages(self) -> list[dict[str, object]]:
        if self._engine is not None:
            return self._engine.messages
        return list(self._start.messages or [])

    @property
    def skills(self) -> list[commands.Skill]:
        # Looked up when the command list is sent, after the session's reply.
        if self._skills is None:
            self._skills = commands.discover_skills(self.server.home, self.cwd)
        return self._skills

    # ------------------------------------------------------------ wire helpers

    async def _call_client(self, method: str, params: object, *, timeout: float | None) -> Any:
        """Every request this session makes to the client (permission, fs,
        terminal) goes through here, after what the engine has emitted so far
        is on its way: a tool call's `tool_call` (and its preview) precedes
        any request made for it, whichever proxy makes it."""
        if self._engine is not None:
            await self._engine.delivered()
        from agent.tools.runner import current_tool_call

        call_id = current_tool_call.get()
        if call_id is not None and isinstance(params, dict) and "_meta" not in params:
            # Names the call the request is made for, so the editor (and a
            # transcript check) can tie a file read or a terminal to it.
            params = {**params, "_meta": {"toolCallId": call_id}}
        return await self.server.endpoint.request(method, params, timeout=timeout)

    async def send(self, update: dict[str, object], *, persist: bool = True) -> None:
        payload = msgspec.json.encode(update)
        self.ledger.observe(update)
        if persist:
            stored = payload
            if b'"terminal"' in payload:  # a terminal id must not outlive this connection
                stored = msgspec.json.encode(for_replay(update, self._terminal_output))
            self.server.store.append_update(self.id, stored, self._turn)
        # Framed by concatenation, as a replay is: the update is encoded once.
        await self.server.endpoint.notify_encoded(
            "session/update", [self._params_prefix + payload + b"}"]
        )

    async def replay(self) -> None:
        """Re-send the stored history; close any tool call a crash left open."""
        prefix = self._params_prefix
        batch: list[bytes] = []
        for payload in self.server.store.updates(self.id):
            if b'"tool_call' in payload:
                update = msgspec.json.decode(payload)
                self.ledger.observe(update)
                if b'"terminal"' in payload:  # kept by an older version: the id is dead
                    payload = msgspec.json.encode(for_replay(update, {}, TERMINAL_GONE))
            batch.append(prefix + payload + b"}")
            if len(batch) == 512:
                await self.server.endpoint.notify_encoded("session/update", batch)
                batch = []
        await self.server.endpoint.notify_encoded("session/update", batch)
        for update in self.ledger.close_all(
            "Interrupted: the agent stopped before this call finished."
        ):
            await self.send(update)

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
        self._start_catalogue_refresh()

    def _start_catalogue_refresh(self) -> None:
        """Fetch live model catalogues after the reply; offer them when they change."""
        task = asyncio.get_running_loop().create_task(self._refresh_catalogue())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _refresh_catalogue(self) -> None:
        from acp_server.server.catalogues import refresh_offered

        try:
            changed = await refresh_offered(self.server.config, self.server.home)
        except Exception:  # a catalogue is a convenience: never a session's failure
            log.warning("model catalogue refresh failed", exc_info=True)
            return
        if changed and not self._closed:
            await self.send(
                {"sessionUpdate": "config_option_update", "configOptions": self.options()},
                persist=False,
            )

    # ------------------------------------------------------------ MCP

    async def attach_mcp(self, specs: list[Any]) -> None:
        if not specs:
            return
        self.mcp = await self.server.mcp_hub().attach(specs, on_notice=self._on_notice)
        self.engine.tool_sources = [self.mcp]

    def _on_notice(self, notice: ev.Notice) -> None:
        # Updates may only go out after the session response and, as turn
        # content, inside a turn: notices from outside a turn wait for the next.
        update = translate(notice)
        if update is None:
            return
        if self._in_turn and self._announced:
            task = asyncio.get_running_loop().create_task(self.send(update))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        else:
            self._held_notices.append(update)

    async def _flush_notices(self) -> None:
        held, self._held_notices = self._held_notices, []
        for update in held:
            await self.send(update)

    # ------------------------------------------------------------ options

    def model_choices(self) -> list[str]:
        return model_choices(self.model, self.server.config)

    def options(self) -> list[dict[str, object]]:
        return config_options(self.model, self.mode, self.thought_level, self.model_choices())

    def modes(self) -> dict[str, object]:
        return mode_state(self.mode)

    async def set_option(self, config_id: str, value: object) -> list[dict[str, object]]:
        if config_id == "mode":
            if value not in ("ask", "accept-edits", "read-only", "yolo"):
                raise RpcError.invalid_params(f"unknown mode {value!r}")
            self.engine.mode = str(value)
        elif config_id == "model":
            if not isinstance(value, str) or not value:
                raise RpcError.invalid_params("model must be a model id")
            self.engine.model = value
        elif config_id == "thought_level":
            if value not in ("off", "low", "medium", "high"):
                raise RpcError.invalid_params(f"unknown thought level {value!r}")
            self.engine.thought_level = str(value)
        else:
            raise RpcError.invalid_params(f"unknown config option {config_id!r}")
        self.server.store.update_meta(
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

    def mcp_status(self) -> list[dict[str, object]]:
        if self.mcp is None:
            return []
        return [
            {
                "name": st.name,
                "transport": st.transport,
                "state": st.state,
                "error": st.error,
                "tools": st.tool_count,
            }
            for st in self.mcp.status()
        ]

    # ------------------------------------------------------------ persistence

    def _persist_grants(self) -> None:
        self.server.store.update_meta(self.id, grants=sorted(self.grants))

    def persist_history(self) -> None:
        # Only what is new since the last step is written (see store/history.py).
        self.server.store.save_history(self.id, self.engine.messages)

    def hold_notice(self, text: str) -> None:
        """Show `text` as a notice at the start of the next turn."""
        self._on_notice(ev.Notice("warning", text))

    def _claim_turn(self) -> Any:
        """Take the session's turn across processes (see store/turnlock.py);
        what another process wrote since, if anything."""
        from acp_server.store import SessionBusy, SessionGone

        try:
            return self.server.store.begin_turn(self.id)
        except SessionBusy:
            raise RpcError.invalid_request(
                f"session {self.id} is running a turn in another acp-server process; "
                "try again when it has finished"
            ) from None
        except SessionGone:
            raise RpcError.resource_not_found(
                f"session {self.id} was deleted; start a new session"
            ) from None

    async def _catch_up(self, refresh: Any) -> None:
        """Continue from another process's turns: its model history, and its
        updates shown to this editor (they are stored already)."""
        if self._engine is not None:
            self._engine.messages[:] = refresh.messages
        else:
            self._start = self._start._replace(messages=refresh.messages)
        for payload in refresh.missed:
            await self.send(msgspec.json.decode(payload), persist=False)

    # ------------------------------------------------------------ turns

    def cancel(self) -> None:
        self._cancel_epoch += 1
        if self._engine is not None:  # no engine: no turn ever ran, the epoch says it all
            self._engine.cancel()

    async def prompt(self, request: acp.PromptRequest) -> dict[str, object]:
        epoch = self._cancel_epoch
        async with self._turn_lock:
            if self._closed:
                raise RpcError.invalid_params(f"session {self.id} is closed")
            if epoch != self._cancel_epoch:
                return {"stopReason": "cancelled"}
            refresh = self._claim_turn()
            self._turn += 1
            self._in_turn = True
            from acp_server.correlation import bind_ids

            bind_ids(session=self.id, turn=self._turn)  # this request's task only
            try:
                if refresh is not None:
                    await self._catch_up(refresh)
                await self._flush_notices()
                return await self._run_prompt(request, epoch)
            finally:
                self._in_turn = False
                self.server.store.end_turn(self.id)

    async def _run_prompt(self, request: acp.PromptRequest, epoch: int) -> dict[str, object]:
        from protocol import schema as acp  # loaded by the request's decoding already

        text = "".join(b.text for b in request.prompt if isinstance(b, acp.ContentBlockText))
        for block in request.prompt:  # stored for replay; the editor already shows them live
            self.server.store.append_update(
                self.id,
                msgspec.json.encode({"sessionUpdate": "user_message_chunk", "content": block}),
                self._turn,
            )
        if self.title is None and (title := title_from(text)):
            self.title = title
            self.server.store.update_meta(self.id, title=title)
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
            raise RpcError.auth_required(f"{error}. {error.hint}") from None
        parts = await to_prompt_parts(request.prompt, self.host.files)
        if outcome is not None and outcome.run_prompt is not None:
            from agent.ports import TextPart

            parts = [TextPart(outcome.run_prompt)]
        if epoch != self._cancel_epoch:
            # Cancelled while attachments were read: the engine never started,
            # so engine.cancel() could not see it.
            return {"stopReason": "cancelled"}
        return await self._drive(parts)

    async def _drive(self, parts: list[Any]) -> dict[str, object]:
        stop = "end_turn"
        usage: ev.TurnUsage | None = None
        failure: ev.TurnFailure | None = None
        try:
            handled = 0
            async for event in self.engine.submit(parts):
                await self._on_event(event)
                if isinstance(event, ev.TurnFinished):
                    stop, usage, failure = event.stop_reason, event.usage, event.failure
                handled += 1
                if handled % 32 == 0:
                    # Queues that never run empty never suspend: yield now and then so
                    # other sessions' requests are read and answered during a long stream.
                    await asyncio.sleep(0)
        finally:
            for update in self.ledger.close_all("The turn ended before this call finished."):
                await self.send(update)
            self.persist_history()
            if not self.server.turn_running(besides=self):
                # The last turn running ends: its updates (and any other session's)
                # become readable by other processes. Not earlier, so an ingest
                # never shares the CPU with a stream; no need to wait for it.
                self.server.store.flush(wait=False)
        if stop == "failed" and failure is not None:
            from acp_server.turn_failure import prompt_error

            raise prompt_error(failure)  # after every update of the turn
        response: dict[str, object] = {"stopReason": stop}
        if usage is not None and self.server.features.get("prompt_usage"):
            response["usage"] = {
                "inputTokens": usage.input_tokens,
                "outputTokens": usage.output_tokens,
                "totalTokens": usage.input_tokens + usage.output_tokens,
                "thoughtTokens": usage.thought_tokens,
                "cachedReadTokens": usage.cached_input_tokens,
            }
        return response

    async def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.UsageUpdated):
            from agent.providers import cost_usd, model_info

            cost = cost_usd(
                model_info(event.model, self.engine.config.prices),
                event.input_tokens,
                event.output_tokens,
            )
            self.server.store.record_usage(
                self.id, self._turn, event.model, event.input_tokens, event.output_tokens, cost
            )
            self.persist_history()  # a kill -9 mid-turn keeps every completed model step
        elif isinstance(event, ev.PermissionDecided):
            self.server.audit(
                "permission",
                session=self.id,
                call_id=event.call_id,
                tool=event.tool,
                allowed=event.allowed,
                by=event.by,
                reason=event.reason,
            )
            return
        elif isinstance(event, ev.TurnFinished) and event.failure and event.stop_reason == "failed":
            from acp_server.turn_failure import audit_fields, failure_update

            self.server.audit("turn_failed", session=self.id, **audit_fields(event.failure))
            await self.send(failure_update(event.failure))  # stored as a failure, not as text
            return
        elif isinstance(event, ev.ToolCallStarted):
            self._started[event.call_id] = (event.tool, dict(event.raw_input), time.monotonic())
        elif isinstance(event, ev.ToolCallFinished):
            tool, arguments, began = self._started.pop(event.call_id, ("?", {}, time.monotonic()))
            self.server.audit(
                "tool_call",
                session=self.id,
                call_id=event.call_id,
                tool=tool,
                arguments=arguments,  # redacted by the audit log
                status=event.status,
                duration_ms=round((time.monotonic() - began) * 1000, 1),
            )
        update = translate(event)
        if update is not None:
            await self.send(update)

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
