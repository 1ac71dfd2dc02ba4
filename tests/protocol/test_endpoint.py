from __future__ import annotations

import asyncio
from typing import Any

import pytest

from protocol import AfterResponse, Endpoint, ErrorCode, Route, RpcError, memory_pipe, schema
from protocol.endpoint import current_request_id
from tests.protocol.conftest import endpoint_with_raw_peer


async def echo(params: Any) -> Any:
    return {"echo": params}


async def test_request_gets_result_with_same_id() -> None:
    async with endpoint_with_raw_peer({"echo": Route(None, echo)}) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": "a-1", "method": "echo", "params": {"x": 1}})
        reply = await peer.receive()
    assert reply == {"jsonrpc": "2.0", "id": "a-1", "result": {"echo": {"x": 1}}}


async def test_garbage_json_is_answered_parse_error_with_null_id() -> None:
    async with endpoint_with_raw_peer() as (_, peer):
        peer.send_line(b"{not json")
        reply = await peer.receive()
    assert reply["id"] is None and reply["error"]["code"] == ErrorCode.PARSE_ERROR


async def test_invalid_utf8_is_answered_parse_error() -> None:
    async with endpoint_with_raw_peer() as (_, peer):
        peer.send_line(b'{"jsonrpc":"2.0","id":1,"method":"\xff\xfe"}')
        reply = await peer.receive()
    assert reply["error"]["code"] == ErrorCode.PARSE_ERROR


@pytest.mark.parametrize(
    "line", ["[1,2]", "42", '"text"', "null", '[{"jsonrpc":"2.0","id":1,"method":"x"}]']
)
async def test_non_object_or_batch_is_invalid_request(line: str) -> None:
    async with endpoint_with_raw_peer() as (_, peer):
        peer.send_line(line)
        reply = await peer.receive()
    assert reply["error"]["code"] == ErrorCode.INVALID_REQUEST and reply["id"] is None


async def test_unknown_method_and_extension_requests_get_method_not_found() -> None:
    async with endpoint_with_raw_peer() as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "nope"})
        peer.send({"jsonrpc": "2.0", "id": 2, "method": "_vendor/thing"})
        replies = [await peer.receive(), await peer.receive()]
    assert sorted(r["id"] for r in replies) == [1, 2]
    assert all(r["error"]["code"] == ErrorCode.METHOD_NOT_FOUND for r in replies)


async def test_notifications_are_never_answered_even_unknown_or_malformed() -> None:
    async with endpoint_with_raw_peer() as (_, peer):
        peer.send({"jsonrpc": "2.0", "method": "unknown/notification"})
        peer.send({"jsonrpc": "2.0", "method": "_ext/notify", "params": {}})
        peer.send({"jsonrpc": "2.0", "method": "$/progress"})
        peer.send({"jsonrpc": "1.0", "method": "bad/version"})
        assert await peer.nothing_within(0.2)


async def test_invalid_params_get_32602_before_the_handler_runs() -> None:
    called = asyncio.Event()

    async def handler(params: Any) -> None:
        called.set()

    routes = {"session/new": Route(schema.NewSessionRequest, handler)}
    async with endpoint_with_raw_peer(routes) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": 7, "method": "session/new", "params": {"cwd": 5}})
        reply = await peer.receive()
    assert reply["error"]["code"] == ErrorCode.INVALID_PARAMS
    assert not called.is_set()


async def test_handler_crash_is_internal_error_without_traceback() -> None:
    async def boom(params: Any) -> None:
        raise ValueError("secret internals")

    async with endpoint_with_raw_peer({"boom": Route(None, boom)}) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "boom"})
        reply = await peer.receive()
    assert reply["error"]["code"] == ErrorCode.INTERNAL_ERROR
    assert "Traceback" not in str(reply) and "secret internals" not in str(reply)


async def test_rpc_error_from_handler_keeps_code_and_data() -> None:
    async def missing(params: Any) -> None:
        raise RpcError.resource_not_found("file:///x")

    async with endpoint_with_raw_peer({"m": Route(None, missing)}) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "m"})
        reply = await peer.receive()
    assert reply["error"]["code"] == ErrorCode.RESOURCE_NOT_FOUND
    assert reply["error"]["data"] == {"uri": "file:///x"}


