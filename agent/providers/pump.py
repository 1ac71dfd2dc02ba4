"""The pump between a provider's stream and the engine: `pumped(stream, ...)`.

The provider stream runs in a task of its own, so no timeout scope ever spans
a `yield` and cancelling (or closing) the consumer cancels the pump, which
closes the HTTP stream. What the consumer gets:

- **batches, in order**: each batch is every event the pump pulled since the
  consumer last asked, so a fast stream crosses the generator layers above
  once per batch instead of once per event (those layers were most of the
  engine's CPU per streamed delta);
- **a bound**: the pump runs at most `RELAY_EVENTS` events ahead. A task that
  finds its buffer full (or empty) is the only place a fast stream yields the
  event loop: with 1,024 the engine relayed up to 1,024 events in one step and
  the editor's other requests waited ~4 ms behind it (a `session/new` took
  4.4 ms; with 32 it takes ~0.6 ms, at the same throughput);
- **the first event alone**: it is handed over on its own, and the pump pulls
  the next only when the consumer asks again. A response that arrives in one
  piece (a fast local server, a burst after a slow start) would otherwise be
  parsed to its end (~0.3 ms per chunk in the SDKs) before the first delta is
  shown; the engine asks again only once its reader has the first delta;
- **silence ends it**: after `seconds` without an event from the provider the
  stream ends with `StreamStalled`. Time the pump spends waiting for a slow
  consumer is not the provider's silence. The watchdog is not reset per event
  (a timer per delta was 5% of the server's time while streaming): events
  stamp the time, and the watchdog, when it fires early, sleeps again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from agent.providers.base import StreamEvent, StreamStalled

#: How many events the pump may pull before the consumer takes them.
RELAY_EVENTS = 32


async def pumped(
    stream: AsyncIterator[StreamEvent], seconds: float, provider: str
) -> AsyncIterator[list[StreamEvent]]:
    """`stream`'s events in batches, with the bound, handover and watchdog above."""
    loop = asyncio.get_running_loop()
    pending: list[StreamEvent] = []
    ended: list[BaseException | None] = []  # [None]: finished; [error]: raise it
    consumer_waits: asyncio.Future[None] | None = None
    pump_waits: asyncio.Future[None] | None = None
    last_activity = loop.time()

    def wake_consumer() -> None:
        if consumer_waits is not None and not consumer_waits.done():
            consumer_waits.set_result(None)

    async def pump() -> None:
        nonlocal last_activity, pump_waits
        end: BaseException | None = None
        try:
            first = True
            async for event in stream:
                last_activity = loop.time()
                pending.append(event)
                wake_consumer()
                if first or len(pending) >= RELAY_EVENTS:
                    first = False
                    pump_waits = loop.create_future()
                    await pump_waits  # released when the consumer asks again
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            end = error
        if not ended:
            ended.append(end)
        wake_consumer()

    task = asyncio.create_task(pump())
    stalled = StreamStalled(
        f"{provider}: no data for {seconds:g} s", retryable=True, provider=provider
    )
    watchdog: asyncio.TimerHandle  # set below, before the loop can run this

    def check_silence() -> None:
        nonlocal watchdog, last_activity
        if pump_waits is not None and not pump_waits.done():
            last_activity = loop.time()  # the consumer is slow; the provider is not silent
        due = last_activity + seconds
        if loop.time() < due:
            watchdog = loop.call_at(due, check_silence)
            return
        task.cancel()
        if not ended:
            ended.append(stalled)
        wake_consumer()

    watchdog = loop.call_at(last_activity + seconds, check_silence)
    try:
        while True:
            if pump_waits is not None and not pump_waits.done():
                pump_waits.set_result(None)
            while not pending and not ended:
                consumer_waits = loop.create_future()
                await consumer_waits
            if pending:
                batch, pending = pending, []
                last_activity = loop.time()  # a slow consumer is not a silent provider
                yield batch
                continue
            if ended[0] is not None:
                raise ended[0]
            return
    finally:
        watchdog.cancel()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


__all__ = ["RELAY_EVENTS", "pumped"]
