"""Context compression: summarise older history into one message.

The last `protect_last_n` messages stay verbatim, a tool call is never split
from its result, and the current turn's prompt is never summarised away.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import msgspec

from agent.events import Compacted
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