async def test_long_request_does_not_block_other_requests_or_notifications() -> None:
    release = asyncio.Event()
    seen = asyncio.Event()

    async def slow(params: Any) -> str:
        await release.wait()
        return "slow"

    async def fast(params: Any) -> str:
        return "fast"

    async def note(params: Any) -> None:
        seen.set()

    async with endpoint_with_raw_peer(
        {"slow": Route(None, slow), "fast": Route(None, fast)}, {"note": Route(None, note)}
    ) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "slow"})
        peer.send({"jsonrpc": "2.0", "method": "note"})
        peer.send({"jsonrpc": "2.0", "id": 2, "method": "fast"})
        first = await peer.receive()
        await asyncio.wait_for(seen.wait(), 5)
        release.set()
        second = await peer.receive()
    assert (first["id"], first["result"]) == (2, "fast")
    assert second["id"] == 1


async def test_notifications_are_handled_in_arrival_order() -> None:
    order: list[int] = []
    done = asyncio.Event()

    async def record(params: Any) -> None:
        await asyncio.sleep(0.001 * (5 - params["n"]))  # later ones are faster
        order.append(params["n"])
        if len(order) == 5:
            done.set()

    async with endpoint_with_raw_peer(notifications={"n": Route(None, record)}) as (_, peer):
        for n in range(5):
            peer.send({"jsonrpc": "2.0", "method": "n", "params": {"n": n}})
        await asyncio.wait_for(done.wait(), 5)
    assert order == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("quick", [False, True], ids=["task", "started-eagerly"])
async def test_incoming_cancel_request_cancels_handler_and_answers_32800_once(
    quick: bool,
) -> None:
    # A quick (overtaking) handler starts in the reader's turn and continues in a
    # task once it waits: the cancellation must reach it all the same.
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def forever(params: Any) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    routes = {"forever": Route(None, forever, overtakes=quick)}
    async with endpoint_with_raw_peer(routes) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": 9, "method": "forever"})
        await asyncio.wait_for(started.wait(), 5)
        peer.send({"jsonrpc": "2.0", "method": "$/cancel_request", "params": {"requestId": 9}})
        reply = await peer.receive()
        assert await peer.nothing_within(0.1)
    assert cancelled.is_set()
    assert reply == {
        "jsonrpc": "2.0",
        "id": 9,
        "error": {"code": -32800, "message": "Request cancelled"},
    }


async def test_null_result_is_sent_as_empty_object() -> None:
    async def nothing(params: Any) -> None:
        return None

    async with endpoint_with_raw_peer({"n": Route(None, nothing)}) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "n"})
        assert (await peer.receive())["result"] == {}


async def test_after_response_work_goes_out_after_the_reply() -> None:
    endpoint_box: list[Endpoint] = []

    async def new(params: Any) -> AfterResponse:
        async def then() -> None:
            await endpoint_box[0].notify("session/update", {"after": True})

        return AfterResponse({"sessionId": "s"}, then)

    async with endpoint_with_raw_peer({"session/new": Route(None, new)}) as (endpoint, peer):
        endpoint_box.append(endpoint)
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "session/new"})
        first, second = await peer.receive(), await peer.receive()
    assert first["id"] == 1 and second["method"] == "session/update"


async def test_after_response_work_starts_once_the_reply_is_written() -> None:
    # The peer is not kept waiting for work that only has to follow the reply.
    written: list[bytes] = []
    written_when_then_started: list[bytes] = []

    async def new(params: Any) -> AfterResponse:
        async def then() -> None:
            written_when_then_started.extend(written)

        return AfterResponse({"sessionId": "s"}, then)

    async with endpoint_with_raw_peer({"session/new": Route(None, new)}) as (endpoint, peer):
        endpoint.observers.append(
            lambda direction, frame: written.append(frame) if direction == "out" else None
        )
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "session/new"})
        await peer.receive()
        for _ in range(100):
            if written_when_then_started:
                break
            await asyncio.sleep(0.01)
    assert [b'"id":1' in frame for frame in written_when_then_started] == [True]


