"""When a session's notices may go out, and engine work whose events surface.

Updates may only follow the session response, so a notice raised before the
session's `announce` (a refused config file, an MCP server that failed while
the session started) is held. After it, a `notice` goes out at once to a
client that opted in; its text form for any other client is turn content, so
from outside a turn it waits for the next turn's start (`flush`).

`surfacing` runs engine work outside a turn (`/compact`) whose lifecycle
events must reach the client as they happen and all before the work returns,
so the command's reply follows every update of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, TypeVar

from acp_server.notices import Surfaced, surface
from agent import events as ev

if TYPE_CHECKING:
    from acp_server.server.outbound import UpdateSink

T = TypeVar("T")
Spawn = Callable[[Coroutine[object, object, None]], None]


class NoticeDesk:
    def __init__(self, sink: UpdateSink, spawn: Spawn, in_turn: Callable[[], bool]) -> None:
        self._sink = sink
        self._spawn = spawn
        self._in_turn = in_turn
        self._held: list[Surfaced] = []
        #: the session response is out: updates may follow it
        self.announced = False

    def offer(self, notice: ev.Notice) -> None:
        """Send `notice` now if it may go, else hold it for `flush`."""
        surfaced = surface(notice)
        if surfaced is None:
            return
        if self.announced and (self._in_turn() or self._sink.opt_ins.notices):
            self._spawn(self._sink.surface(surfaced))
        else:
            self._held.append(surfaced)

    async def flush(self) -> None:
        """Send what was held, in the order it came."""
        held, self._held = self._held, []
        for surfaced in held:
            await self._sink.surface(surfaced)


async def surfacing(
    sink: UpdateSink, work: Callable[[Callable[[ev.Event], None]], Awaitable[T]]
) -> T:
    """Run `work(emit)`; every event it emits goes out through `sink`, in
    order, before this returns (a failed send does not stop the others)."""
    queue: asyncio.Queue[ev.Event] = asyncio.Queue()

    async def forward() -> None:
        while True:
            event = await queue.get()
            try:
                if (surfaced := surface(event)) is not None:
                    await sink.surface(surfaced)
            finally:
                queue.task_done()  # so the join below never waits on a failed send

    forwarder = asyncio.get_running_loop().create_task(forward())
    try:
        return await work(queue.put_nowait)
    finally:
        await queue.join()
        forwarder.cancel()


__all__ = ["NoticeDesk", "surfacing"]
