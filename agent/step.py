"""One model call folded into a `Step`: text, thinking, tool calls, usage and
how it finished, with the text and thinking emitted as they stream.

The call's events come in batches (see agent.providers.pump), and the
provider is read on only when the next batch is asked for. After the first
text or thinking of the call, `delivered` (the engine's barrier) is awaited
before asking: the reader shows the first token before the rest of a
response that arrived in one piece is parsed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Protocol

from agent.events import (
    Event,
    FallbackNotice,
    PlanEntry,
    PlanUpdated,
    RetryNotice,
    TextDelta,
    ThoughtDelta,
)
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
                step.text.append(event.text)
                emit(TextDelta(event.text))
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
        step.text.append(event.text)
        emit(TextDelta(event.text))
    elif isinstance(event, StreamThought):
        if event.signature:
            step.signature = event.signature  # Anthropic needs it back with the thinking
        if event.text:
            step.thinking.append(event.text)
            emit(ThoughtDelta(event.text))
    elif isinstance(event, StreamToolCall):
        step.calls.append(event)
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


__all__ = ["BatchSource", "stream_step"]
