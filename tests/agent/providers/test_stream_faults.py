"""Faults inside an Anthropic stream (its own API; the cloud routes share the
code): an `error` event after the 200, and a body that ends before
`message_stop`. Both are transient and must be retried, never taken as the
answer or as a bad request."""

from __future__ import annotations

from agent.events import RetryNotice
from agent.providers import ModelClient, ProviderConfig, RetryPolicy, StreamEnd, open_model
from tests.agent.providers.test_providers import collect, request, text_of
from tests.support.fake_provider import FakeProvider, Reply, anthropic_stream, sse

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)


def anthropic(fake: FakeProvider) -> ModelClient:
    config = ProviderConfig(base_url=fake.base_url, api_key="sk-ant-test")
    return open_model("anthropic:claude-haiku-4-5", {"anthropic": config}, retry=FAST)


def cut(reply: Reply, keep: int, *tail: str) -> Reply:
    return Reply(reply.status, dict(reply.headers), [*reply.events[:keep], *tail])


async def test_an_overloaded_error_event_inside_an_anthropic_stream_is_retried() -> None:
    overloaded = sse({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})
    async with FakeProvider() as fake:
        fake.enqueue(
            cut(anthropic_stream(text="partial"), 3, overloaded),
            anthropic_stream(text="complete"),
        )
        events = await collect(anthropic(fake), request())
    assert any(isinstance(e, RetryNotice) for e in events)
    after = events[next(i for i, e in enumerate(events) if isinstance(e, RetryNotice)) + 1 :]
    assert text_of(after) == "complete" and events[-1] == StreamEnd("end_turn")


async def test_an_anthropic_stream_ending_before_message_stop_is_retried_not_taken_as_the_answer() -> (
    None
):
    async with FakeProvider() as fake:
        fake.enqueue(cut(anthropic_stream(text="cut short here"), 4), anthropic_stream(text="all"))
        events = await collect(anthropic(fake), request())
    assert any(isinstance(e, RetryNotice) for e in events) and len(fake.requests) == 2
    assert events[-1] == StreamEnd("end_turn")
    after = events[next(i for i, e in enumerate(events) if isinstance(e, RetryNotice)) + 1 :]
    assert text_of(after) == "all"
