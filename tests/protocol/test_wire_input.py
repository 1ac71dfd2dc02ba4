"""Hostile lines on the wire: each is answered (or, for a notification, ignored)
and the connection reads on. One test per defect class, in memory."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from protocol import AfterResponse, ErrorCode, Route, RpcError
from protocol import endpoint as endpoint_module
from protocol.codec import MAX_NESTING, nesting_exceeds
from protocol.framing import LineSplitter, OversizedLine, read_head
from tests.protocol.conftest import RawPeer, endpoint_with_raw_peer


async def echo(params: Any) -> Any:
    return {"echo": params}


ROUTES = {"echo": Route(None, echo)}


async def still_answers(peer: RawPeer, request_id: str = "after") -> None:
    peer.send({"jsonrpc": "2.0", "id": request_id, "method": "echo", "params": {"x": 1}})
    reply = await peer.receive()
    assert reply == {"jsonrpc": "2.0", "id": request_id, "result": {"echo": {"x": 1}}}


def deep_array(depth: int) -> str:
    return "[" * depth + "]" * depth


def deep_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


# ------------------------------------------------------------ deep nesting


@pytest.mark.parametrize("nested", [deep_array(10_000), deep_object(10_000)])
async def test_a_request_nested_ten_thousand_deep_is_answered_with_its_id(nested: str) -> None:
    async with endpoint_with_raw_peer(ROUTES) as (_, peer):
        peer.send_line(f'{{"jsonrpc":"2.0","id":7,"method":"echo","params":{{"x":{nested}}}}}')
        reply = await peer.receive()
        await still_answers(peer)
    assert reply["id"] == 7 and reply["error"]["code"] == ErrorCode.INVALID_REQUEST


@pytest.mark.parametrize("nested", [deep_array(10_000), deep_object(10_000)])
async def test_a_bare_value_nested_ten_thousand_deep_is_answered_with_a_null_id(
    nested: str,
) -> None:
    async with endpoint_with_raw_peer(ROUTES) as (_, peer):
        peer.send_line(nested)
        reply = await peer.receive()
        await still_answers(peer)
    assert reply["id"] is None and reply["error"]["code"] == ErrorCode.INVALID_REQUEST


async def test_a_deep_request_whose_id_comes_last_is_answered_with_that_id() -> None:
    async with endpoint_with_raw_peer(ROUTES) as (_, peer):
        peer.send_line(f'{{"jsonrpc":"2.0","method":"echo","params":{deep_array(5000)},"id":"z"}}')
        reply = await peer.receive()
    assert reply["id"] == "z" and reply["error"]["code"] == ErrorCode.INVALID_REQUEST


async def test_a_deeply_nested_notification_is_not_answered() -> None:
    async with endpoint_with_raw_peer(ROUTES) as (_, peer):
        peer.send_line(f'{{"jsonrpc":"2.0","method":"echo","params":{deep_array(10_000)}}}')
        await still_answers(peer)  # the first reply is the echo: nothing came for the line


async def test_nesting_up_to_the_limit_is_read_normally() -> None:
    value = json.loads(deep_array(MAX_NESTING - 2))  # params and the envelope add two
    async with endpoint_with_raw_peer(ROUTES) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "echo", "params": value})
        reply = await peer.receive()
    assert reply["result"] == {"echo": value}


def test_brackets_inside_strings_and_escapes_do_not_count_as_nesting() -> None:
    code = json.dumps({"text": "[" * 5000 + '\\"[{' * 500 + "\\"}).encode()
    assert not nesting_exceeds(code)
    assert nesting_exceeds(json.dumps({"x": "\\", "y": json.loads(deep_array(200))}).encode())
    assert not nesting_exceeds(deep_array(MAX_NESTING).encode())
    assert nesting_exceeds(deep_array(MAX_NESTING + 1).encode())


# ------------------------------------------------------------ unhashable ids


@pytest.mark.parametrize("request_id", [[1], {"a": 1}, [[], {}], None, 1.5, True])
async def test_cancel_request_with_an_unusable_request_id_is_ignored(request_id: Any) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(params: Any) -> str:
        started.set()
        await release.wait()
        return "done"

    async with endpoint_with_raw_peer({**ROUTES, "slow": Route(None, slow)}) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": 1, "method": "slow"})
        await asyncio.wait_for(started.wait(), 5)
        cancel = {"jsonrpc": "2.0", "method": "$/cancel_request"}
        peer.send({**cancel, "params": {"requestId": request_id}})
        await still_answers(peer)
        release.set()
        assert await peer.receive() == {"jsonrpc": "2.0", "id": 1, "result": "done"}


@pytest.mark.parametrize("bad_id", [[1], {"a": 1}, [], {}])
async def test_unhashable_ids_in_requests_and_replies_never_stop_the_reader(bad_id: Any) -> None:
    async with endpoint_with_raw_peer(ROUTES) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": bad_id, "method": "echo"})
        refused = await peer.receive()
        peer.send({"jsonrpc": "2.0", "id": bad_id, "result": {}})
        peer.send({"jsonrpc": "2.0", "id": bad_id, "error": {"code": 1, "message": "x"}})
        await still_answers(peer)
    assert refused["id"] is None and refused["error"]["code"] == ErrorCode.INVALID_REQUEST


# ------------------------------------------------------------ lone surrogates


@pytest.mark.parametrize("escape", ["\\ud83d", "\\udc00", "x\\ud83d\\ud83d", "\\ude00\\ud83d"])
async def test_a_lone_surrogate_is_read_as_a_replacement_character_and_answered(
    escape: str,
) -> None:
    async with endpoint_with_raw_peer(ROUTES) as (_, peer):
        peer.send_line(f'{{"jsonrpc":"2.0","id":3,"method":"echo","params":{{"t":"a{escape}b"}}}}')
        reply = await peer.receive()
    assert reply["id"] == 3
    text = reply["result"]["echo"]["t"]
    assert text.startswith("a") and text.endswith("b") and "\ufffd" in text
    assert text.encode()  # a str that encodes: no surrogate left in it


async def test_a_surrogate_pair_and_an_escaped_backslash_are_left_alone() -> None:
    async with endpoint_with_raw_peer(ROUTES) as (_, peer):
        peer.send_line(r'{"jsonrpc":"2.0","id":3,"method":"echo","params":{"t":"\ud83d\ude00"}}')
        peer.send_line(r'{"jsonrpc":"2.0","id":4,"method":"echo","params":{"t":"\\ud83d"}}')
        pair, backslash = await peer.receive(), await peer.receive()
    assert pair["result"]["echo"]["t"] == "\U0001f600"
    assert backslash["result"]["echo"]["t"] == "\\ud83d"


# ------------------------------------------------------------ oversized replies


async def test_an_oversized_reply_fails_the_waiting_call_at_once_and_is_not_answered() -> None:
    async with endpoint_with_raw_peer(max_line_bytes=1000) as (endpoint, peer):
        call = asyncio.create_task(endpoint.request("fs/read_text_file", {}, timeout=60))
        frame = await peer.receive()
        peer.send({"jsonrpc": "2.0", "id": frame["id"], "result": {"content": "x" * 5000}})
        with pytest.raises(RpcError) as failure:
            await asyncio.wait_for(call, 5)
        assert await peer.nothing_within(0.2)  # a reply is never answered
    assert failure.value.code == ErrorCode.INVALID_REQUEST


async def test_an_oversized_reply_whose_id_comes_last_fails_the_waiting_call() -> None:
    async with endpoint_with_raw_peer(max_line_bytes=1000) as (endpoint, peer):
        call = asyncio.create_task(endpoint.request("terminal/output", {}, timeout=60))
        frame = await peer.receive()
        peer.send_line(
            f'{{"jsonrpc":"2.0","result":{{"output":"{"y" * 5000}"}},"id":{frame["id"]}}}'
        )
        with pytest.raises(RpcError) as failure:
            await asyncio.wait_for(call, 5)
    assert failure.value.code == ErrorCode.INVALID_REQUEST


async def test_an_oversized_error_reply_fails_the_waiting_call() -> None:
    async with endpoint_with_raw_peer(max_line_bytes=1000) as (endpoint, peer):
        call = asyncio.create_task(endpoint.request("x", {}, timeout=60))
        frame = await peer.receive()
        error = {"code": -32000, "message": "m" * 5000}
        peer.send({"jsonrpc": "2.0", "id": frame["id"], "error": error})
        with pytest.raises(RpcError):
            await asyncio.wait_for(call, 5)


async def test_an_oversized_notification_is_not_answered_even_when_its_params_hold_an_id() -> None:
    async with endpoint_with_raw_peer(ROUTES, max_line_bytes=1000) as (_, peer):
        params = {"update": {"id": 42, "text": "x" * 5000}}
        peer.send({"jsonrpc": "2.0", "method": "session/update", "params": params})
        await still_answers(peer)


async def test_an_oversized_request_whose_id_comes_last_is_answered_with_it() -> None:
    async with endpoint_with_raw_peer(ROUTES, max_line_bytes=1000) as (_, peer):
        peer.send({"jsonrpc": "2.0", "method": "echo", "params": {"b": "x" * 5000}, "id": "late"})
        reply = await peer.receive()
    assert reply["id"] == "late" and reply["error"]["code"] == ErrorCode.INVALID_REQUEST


def test_the_splitter_reports_what_the_ends_of_an_oversized_line_show() -> None:
    splitter = LineSplitter(max_line_bytes=100)
    reply = b'{"jsonrpc":"2.0","id":9,"result":"' + b"x" * 500 + b'"}\n'
    late = b'{"method":"m","params":"' + b"x" * 500 + b'","id":"q"}\n'
    assert splitter.feed(reply[:50]) == []
    assert splitter.feed(reply[50:] + late) == [
        OversizedLine(len(reply) - 1, 9, "reply"),
        OversizedLine(len(late) - 1, "q", "call"),
    ]
    assert read_head(b'{"id":{"x":1},"method":"m"') == ("call", None)
    assert read_head(b'{"jsonrpc":"2.0","id":5,"result":"cut off inside the va') == ("reply", 5)
    assert read_head(b'{"method":"m","params":{"id":3}') == ("call", None)


# ------------------------------------------------------------ the last guards


async def test_work_after_a_reply_that_fails_is_logged_by_the_endpoint_and_reading_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """As a session's announcement after `session/new` did for a NUL in cwd: the
    failure is caught where it happens, not left in an orphan task (or, when
    the handler ran in the reader's turn, raised into the reader)."""
    failure = ValueError("embedded null byte")

    async def failing_then() -> None:
        raise failure

    async def opens(params: Any) -> AfterResponse:
        return AfterResponse({"sessionId": "s"}, failing_then)

    routes = {**ROUTES, "open": Route(None, opens, overtakes=True)}
    async with endpoint_with_raw_peer(routes) as (_, peer):
        for n in range(3):  # idle writer (written at once) and busy writer alike
            peer.send({"jsonrpc": "2.0", "id": n, "method": "open"})
        replies = [await peer.receive() for _ in range(3)]
        await still_answers(peer)
    assert sorted(r["id"] for r in replies) == [0, 1, 2]
    logged = [r for r in caplog.records if r.name == "protocol" and r.exc_info]
    assert [r.exc_info[1] for r in logged if r.exc_info] == [failure] * 3


async def test_a_result_that_cannot_be_encoded_is_answered_with_an_internal_error() -> None:
    async def unencodable(params: Any) -> Any:
        return {"x": object()}

    async with endpoint_with_raw_peer({**ROUTES, "bad": Route(None, unencodable)}) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": 5, "method": "bad"})
        reply = await peer.receive()
        await still_answers(peer)
    assert reply["id"] == 5 and reply["error"]["code"] == ErrorCode.INTERNAL_ERROR


async def test_a_line_the_endpoint_fails_to_classify_is_answered_and_reading_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fault injection: no known line makes classification fail any more, so a
    failure is planted for one line, to prove the reader's last guard."""
    real_classify = endpoint_module.jsonrpc.classify

    def classify(line: bytes) -> Any:
        if b'"plant"' in line:
            raise RuntimeError("planted fault")
        return real_classify(line)

    monkeypatch.setattr(endpoint_module.jsonrpc, "classify", classify)
    async with endpoint_with_raw_peer(ROUTES) as (_, peer):
        peer.send({"jsonrpc": "2.0", "id": "p", "method": "echo", "params": {"plant": 1}})
        peer.send({"jsonrpc": "2.0", "method": "echo", "params": {"plant": 1}})
        reply = await peer.receive()
        await still_answers(peer)  # and nothing answered the notification
    assert reply["id"] == "p" and reply["error"]["code"] == ErrorCode.INTERNAL_ERROR
