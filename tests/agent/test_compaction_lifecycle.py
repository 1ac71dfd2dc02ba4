"""A compaction tells its host how it goes: started, the summary as it is
written, then compacted or failed (history unchanged) or cancelled; and
nothing at all when there is nothing to summarise."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from agent import events as ev
from agent.compression import reported_compaction
from agent.messages import Message


def history(turns: int) -> list[Message]:
    messages: list[Message] = []
    for index in range(turns):
        messages.append({"role": "user", "content": [{"type": "text", "text": f"q{index}"}]})
        messages.append({"role": "assistant", "content": f"a{index}"})
    return messages


async def pieces(_messages: Sequence[Message]) -> AsyncIterator[str]:
    for text in ("We did ", "things."):
        yield text


async def broken(_messages: Sequence[Message]) -> AsyncIterator[str]:
    yield "half"
    raise ConnectionError("provider went away")


async def test_a_compaction_reports_start_each_summary_piece_and_its_end() -> None:
    seen: list[ev.Event] = []
    result = await reported_compaction(history(3), 2, pieces, seen.append, automatic=False)
    assert result is not None
    kinds = [type(e).__name__ for e in seen]
    assert kinds == ["CompactionStarted", "CompactionSummaryDelta", "CompactionSummaryDelta"]
    started = seen[0]
    assert isinstance(started, ev.CompactionStarted) and started.automatic is False
    assert result.event.compaction_id == started.compaction_id
    assert result.event.summary == "We did things."


async def test_a_failed_summary_is_reported_failed_and_raises() -> None:
    seen: list[ev.Event] = []
    with pytest.raises(ConnectionError):
        await reported_compaction(history(3), 2, broken, seen.append)
    failed = seen[-1]
    assert isinstance(failed, ev.CompactionFailed) and not failed.cancelled
    assert failed.compaction_id == seen[0].compaction_id  # type: ignore[union-attr]


async def test_a_cancelled_compaction_is_reported_cancelled() -> None:
    seen: list[ev.Event] = []
    started = asyncio.Event()

    async def slow(_messages: Sequence[Message]) -> AsyncIterator[str]:
        started.set()
        await asyncio.Event().wait()
        yield "never"

    task = asyncio.create_task(reported_compaction(history(3), 2, slow, seen.append))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert isinstance(seen[-1], ev.CompactionFailed) and seen[-1].cancelled


async def test_nothing_to_summarise_reports_nothing() -> None:
    seen: list[ev.Event] = []
    assert await reported_compaction(history(1), 2, pieces, seen.append) is None
    assert seen == []