async def test_oversized_line_is_discarded_and_answered_when_id_recoverable() -> None:
    async def ok(params: Any) -> str:
        return "ok"

    async with endpoint_with_raw_peer({"ok": Route(None, ok)}, max_line_bytes=1000) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": 5, "method": "ok", "params": {"blob": "x" * 5000}})
        peer.send_line("y" * 3000)  # no id to recover: silently dropped
        peer.send({"jsonrpc": "2.0", "id": 6, "method": "ok"})
        first, second = await peer.receive(), await peer.receive()
    assert first["id"] == 5 and first["error"]["code"] == ErrorCode.INVALID_REQUEST
    assert second == {"jsonrpc": "2.0", "id": 6, "result": "ok"}


async def test_outgoing_request_resolves_and_errors_raise_rpc_error() -> None:
    async with endpoint_with_raw_peer() as (endpoint, peer):
        call = asyncio.create_task(endpoint.request("fs/read_text_file", {"path": "/a"}))
        frame = await peer.receive()
        peer.send({"jsonrpc": "2.0", "id": frame["id"], "result": {"content": "hi"}})
        assert await call == {"content": "hi"}
        failing = asyncio.create_task(endpoint.request("fs/read_text_file", {"path": "/b"}))
        frame = await peer.receive()
        peer.send(
            {"jsonrpc": "2.0", "id": frame["id"], "error": {"code": -32002, "message": "nope"}}
        )
        with pytest.raises(RpcError) as info:
            await failing
    assert info.value.code == ErrorCode.RESOURCE_NOT_FOUND


async def test_outgoing_request_times_out_and_sends_cancel_request() -> None:
    async with endpoint_with_raw_peer() as (endpoint, peer):
        with pytest.raises(TimeoutError):
            await endpoint.request("slow/client", {}, timeout=0.05)
        request = await peer.receive()
        cancel = await peer.receive()
    assert cancel["method"] == "$/cancel_request"
    assert cancel["params"] == {"requestId": request["id"]}


async def test_cancelling_the_awaiting_task_sends_cancel_request() -> None:
    async with endpoint_with_raw_peer() as (endpoint, peer):
        call = asyncio.create_task(endpoint.request("session/request_permission", {}))
        request = await peer.receive()
        call.cancel()
        cancel = await peer.receive()
    assert cancel == {
        "jsonrpc": "2.0",
        "method": "$/cancel_request",
        "params": {"requestId": request["id"]},
    }


async def test_reply_to_unknown_id_is_dropped_and_connection_lives() -> None:
    async with endpoint_with_raw_peer({"e": Route(None, echo)}) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": 999, "result": {}})
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "e", "params": [1]})
        assert (await peer.receive())["id"] == 1


async def test_eof_cancels_handlers_fails_pending_calls_and_leaves_no_tasks() -> None:
    started = asyncio.Event()

    async def forever(params: Any) -> None:
        started.set()
        await asyncio.Event().wait()

    (a_reader, a_writer), (_b_reader, b_writer) = memory_pipe()
    endpoint = Endpoint(a_reader, a_writer, requests={"forever": Route(None, forever)})
    before = asyncio.all_tasks()
    run = asyncio.create_task(endpoint.run())
    b_writer.write(b'{"jsonrpc":"2.0","id":1,"method":"forever"}\n')
    await asyncio.wait_for(started.wait(), 5)
    pending = asyncio.create_task(endpoint.request("never/answered", {}))
    await asyncio.sleep(0)
    b_writer.close()
    await asyncio.wait_for(run, 5)
    with pytest.raises(ConnectionError):
        await pending
    assert asyncio.all_tasks() - before == set()


async def test_observers_see_frames_in_both_directions() -> None:
    seen: list[tuple[str, bytes]] = []
    async with endpoint_with_raw_peer(
        {"e": Route(None, echo)}, observers=[lambda d, f: seen.append((d, f))]
    ) as (
        _,
        peer,
    ):
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "e"})
        await peer.receive()
    assert [d for d, _ in seen] == ["in", "out"]
    assert b'"method": "e"' in seen[0][1] and b'"result"' in seen[1][1]


