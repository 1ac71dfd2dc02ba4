"""One model call folded into a `Step`: text, thinking, tool calls, usage and
how it finished, with the text and thinking emitted as they stream.

The call's events come in batches (see agent.providers.pump), and the
provider is read on only when the next batch is asked for. After the first
text or thinking of the call, `delivered` (the engine's barrier) is awaited
before asking: the reader shows the first token before the rest of a
response that arrived in one piece is parsed.

Text, thinking and tool arguments hold no lone surrogate after this (an SDK
decodes a provider's `"\\ud83d"` into one): each is U+FFFD, as in tool
results, or no frame or history write holding it could be encoded."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol

import msgspec

from agent.events import (
    Event,
    FallbackNotice,
    PlanEntry,
    PlanUpdated,
    RetryNotice,
    TextDelta,
    ThoughtDelta,
)
from agent.fileio import printable
from agent.history import Step
from agent.providers import (
    ModelEvent,
    ModelRequest,
    StreamEnd,
    StreamPlan,
    StreamText,
    StreamThought,
    StreamToolCall,
    StreamUsage,
)


class BatchSource(Protocol):
    """What a step streams from: a `ModelClient`, or anything batching alike."""

    def stream_batches(self, request: ModelRequest) -> AsyncIterator[Sequence[ModelEvent]]: ...


async def stream_step(
    client: BatchSource,
    request: ModelRequest,
    emit: Callable[[Event], None],
    delivered: Callable[[], Awaitable[None]] | None = None,
) -> Step:
    step = Step()
    first_shown = delivered is None
    async for batch in client.stream_batches(request):
        for event in batch:
            if type(event) is StreamText:  # the common case, without a call
                text = event.text if event.text.isascii() else printable(event.text)
                step.text.append(text)
                emit(TextDelta(text))
            else:
                step = _fold(step, event, emit)
        if not first_shown and (step.text or step.thinking):
            first_shown = True
            assert delivered is not None
            await delivered()
    return step


def _fold(step: Step, event: ModelEvent, emit: Callable[[Event], None]) -> Step:
    """`step` with `event` added (a new Step after a retry or fallback)."""
    if isinstance(event, StreamText):
        text = printable(event.text)
        step.text.append(text)
        emit(TextDelta(text))
    elif isinstance(event, StreamThought):
        if event.signature:
            step.signature = event.signature  # Anthropic needs it back with the thinking
        if event.text:
            thought = printable(event.text)
            step.thinking.append(thought)
            emit(ThoughtDelta(thought))
    elif isinstance(event, StreamToolCall):
        step.calls.append(_encodable_call(event))
    elif isinstance(event, StreamUsage):
        step.input_tokens += event.input_tokens
        step.output_tokens += event.output_tokens
        step.cached_tokens += event.cached_input_tokens
        step.thought_tokens += event.thought_tokens
    elif isinstance(event, StreamEnd):
        step.finish = event.reason
    elif isinstance(event, StreamPlan):
        emit(
            PlanUpdated(
                tuple(
                    PlanEntry(e, "in_progress" if i == 0 else "pending")
                    for i, e in enumerate(event.entries)
                )
            )
        )
    elif isinstance(event, (RetryNotice, FallbackNotice)):
        # The attempt that failed is void, even after output: what it
        # streamed stays on screen, but the history gets only the
        # attempt that completes (see docs/engine.md, "Retries").
        step = Step()
        emit(event)
    return step


def _encodable_call(call: StreamToolCall) -> StreamToolCall:
    """The call with every lone surrogate in its arguments as U+FFFD (rare: a
    provider's JSON escaped half a pair), so its history can be encoded."""
    try:
        msgspec.json.encode(call.arguments)
    except UnicodeEncodeError:
        return msgspec.structs.replace(call, arguments=_printable_value(call.arguments))
    return call


def _printable_value(value: object) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable(str(k)): _printable_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable_value(v) for v in value]
    return value


__all__ = ["BatchSource", "stream_step"]
