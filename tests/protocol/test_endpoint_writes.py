"""How the endpoint hands frames to its transport, and when it runs
notification handlers: the real endpoint over memory pipes, with a writer
that keeps each `write()` it is given."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from protocol import AfterResponse, Endpoint, Route, memory_pipe
from protocol.transports import MemoryWriter
from tests.protocol.conftest import RawPeer


class KeptWrites(MemoryWriter):
    """A memory pipe end that also keeps every write, in order."""

    def __init__(self, peer: asyncio.StreamReader) -> None:
        super().__init__(peer)
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        super().write(data)


@asynccontextmanager
async def served(
    requests: dict[str, Route] | None = None, notifications: dict[str, Route] | None = None
) -> AsyncIterator[tuple[Endpoint, RawPeer, KeptWrites]]:
    (a_reader, _), (b_reader, b_writer) = memory_pipe()
    kept = KeptWrites(b_reader)
    endpoint = Endpoint(a_reader, kept, requests=requests, notifications=notifications)
    task = asyncio.create_task(endpoint.run())
    try:
        yield endpoint, RawPeer(b_reader, b_writer), kept
    finally:
        b_writer.close()
        await asyncio.wait_for(task, 5)


def lines(write: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in write.splitlines()]


def announcing(box: list[Endpoint], count: int = 1) -> Route:
    """A quick route whose reply is followed by `count` notifications."""

    async def new(params: object) -> AfterResponse:
        async def then() -> None:
            for n in range(count):
                await box[0].notify("session/update", {"n": n})

        return AfterResponse({"sessionId": "s"}, then)

    return Route(None, new, overtakes=True)


async def test_a_quick_reply_is_written_before_the_updates_that_follow_it() -> None:
    box: list[Endpoint] = []
    async with served({"session/new": announcing(box, 2)}) as (endpoint, peer, kept):
        box.append(endpoint)
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "session/new"})
        received = [await peer.receive() for _ in range(3)]
    assert [frame.get("id") for frame in received] == [1, None, None]
    assert [frame["params"]["n"] for frame in received[1:]] == [0, 1]
    # The reply does not wait for the work after it: it has a write() of its own.
    assert [frame.get("id") for frame in lines(kept.writes[0])] == [1]


async def test_a_reply_written_at_once_still_follows_the_updates_its_handler_sent() -> None:
    box: list[Endpoint] = []

    async def prompt(params: object) -> dict[str, object]:
        for n in range(3):
            await box[0].notify("session/update", {"n": n})
        await asyncio.sleep(0)  # the writer sends them, then parks: the reply goes at once
        await box[0].notify("session/update", {"n": 3})
        return {"stopReason": "end_turn"}

    async with served({"session/prompt": Route(None, prompt)}) as (endpoint, peer, _):
        box.append(endpoint)
        for request_id in (1, 2):
            peer.send({"jsonrpc": "2.0", "id": request_id, "method": "session/prompt"})
            frames = [await peer.receive() for _ in range(5)]
            assert [f["params"]["n"] for f in frames[:4]] == [0, 1, 2, 3]
            assert frames[4]["id"] == request_id


async def test_the_write_ahead_hook_runs_before_every_write_that_carries_a_frame() -> None:
    box: list[Endpoint] = []
    hooked_at: list[int] = []  # how many writes had happened when the hook ran
    async with served({"session/new": announcing(box)}) as (endpoint, peer, kept):
        box.append(endpoint)
        endpoint.before_write = lambda: hooked_at.append(len(kept.writes))
        for n in range(3):
            peer.send({"jsonrpc": "2.0", "id": n, "method": "session/new"})
            await peer.receive()
            await peer.receive()
    assert len(kept.writes) >= 3
    assert hooked_at == list(range(len(kept.writes)))


async def test_a_notification_is_handled_before_a_quick_request_read_after_it() -> None:
    mode: list[str] = []

    async def set_mode(params: Any) -> None:
        mode.append(params["mode"])

    async def read_mode(params: object) -> dict[str, object]:
        return {"mode": mode[-1] if mode else None}

    async with served(
        {"read": Route(None, read_mode, overtakes=True)}, {"set": Route(None, set_mode)}
    ) as (_, peer, _kept):
        peer.send_line(
            json.dumps({"jsonrpc": "2.0", "method": "set", "params": {"mode": "plan"}})
            + "\n"
            + json.dumps({"jsonrpc": "2.0", "id": 1, "method": "read"})
        )
        reply = await peer.receive()
    assert reply["result"] == {"mode": "plan"}


async def test_a_notification_read_after_a_request_does_not_act_before_that_request_starts() -> (
    None
):
    events: list[str] = []

    async def work(params: object) -> dict[str, object]:
        events.append("request started")
        return {}

    async def note(params: object) -> None:
        events.append("notification")

    async with served({"work": Route(None, work)}, {"note": Route(None, note)}) as (_, peer, _k):
        peer.send({"jsonrpc": "2.0", "id": 0, "method": "work"})  # the endpoint is up
        await peer.receive()
        events.clear()
        peer.send_line(
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "work"})
            + "\n"
            + json.dumps({"jsonrpc": "2.0", "method": "note"})
        )
        await peer.receive()
    assert events == ["request started", "notification"]


async def test_a_waiting_notification_handler_keeps_order_without_blocking_requests() -> None:
    release = asyncio.Event()
    second_after = asyncio.Event()
    order: list[str] = []

    async def slow(params: object) -> None:
        order.append("slow started")
        await release.wait()
        order.append("slow done")

    async def failing(params: object) -> None:
        order.append("failing")
        raise RuntimeError("a handler bug")

    async def after(params: object) -> None:
        order.append("after")
        if order.count("after") == 2:
            second_after.set()

    async def ping(params: object) -> dict[str, object]:
        return {"order": list(order)}

    notes = {
        "slow": Route(None, slow),
        "failing": Route(None, failing),
        "after": Route(None, after),
    }
    async with served({"ping": Route(None, ping)}, notes) as (_, peer, _kept):
        for method in ("slow", "failing", "after"):
            peer.send({"jsonrpc": "2.0", "method": method})
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "ping"})
        reply = await peer.receive()  # read and answered while `slow` waits
        release.set()
        peer.send({"jsonrpc": "2.0", "method": "after"})  # the connection reads on
        await asyncio.wait_for(second_after.wait(), 5)
    assert reply["result"] == {"order": ["slow started"]}
    assert order == ["slow started", "slow done", "failing", "after", "after"]
