"""Whatever arrives, the peer never crashes, answers every request exactly once
with a well-formed reply, and never answers a notification."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import Route
from tests.protocol.conftest import endpoint_with_raw_peer
from tests.support.schema_validation import validate_envelope

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
ids = st.one_of(st.integers(-(2**53), 2**53), st.text(min_size=1, max_size=10))
methods = st.sampled_from(["echo", "boom", "unknown", "_ext/x", "session/new", "$/cancel_request"])
requests = st.builds(
    lambda i, m, p: {"jsonrpc": "2.0", "id": i, "method": m, "params": p},
    ids,
    methods,
    st.dictionaries(st.text(max_size=5), json_values, max_size=3),
)
notifications = st.builds(
    lambda m, p: {"jsonrpc": "2.0", "method": m, "params": p},
    methods,
    st.dictionaries(st.text(max_size=5), json_values, max_size=3),
)
MAX_LINE = 50_000
unhashable = st.one_of(
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers())
)
unusable_ids = st.one_of(
    unhashable, st.none(), st.floats(allow_nan=False, allow_infinity=False), st.booleans()
)
# Strings with what breaks naive readers: NUL, lone surrogates (as JSON escapes, below).
hostile_text = st.text(alphabet=st.sampled_from(["a", "\x00", "\ud83d", "\ude00", "[", "{"]))


def nested(depth: int, as_object: bool) -> str:
    return '{"a":' * depth + "1" + "}" * depth if as_object else "[" * depth + "]" * depth


def with_surrogates(frame: dict[str, Any]) -> bytes:
    # Python's json writes lone surrogates as \udXXX escapes: valid JSON text.
    return json.dumps(frame).encode()


def envelope(request_id: Any, method: str, params_json: str) -> bytes:
    head = f'{{"jsonrpc":"2.0","method":{json.dumps(method)},'
    ident = "" if request_id is None else f'"id":{json.dumps(request_id)},'
    return f'{head}{ident}"params":{params_json}}}'.encode()


depths = st.integers(100, 10_000)
hostile_frames = st.one_of(
    # Deep nesting in params: answered with the id, or (a notification) not at all.
    st.builds(
        lambda i, d, o: ("request", i, envelope(i, "echo", nested(d, o))),
        ids,
        depths,
        st.booleans(),
    ),
    st.builds(
        lambda d, o: ("notification", None, envelope(None, "echo", nested(d, o))),
        depths,
        st.booleans(),
    ),
    st.builds(lambda d, o: ("garbage", None, nested(d, o).encode()), depths, st.booleans()),
    # Unusable ids, in every place an id goes.
    st.builds(
        lambda i, m: ("garbage", None, {"jsonrpc": "2.0", "id": i, "method": m}),
        unusable_ids,
        methods,
    ),
    st.builds(lambda i: ("reply", None, {"jsonrpc": "2.0", "id": i, "result": {}}), unusable_ids),
    st.builds(
        lambda i: ("reply", None, {"jsonrpc": "2.0", "id": i, "error": {"code": 1, "message": ""}}),
        unusable_ids,
    ),
    st.builds(
        lambda i: (
            "notification",
            None,
            {"jsonrpc": "2.0", "method": "$/cancel_request", "params": {"requestId": i}},
        ),
        unusable_ids,
    ),
    # NUL bytes and lone surrogates in strings, keys included.
    st.builds(
        lambda i, t: (
            "request",
            i,
            with_surrogates({"jsonrpc": "2.0", "id": i, "method": "echo", "params": {t: t}}),
        ),
        ids,
        hostile_text,
    ),
    st.builds(
        lambda t: (
            "notification",
            None,
            with_surrogates({"jsonrpc": "2.0", "method": "echo", "params": {"t": t}}),
        ),
        hostile_text,
    ),
    # Oversized frames: requests answered with their id, replies and notifications not.
    st.builds(
        lambda i: (
            "request",
            i,
            {"jsonrpc": "2.0", "id": i, "method": "echo", "params": {"b": "x" * MAX_LINE}},
        ),
        ids,
    ),
    st.builds(
        lambda i, last: ("reply", None, envelope_reply(i, "x" * MAX_LINE, last)),
        st.integers(10**9, 10**10),
        st.booleans(),
    ),
    st.just(
        (
            "notification",
            None,
            {"jsonrpc": "2.0", "method": "echo", "params": {"id": 1, "b": "x" * MAX_LINE}},
        )
    ),
)


def envelope_reply(request_id: int, blob: str, id_last: bool) -> bytes:
    if id_last:
        return f'{{"jsonrpc":"2.0","result":"{blob}","id":{request_id}}}'.encode()
    return f'{{"jsonrpc":"2.0","id":{request_id},"result":"{blob}"}}'.encode()


frames = st.one_of(
    requests.map(lambda f: ("request", f)),
    notifications.map(lambda f: ("notification", f)),
    json_values.map(lambda v: ("value", v)),
    st.binary(max_size=60).filter(lambda b: b"\n" not in b).map(lambda b: ("bytes", b)),
    hostile_frames.map(lambda h: ("hostile", h)),
)


async def _echo(params: Any) -> Any:
    return {"params": params}


async def _boom(params: Any) -> Any:
    raise RuntimeError("x")


ROUTES = {"echo": Route(None, _echo), "boom": Route(None, _boom)}


async def _feed(batch: list[tuple[str, Any]]) -> None:
    async with endpoint_with_raw_peer(ROUTES, max_line_bytes=MAX_LINE) as (_, peer):
        expected: list[Any] = []
        for kind, item in batch:
            if kind == "hostile":
                kind, request_id, item = item
                if kind == "request":
                    expected.append(request_id)
                kind = "bytes" if isinstance(item, bytes) else kind
            elif kind == "request":
                expected.append(item["id"])
            if kind == "bytes":
                peer.send_line(item)
            else:
                peer.send(item)
        # A sentinel request: once it is answered, everything before it was processed.
        peer.send({"jsonrpc": "2.0", "id": "sentinel", "method": "echo"})
        answered: list[Any] = []
        while True:
            reply = await peer.receive()
            validate_envelope(reply)
            assert "method" not in reply, "the peer sent something other than a reply"
            if reply["id"] == "sentinel":
                break
            answered.append(reply["id"])
        # One reply per request (a duplicate in-flight id gets its own error reply);
        # garbage may add id-null errors.
        non_null = [i for i in answered if i is not None]
        assert sorted(map(repr, non_null)) == sorted(map(repr, expected))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(frames, max_size=12))
def test_arbitrary_input_never_crashes_and_every_request_gets_one_reply(
    batch: list[tuple[str, Any]],
) -> None:
    asyncio.run(_feed(batch))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_produce_a_reply_to_a_notification(data: bytes) -> None:
    async def run() -> None:
        async with endpoint_with_raw_peer() as (_, peer):
            peer.send_line(data.replace(b"\n", b" "))
            peer.send({"jsonrpc": "2.0", "id": "sentinel", "method": "x"})
            while (reply := await peer.receive())["id"] != "sentinel":
                validate_envelope(reply)
                assert "error" in reply

    asyncio.run(run())


@settings(
    max_examples=100,
    deadline=None,
    # A third of the hostile frames are requests, filtered out here.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(st.lists(hostile_frames.filter(lambda h: h[0] in ("notification", "reply")), max_size=12))
def test_no_hostile_notification_or_reply_is_ever_answered(
    batch: list[tuple[str, Any, Any]],
) -> None:
    async def run() -> None:
        async with endpoint_with_raw_peer(ROUTES, max_line_bytes=MAX_LINE) as (_, peer):
            for _, _, item in batch:
                peer.send_line(item) if isinstance(item, bytes) else peer.send(item)
            peer.send({"jsonrpc": "2.0", "id": "sentinel", "method": "echo"})
            assert (await peer.receive())["id"] == "sentinel"  # the first reply of all

    asyncio.run(run())