async def test_two_endpoints_talk_both_ways() -> None:
    (a_reader, a_writer), (b_reader, b_writer) = memory_pipe()

    async def ask_back(params: Any) -> Any:
        return await agent.request("client/ping", {"n": params["n"]})

    async def pong(params: Any) -> Any:
        return {"pong": params["n"]}

    agent = Endpoint(a_reader, a_writer, requests={"agent/ask": Route(None, ask_back)})
    client = Endpoint(b_reader, b_writer, requests={"client/ping": Route(None, pong)})
    tasks = [asyncio.create_task(agent.run()), asyncio.create_task(client.run())]
    assert await client.request("agent/ask", {"n": 3}, timeout=5) == {"pong": 3}
    b_writer.close()
    a_writer.close()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)


async def test_notify_encoded_sends_the_frames_notify_would_and_observers_see_each() -> None:
    seen: list[bytes] = []
    async with endpoint_with_raw_peer(
        observers=[lambda d, f: seen.append(f) if d == "out" else None]
    ) as (endpoint, peer):
        await endpoint.notify_encoded("session/update", [b'{"n":%d}' % n for n in range(5)])
        await endpoint.notify("session/update", {"n": 5})
        frames = [await peer.receive() for _ in range(6)]
    assert [f["params"]["n"] for f in frames] == list(range(6))
    assert seen[0] == b'{"jsonrpc":"2.0","method":"session/update","params":{"n":0}}'
    assert seen[5] == b'{"jsonrpc":"2.0","method":"session/update","params":{"n":5}}'
    assert all(f["method"] == "session/update" and "id" not in f for f in frames)
    assert len(seen) == 6 and all(b"\n" not in f for f in seen)


async def test_an_overtaking_reply_goes_ahead_of_queued_notifications_and_others_wait() -> None:
    holder: list[Endpoint] = []

    async def stream_then_reply(params: Any) -> Any:
        for n in range(50):  # queued, not yet written: nothing here yields
            await holder[0].notify("session/update", {"n": n})
        return {"done": params["name"]}

    routes = {
        "slow/keeps_order": Route(None, stream_then_reply),
        "quick/overtakes": Route(None, stream_then_reply, overtakes=True),
    }
    async with endpoint_with_raw_peer(requests=routes) as (endpoint, peer):
        holder.append(endpoint)
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "slow/keeps_order", "params": {"name": 1}})
        first = [await peer.receive() for _ in range(51)]
        peer.send({"jsonrpc": "2.0", "id": 2, "method": "quick/overtakes", "params": {"name": 2}})
        second = [await peer.receive() for _ in range(51)]
    assert [f.get("id") for f in first] == [None] * 50 + [1]  # the reply follows its updates
    assert [f.get("id") for f in second] == [2] + [None] * 50  # this one jumps the queue
    assert [f["params"]["n"] for f in second[1:]] == list(range(50))


async def test_a_quick_handler_keeps_its_request_id_across_a_wait() -> None:
    seen: list[tuple[str, object]] = []

    async def quick(params: Any) -> Any:
        seen.append(("before", current_request_id.get()))
        await asyncio.sleep(0.01)  # a real wait: the rest runs in a task
        seen.append(("after", current_request_id.get()))
        return {"ok": True}

    async def plain(params: Any) -> Any:
        seen.append(("plain", current_request_id.get()))
        return {}

    async def note(params: Any) -> None:
        seen.append(("note", current_request_id.get()))

    routes = {"quick": Route(None, quick, overtakes=True), "plain": Route(None, plain)}
    notes = {"note": Route(None, note)}
    async with endpoint_with_raw_peer(routes, notes) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": "q", "method": "quick"})
        peer.send({"jsonrpc": "2.0", "method": "note"})
        peer.send({"jsonrpc": "2.0", "id": "p", "method": "plain"})
        replies = {(await peer.receive())["id"] for _ in range(2)}
    assert replies == {"q", "p"}
    assert sorted(seen, key=str) == sorted(
        [("before", "q"), ("after", "q"), ("plain", "p"), ("note", None)], key=str
    )
