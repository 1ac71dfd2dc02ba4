"""From the provider's stream to the engine's reader: the first event is
handed over alone, every event arrives in order, and the provider is never
read more than `RELAY_EVENTS` events ahead.

A provider's stream runs in a pump task (`agent/providers/pump.py`). When a
response arrives in one piece (a fast local server, or a burst after a slow
start), the pump must not parse the whole burst before the reader has the
first delta: the first token would wait for the last. The engine's turn task
sits between the pump and the reader, so "handed over" means: the reader of
the turn's events has it, not just the turn task.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from agent import events as ev
from agent.providers import ModelEvent, ModelRequest, StreamEnd, StreamEvent, StreamText
from agent.providers.pump import RELAY_EVENTS, pumped
from agent.relay import EventRelay
from agent.step import stream_step

WAIT = 10.0


class Burst:
    """A provider stream whose events are all ready at once; counts those pulled."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.pulled = 0

    async def stream(self) -> AsyncIterator[StreamEvent]:
        for index in range(self.count):
            self.pulled += 1
            yield StreamText(f"delta {index}")
        self.pulled += 1
        yield StreamEnd("end_turn")


class Pumped:
    """A batch source over the real pump (what ModelClient does per attempt)."""

    def __init__(self, burst: Burst) -> None:
        self.burst = burst

    async def stream_batches(self, request: ModelRequest) -> AsyncIterator[Sequence[ModelEvent]]:
        async for batch in pumped(self.burst.stream(), 60.0, "test"):
            yield batch


REQUEST = ModelRequest(model="m", system="", messages=[], tools=())


async def test_the_first_event_of_a_burst_comes_alone_and_nothing_more_is_pulled_until_asked() -> (
    None
):
    burst = Burst(10)
    batches = pumped(burst.stream(), 60.0, "test")
    first = await anext(batches)
    await asyncio.sleep(0)  # the pump gets every chance to run on
    await asyncio.sleep(0)
    assert list(first) == [StreamText("delta 0")]
    assert burst.pulled == 1
    rest = [event async for batch in batches for event in batch]
    assert rest == [StreamText(f"delta {n}") for n in range(1, 10)] + [StreamEnd("end_turn")]


async def test_the_pump_never_reads_more_than_the_bound_ahead_and_keeps_the_order() -> None:
    burst = Burst(RELAY_EVENTS * 5 + 3)
    taken = 0
    texts: list[str] = []
    async for batch in pumped(burst.stream(), 60.0, "test"):
        assert len(batch) <= RELAY_EVENTS
        taken += len(batch)
        assert burst.pulled - taken <= RELAY_EVENTS
        texts += [e.text for e in batch if isinstance(e, StreamText)]
        await asyncio.sleep(0)  # a consumer that yields lets the pump run as far as it may
        await asyncio.sleep(0)
        assert burst.pulled - taken <= RELAY_EVENTS
    assert texts == [f"delta {n}" for n in range(RELAY_EVENTS * 5 + 3)]


async def test_the_reader_has_the_first_delta_before_the_provider_is_read_on() -> None:
    burst = Burst(10)
    relay = EventRelay()
    step = asyncio.create_task(stream_step(Pumped(burst), REQUEST, relay.emit, relay.delivered))
    first = await asyncio.wait_for(relay.next(), WAIT)
    for _ in range(5):
        await asyncio.sleep(0)  # the turn task and the pump get every chance to run on
    assert first == ev.TextDelta("delta 0")
    assert burst.pulled == 1
    relay.handled()
    texts = [first.text]
    while len(texts) < 10:
        event = await asyncio.wait_for(relay.next(), WAIT)
        assert isinstance(event, ev.TextDelta)
        texts.append(event.text)
        relay.handled()
    result = await asyncio.wait_for(step, WAIT)
    assert texts == [f"delta {n}" for n in range(10)]
    assert result.text == texts and result.finish == "end_turn"


async def test_a_reader_slower_than_the_inactivity_timeout_still_gets_every_event() -> None:
    # The reader takes longer over its first event than the provider may stay
    # silent, while the pump waits for room: that is the reader's slowness, not
    # the provider's silence. Before, the watchdog fired, found the queue full,
    # dropped its error and the stream never ended.
    burst = Burst(RELAY_EVENTS * 3)
    timeout = 0.02
    texts: list[str] = []

    async def read() -> None:
        async for batch in pumped(burst.stream(), timeout, "test"):
            if not texts:
                with contextlib.suppress(TimeoutError):  # a reader busy for 10 timeouts
                    await asyncio.wait_for(asyncio.Event().wait(), timeout * 10)
            texts.extend(e.text for e in batch if isinstance(e, StreamText))

    await asyncio.wait_for(read(), WAIT)
    assert texts == [f"delta {n}" for n in range(RELAY_EVENTS * 3)]
