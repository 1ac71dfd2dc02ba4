"""The provider relay hands the first event over before pulling the next.

A provider's stream runs in a pump task that may run ahead of the engine
(`agent/providers/registry.py`). When a response arrives in one piece (a fast
local server, or a burst after a slow start), the pump must not parse the
whole burst before the reader sees the first delta: the first token would
wait for the last. (Only the first: handing over every event would cost a
loop turn per delta.)
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
