"""One model call folded into a `Step`: text, thinking, tool calls, usage and
how it finished, with the text and thinking emitted as they stream."""

from __future__ import annotations

from collections.abc import Callable

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
    ModelClient,
    ModelRequest,
    StreamEnd,
    StreamPlan,
    StreamText,
    StreamThought,
    StreamToolCall,
    StreamUsage,
)


async def stream_step(
    client: ModelClient, request: ModelRequest, emit: Callable[[Event], None]
) -> Step:
    step = Step()
    async for event in client.stream(request):
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


__all__ = ["stream_step"]
