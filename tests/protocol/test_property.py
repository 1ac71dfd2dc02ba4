"""Whatever arrives, the peer never crashes, answers every request exactly once
with a well-formed reply, and never answers a notification."""

from __future__ import annotations

import asyncio
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
frames = st.one_of(
    requests.map(lambda f: ("request", f)),
    notifications.map(lambda f: ("notification", f)),
    json_values.map(lambda v: ("value", v)),
    st.binary(max_size=60).filter(lambda b: b"\n" not in b).map(lambda b: ("bytes", b)),
)


async def _echo(params: Any) -> Any:
    return {"params": params}


async def _boom(params: Any) -> Any:
    raise RuntimeError("x")


async def _feed(batch: list[tuple[str, Any]]) -> None:
    async with endpoint_with_raw_peer({"echo": Route(None, _echo), "boom": Route(None, _boom)}) as (
        _,
        peer,
    ):
        expected: list[Any] = []
        for kind, item in batch:
            if kind == "bytes":
                peer.send_line(item)
            else:
                peer.send(item)
            if kind == "request":
                expected.append(item["id"])
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
