"""The queue between a turn's task and the reader of `Engine.submit`.

The turn emits without ever waiting; the reader takes events one at a time
and hands each to its client before it asks for the next. So at any moment
the reader lags behind the turn by the events still queued.

`delivered()` is the barrier a host needs for causal order: it returns once
the reader has asked for the event after every one emitted before the call,
that is, once the reader has handled them all. A host that makes a request to
its client for a tool call (a permission prompt, a file read for a preview, a
terminal) awaits it first, so the client hears of the call before it is asked
about it. It also returns when the reader is gone (the turn is being torn
down), so cleanup requests never wait on a reader that will not come back.
"""

from __future__ import annotations

import asyncio
import collections

from agent.events import Event


class EventRelay:
    def __init__(self) -> None:
        # A deque and one waiter rather than an asyncio.Queue: there is one
        # reader, and the queue's bookkeeping was a visible share of the CPU
        # per streamed delta.
        self._events: collections.deque[Event | None] = collections.deque()
        self._reader: asyncio.Future[None] | None = None
        self._emitted = 0
        self._handled = 0
        self._closed = False
        # (events emitted when the waiter came, its future): targets never
        # decrease, so waiters are released from the left.
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    def emit(self, event: Event) -> None:
        self._emitted += 1
        self._events.append(event)
        self._wake()

    def end(self) -> None:
        """The turn's task is done: the reader gets None after its last event."""
        self._events.append(None)
        self._wake()

    def _wake(self) -> None:
        reader = self._reader
        if reader is not None and not reader.done():
            reader.set_result(None)

    async def next(self) -> Event | None:
        """The next event, in emission order; None once the turn's task is done."""
        while not self._events:
            self._reader = asyncio.get_running_loop().create_future()
            await self._reader
        return self._events.popleft()

    def handled(self) -> None:
        """The reader is done with the event it took last."""
        self._handled += 1
        while self._waiters and self._waiters[0][0] <= self._handled:
            _, future = self._waiters.popleft()
            if not future.done():
                future.set_result(None)

    def close(self) -> None:
        """The reader is gone: nothing more will be handled."""
        self._closed = True
        while self._waiters:
            _, future = self._waiters.popleft()
            if not future.done():
                future.set_result(None)

    async def delivered(self) -> None:
        if self._closed or self._handled >= self._emitted:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((self._emitted, future))
        await future


__all__ = ["EventRelay"]
