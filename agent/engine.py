"""The turn engine: `Engine.submit(prompt) -> AsyncIterator[Event]`.

A turn streams model calls until the model stops, running the tool calls of
each response concurrently (bounded) and feeding their results back. It ends
with exactly one `TurnFinished`; every `ToolCallStarted` gets exactly one
`ToolCallFinished` first, also when a call is denied, fails or is cancelled.

The work runs in a task that feeds a queue, and `submit` yields from the
queue, so no yield ever happens inside a timeout or task group. `cancel()`
stops the model stream and the tools, closes open tool calls and ends the turn
`cancelled` promptly, so a host can flush everything before it answers; a
cancel that lands before the turn's task has run a step ends it too.
`delivered()` lets a host order its own requests after the events emitted so
far (see `agent.relay`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence

import msgspec

from agent.budget import budget_stop
from agent.compression import estimate_tokens, reported_compaction
from agent.config import EngineConfig
from agent.context import system_prompt
from agent.events import (
    Event,
    StopReason,
    TextDelta,
    ThoughtDelta,
    TurnFailure,
    TurnFinished,
    UsageUpdated,
)
from agent.history import Step, TurnTotals, assistant_message, repair_history, user_message
from agent.ports import Host, PromptPart
from agent.providers import (
    BreakerBoard,
    Message,
    ModelClient,
    ModelRequest,
    RetryPolicy,
    StreamText,
    ToolSchema,
    check_model,
    cost_usd,
    model_info,
    open_model,
)
from agent.relay import EventRelay
from agent.routing import fit_context, route_prompt
from agent.step import stream_step
from agent.tools.api import Tool, ToolSource
from agent.tools.builtin import builtin_tools
from agent.tools.info import ToolInfo, describe_tools
from agent.tools.runner import ToolRunner, ToolSettings
from agent.turn_failure import describe_failure

log = logging.getLogger("agent")
Emit = Callable[[Event], None]


class Engine:
    def __init__(
        self,
        config: EngineConfig,
        host: Host,
        *,
        cwd: str,
        roots: Sequence[str] = (),
        mode: str = "ask",
        model: str | None = None,
        messages: Sequence[Message] | None = None,
        tool_sources: Sequence[ToolSource] = (),
        instructions: str | None = None,
        session_cost_usd: float = 0.0,
    ) -> None:
        self.config = config
        self.host = host
        self.cwd = cwd
        self.roots = tuple(roots) or (cwd,)
        # Shared with each turn's runner: a mode change applies to the next decision.
        self.tool_settings = ToolSettings(
            cwd,
            self.roots,
            mode,
            allow=config.allow,
            deny=config.deny,
            concurrency=config.tool_concurrency,
            command_timeout=config.command_timeout,
            max_edit_bytes=config.max_edit_bytes,
        )
        self.model = model or config.model
        self.thought_level = config.thought_level
        self.messages: list[Message] = list(messages or [])
        self.tool_sources = list(tool_sources)
        self.instructions = instructions
        self.session_cost_usd = session_cost_usd
        self.last_turn_cost_usd: float | None = None
        self._builtin = builtin_tools()
        self._breakers = BreakerBoard()
        self._clients: dict[str, ModelClient] = {}
        self._turn_task: asyncio.Task[None] | None = None
        self._cancelled_task: asyncio.Task[None] | None = None
        self._relay: EventRelay | None = None
        self._last_context = 0
        self._calling: str | None = None  # the model being called, named if it fails

    # ------------------------------------------------------------ state

    @property
    def mode(self) -> str:
        return self.tool_settings.mode

    @mode.setter
    def mode(self, mode: str) -> None:
        self.tool_settings.mode = mode

    def tools(self) -> list[Tool]:
        seen: dict[str, Tool] = {t.spec.name: t for t in self._builtin}
        for source in self.tool_sources:
            for tool in source.tools():
                seen.setdefault(tool.spec.name, tool)
        return list(seen.values())

    def _lookup(self, name: str) -> Tool | None:
        return next((t for t in self.tools() if t.spec.name == name), None)

    def check_ready(self) -> None:
        """Raise ModelNotConfigured (with a hint) when no provider can serve the model."""
        check_model(self.model, self.config.providers)

    def context_window(self, model: str | None = None) -> int:
        """The window of `model` (default: the session's model)."""
        return (
            self.config.context_window_override
            or model_info(model or self.model or "scripted", self.config.prices).context_window
        )

    def context_usage(self) -> tuple[int, int]:
        used = self._last_context or estimate_tokens(self.messages)
        return used, self.context_window()

    def tool_infos(self) -> list[ToolInfo]:
        """Every tool the model sees, where it comes from, and what calling it
        (with no arguments, inside the roots) does in the current mode."""
        return describe_tools(
            self.tools(),
            {t.spec.name for t in self._builtin},
            cwd=self.cwd,
            mode=self.mode,
            roots=self.roots,
            allow=self.config.allow,
            deny=self.config.deny,
        )

    def clear(self) -> None:
        self.messages.clear()
        self._last_context = 0

    def cancel(self) -> None:
        """End the running turn as `cancelled` (no-op when idle). Safe to call
        from another thread; the turn then ends on its own loop."""
        task = self._turn_task
        if task is None:
            return
        # Also when the turn itself is done but its events are still being
        # delivered: what the reader has not got yet is dropped (see submit).
        self._cancelled_task = task
        if task.done():
            return
        loop = task.get_loop()
        try:
            same_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            task.cancel()
        else:  # called from another thread (e.g. a signal handler or a GUI)
            loop.call_soon_threadsafe(task.cancel)

    @property
    def busy(self) -> bool:
        return self._turn_task is not None and not self._turn_task.done()

    # ------------------------------------------------------------ turn

    async def submit(self, prompt: Sequence[PromptPart]) -> AsyncIterator[Event]:
        """Run one turn. One turn at a time: a second concurrent submit raises
        RuntimeError, since two turns would interleave one history."""
        if self.busy:
            raise RuntimeError("a turn is already running on this engine; cancel it or wait")
        relay = EventRelay()
        task = asyncio.create_task(self._turn(prompt, relay.emit))
        # The relay's None marks the end of the task. After a TurnFinished it is
        # never read; without one, the task was cancelled before its first step
        # (a cancel read together with its prompt), so none of `_turn` ran.
        task.add_done_callback(lambda _: relay.end())
        self._turn_task, self._relay = task, relay
        try:
            while True:
                event = await relay.next()
                if event is None:
                    if not task.cancelled():
                        task.result()  # what escaped the turn is the host's to report
                    yield TurnFinished("cancelled")
                    return
                if self._cancelled_task is task and isinstance(event, (TextDelta, ThoughtDelta)):
                    # A fast model can run far ahead of a slow reader; once the
                    # user cancels, text not yet delivered is dropped so the turn
                    # stops at once. Tool-call closures and TurnFinished still come.
                    relay.handled()
                    continue
                if isinstance(event, TurnFinished):
                    if self._cancelled_task is task and event.stop_reason != "cancelled":
                        # The model finished before the cancel, the reader had not:
                        # to the reader, who saw the text stop, it was cancelled.
                        event = msgspec.structs.replace(event, stop_reason="cancelled")
                    yield event
                    return
                yield event
                relay.handled()  # the reader asks for the next: it is done with this one
        finally:
            relay.close()  # no reader any more: nobody waits on delivered()
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            if self._turn_task is task:
                self._turn_task = None

    async def delivered(self) -> None:
        """Return once the reader of the running turn has handled every event
        emitted so far (at once when no turn runs). A host awaits this before a
        request to its client for a tool call, so that the client has been told
        of the call first: see `agent.relay`."""
        if self._relay is not None:
            await self._relay.delivered()

    async def compact(self, emit: Emit | None = None) -> bool:
        """Summarise older history now (`/compact`); its lifecycle events go to
        `emit`. True when anything was compacted."""
        return await self._compact(emit or (lambda _event: None), force=True)

    async def _turn(self, prompt: Sequence[PromptPart], emit: Emit) -> None:
        usage = TurnTotals()
        runner = ToolRunner(self.tool_settings, self._lookup, self.host, emit)
        prompt_message = user_message(prompt)
        self.messages.append(prompt_message)
        stop: StopReason = "end_turn"
        message: str | None = None
        failure: TurnFailure | None = None
        try:
            stop, message = await self._loop(prompt, emit, usage, runner, prompt_message)
        except asyncio.CancelledError:
            stop = "cancelled"
        except Exception as error:
            # A failure is the turn's outcome, never model text: it travels in
            # TurnFinished only, so no host can store it as the answer.
            failure = describe_failure(error, self._calling or self.model or "")
            self._calling = None
            if failure.kind == "internal":
                log.exception("turn failed")
            else:
                log.warning("turn failed: %s", failure.message)
            stop, message = "failed", failure.message
        runner.close_open_calls(
            "Cancelled" if stop == "cancelled" else "The turn ended before this call finished"
        )
        repair_history(self.messages)
        self.last_turn_cost_usd = usage.cost
        emit(TurnFinished(stop, usage.total(), message, failure))

    async def _loop(
        self,
        prompt: Sequence[PromptPart],
        emit: Emit,
        usage: TurnTotals,
        runner: ToolRunner,
        prompt_message: Message,
    ) -> tuple[StopReason, str | None]:
        for request_number in range(self.config.max_turns):
            stopped = budget_stop(self.config.max_budget_usd, self.session_cost_usd, emit)
            if stopped is not None:
                return "max_turn_requests", stopped
            if self.config.compression_enabled:
                # Never summarise away the prompt this turn is answering.
                keep_from = next(i for i, m in enumerate(self.messages) if m is prompt_message)
                await self._compact(emit, keep_from=keep_from)
            model = self._route(prompt, emit) if request_number == 0 else self.model
            model = self._fit_context(model or "", emit)
            step, served = await self._model_call(model or "", emit)
            self._record(step, emit, usage, served)
            if step.finish == "max_tokens":
                return "max_tokens", "The model reached its output token limit."
            if step.finish == "refusal":
                return "refusal", "The model refused to continue."
            if not step.calls:
                return "end_turn", None
            self.messages.extend(await runner.run_all(step.calls))
        return (
            "max_turn_requests",
            f"Stopped after {self.config.max_turns} model requests in one prompt.",
        )

    def _route(self, prompt: Sequence[PromptPart], emit: Emit) -> str | None:
        return route_prompt(prompt, self.model, self.config, emit)

    def _fit_context(self, model: str, emit: Emit) -> str:
        needed = estimate_tokens(self.messages)
        return fit_context(model, needed, self.context_window, self.config, emit)

    def _client(self, model: str) -> ModelClient:
        client = self._clients.get(model)
        if client is None:
            retry = RetryPolicy(
                max_attempts=self.config.retry_attempts, base_delay=self.config.retry_base_delay
            )
            client = open_model(
                model,
                self.config.providers,
                fallback=self.config.fallback_models,
                retry=retry,
                breakers=self._breakers,
            )
            self._clients[model] = client
        return client

    def _request(
        self, model: str, messages: Sequence[Message], tools: Sequence[Tool], system: str
    ) -> ModelRequest:
        schemas = [ToolSchema(t.spec.name, t.spec.description, t.spec.input_schema) for t in tools]
        return ModelRequest(
            model=model,
            system=system,
            messages=messages,
            tools=schemas,
            max_tokens=self.config.max_output_tokens,
            thought_level=self.thought_level,
            inactivity_timeout=self.config.provider_inactivity_timeout,
        )

    async def _model_call(self, model: str, emit: Emit) -> tuple[Step, str]:
        """One model step and the model that served it (a fallback may have)."""
        self._calling = model
        client = self._client(model)
        tools = self.tools()
        request = self._request(
            model,
            self.messages,
            tools,
            system_prompt(self.cwd, self.roots, self.mode, tools, self.instructions),
        )
        # The first token reaches the reader before the rest is parsed (see step.py).
        step = await stream_step(client, request, emit, self.delivered)
        self.messages.append(assistant_message(step))
        self._calling = None
        return step, client.model_id

    def _record(self, step: Step, emit: Emit, usage: TurnTotals, model: str) -> None:
        info = model_info(model, self.config.prices)
        cost = cost_usd(info, step.input_tokens, step.output_tokens)
        usage.add(step, cost)
        if cost is not None:
            self.session_cost_usd += cost
        # The context is the latest request (its input plus its output). A
        # call whose server reported no usage leaves the last known size; with
        # none known yet, the history's estimate stands in, never a 0.
        reported = step.input_tokens + step.output_tokens
        self._last_context = reported or self._last_context or estimate_tokens(self.messages)
        emit(
            UsageUpdated(
                model=model,
                input_tokens=step.input_tokens,
                output_tokens=step.output_tokens,
                cached_input_tokens=step.cached_tokens,
                thought_tokens=step.thought_tokens,
                context_used=self._last_context,
                context_window=self.context_window(model),
                turn_cost_usd=usage.cost,
                session_cost_usd=self.session_cost_usd if usage.cost is not None else None,
            )
        )

    async def _compact(
        self, emit: Emit, *, keep_from: int | None = None, force: bool = False
    ) -> bool:
        window = self.context_window()
        used = max(self._last_context, estimate_tokens(self.messages))
        if not force and used < self.config.compression_threshold * window:
            return False
        result = await reported_compaction(
            self.messages,
            self.config.protect_last_n,
            self._summary,
            emit,
            keep_from=keep_from,
            automatic=not force,
        )
        if result is None:
            return False
        self.messages[:] = result.messages
        self._last_context = estimate_tokens(self.messages)
        emit(result.event)
        return True

    async def _summary(self, messages: Sequence[Message]) -> AsyncIterator[str]:
        """The summary of `messages`, as the model streams it."""
        client = self._client(self.model or "")
        request = self._request(
            self.model or "",
            messages,
            (),
            "You write faithful, compact summaries of coding sessions.",
        )
        async for event in client.stream(request):
            if isinstance(event, StreamText):
                yield event.text


__all__ = ["Engine", "ToolInfo"]
