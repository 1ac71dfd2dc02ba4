"""The provider relay hands each event over as soon as a reader waits for it.

A provider's stream runs in a pump task that may run ahead of the engine
(`agent/providers/registry.py`). When a response arrives in one piece (a fast
local server, or a burst after a slow start), the pump must not parse the
whole burst before the reader sees the first delta: the first token would
wait for the last.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from agent.providers import StreamEvent, StreamText
from agent.providers.registry import _with_inactivity


class Burst:
    """A provider stream whose events are all ready at once; counts those pulled."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.pulled = 0

    async def stream(self) -> AsyncIterator[StreamEvent]:
        for index in range(self.count):
            self.pulled += 1
            yield StreamText(f"delta {index}")


async def test_the_first_event_of_a_burst_reaches_the_reader_before_the_next_is_pulled() -> None:
    burst = Burst(10)
    relay = _with_inactivity(burst.stream(), 60.0, "test")
    first = await anext(relay)
    assert first == StreamText("delta 0")
    assert burst.pulled == 1
    rest = [event async for event in relay]
    assert rest == [StreamText(f"delta {n}") for n in range(1, 10)]


async def test_a_reader_waiting_for_each_event_gets_every_one_as_it_is_pulled() -> None:
    burst = Burst(5)
    relay = _with_inactivity(burst.stream(), 60.0, "test")
    seen = []
    async for event in relay:
        seen.append((event, burst.pulled))
    assert seen == [(StreamText(f"delta {n}"), n + 1) for n in range(5)]
