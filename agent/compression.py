"""Context compression: summarise older history into one message.

The last `protect_last_n` messages stay verbatim, a tool call is never split
from its result, and the current turn's prompt is never summarised away.

`reported_compaction` runs one with its lifecycle told to the host: a
`CompactionStarted`, a `CompactionSummaryDelta` per piece of the summary as
the model writes it, then `Compacted` or, when summarising raised or was
cancelled, `CompactionFailed` (the history is then unchanged). Nothing is
reported when there is nothing to summarise.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import msgspec

from agent.events import (
    Compacted,
    CompactionFailed,
    CompactionStarted,
    CompactionSummaryDelta,
    Event,
)
from agent.messages import Message, UserMessage
from agent.providers.scripted import SUMMARY_REQUEST_MARKER

SUMMARY_PREFIX = "Summary of the earlier conversation:\n"


def estimate_tokens(messages: Sequence[Message]) -> int:
    """About four characters a token: cheap, and close enough to decide when to compact.

    It runs on the event loop before every model call (twice: the compaction
    check and the context fit), so one msgspec encode of the whole history,
    counted in characters: `json.dumps` per message took 8.5 ms for 400
    messages, this 0.2 ms. (Compact separators count ~2% fewer characters.)"""
    return len(msgspec.json.encode(messages).decode()) // 4


class CompactionResult(msgspec.Struct, frozen=True):
    messages: list[Message]
    event: Compacted


def split_point(messages: Sequence[Message], protect_last_n: int, keep_from: int | None) -> int:
    split = max(0, len(messages) - protect_last_n)
    if keep_from is not None:
        split = min(split, keep_from)
    # Tool results belong to the assistant message before them: keep the pair together.
    while 0 < split < len(messages) and messages[split]["role"] == "tool":
        split -= 1
    return split


async def compact_history(
    messages: Sequence[Message],
    protect_last_n: int,
    summarise: Callable[[Sequence[Message]], Awaitable[str]],
    *,
    keep_from: int | None = None,
) -> CompactionResult | None:
    split = split_point(messages, protect_last_n, keep_from)
    older, kept = list(messages[:split]), list(messages[split:])
    if len(older) < 2:
        return None
    ask: UserMessage = {
        "role": "user",
        "content": [
            {
                "type": "text",
                "text": SUMMARY_REQUEST_MARKER
                + " Summarise the conversation above: goals, decisions, files touched, and open work.",
            }
        ],
    }
    request: list[Message] = [*older, ask]
    summary = (await summarise(request)).strip() or "(no summary)"
    head: list[Message] = [
        {"role": "user", "content": [{"type": "text", "text": SUMMARY_PREFIX + summary}]}
    ]
    if kept and kept[0]["role"] == "user":
        head.append({"role": "assistant", "content": "Noted."})  # keep user/assistant alternation
    result = head + kept
    event = Compacted(
        len(messages), len(result), estimate_tokens(messages), estimate_tokens(result), summary
    )
    return CompactionResult(result, event)


async def reported_compaction(
    messages: Sequence[Message],
    protect_last_n: int,
    stream_summary: Callable[[Sequence[Message]], AsyncIterator[str]],
    emit: Callable[[Event], None],
    *,
    keep_from: int | None = None,
    automatic: bool = True,
) -> CompactionResult | None:
    """`compact_history`, its lifecycle emitted (see the module docstring)."""
    if split_point(messages, protect_last_n, keep_from) < 2:
        return None
    compaction_id = f"compaction_{os.urandom(6).hex()}"
    emit(CompactionStarted(compaction_id, automatic))

    async def summarise(request: Sequence[Message]) -> str:
        parts: list[str] = []
        async for text in stream_summary(request):
            parts.append(text)
            emit(CompactionSummaryDelta(compaction_id, text))
        return "".join(parts)

    try:
        result = await compact_history(messages, protect_last_n, summarise, keep_from=keep_from)
    except asyncio.CancelledError:
        emit(CompactionFailed(compaction_id, "cancelled", cancelled=True))
        raise
    except Exception as error:
        emit(CompactionFailed(compaction_id, str(error) or type(error).__name__))
        raise
    if result is None:  # not reached: the split was checked above
        emit(CompactionFailed(compaction_id, "nothing to summarise"))
        return None
    event = msgspec.structs.replace(result.event, compaction_id=compaction_id)
    return CompactionResult(result.messages, event)
