"""Both providers through their real SDKs against a local fake server, and the
resilience layer around them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agent.events import FallbackNotice, RetryNotice
from agent.providers import (
    AuthenticationFailed,
    ModelNotConfigured,
    ModelRequest,
    ProviderConfig,
    RetryPolicy,
    StreamEnd,
    StreamStalled,
    StreamText,
    StreamThought,
    StreamToolCall,
    StreamUsage,
    ToolSchema,
    check_model,
    open_model,
)
from tests.support.fake_provider import (
    FakeProvider,
    Reply,
    anthropic_stream,
    error,
    openai_stream,
    sse,
)

TOOLS = [
    ToolSchema(
        "read_file", "Read a file", {"type": "object", "properties": {"path": {"type": "string"}}}
    )
]
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)


def request(**overrides: object) -> ModelRequest:
    base = {
        "model": "",
        "system": "be brief",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "tools": TOOLS,
        "inactivity_timeout": 5.0,
    }
    return ModelRequest(**{**base, **overrides})  # type: ignore[arg-type]


def openai_client(fake: FakeProvider, fallback: tuple[str, ...] = (), retry: RetryPolicy = FAST):  # type: ignore[no-untyped-def]
    providers = {
        "openai": ProviderConfig(base_url=fake.base_url + "/v1", api_key="sk-test"),
        "backup": ProviderConfig(base_url=fake.base_url + "/v1", api_key="k"),
    }
    return open_model("openai:gpt-4.1", providers, fallback=fallback, retry=retry)


async def collect(client, req: ModelRequest) -> list[object]:  # type: ignore[no-untyped-def]
    return [event async for event in client.stream(req)]


async def test_openai_streams_text_reasoning_tool_calls_and_usage() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(
            openai_stream(
                text="Hello world",
                reasoning="hmm",
                tool_calls=[("call_1", "read_file", '{"path": "a.py"}')],
            )
        )
        events = await collect(openai_client(fake), request())
    assert "".join(e.text for e in events if isinstance(e, StreamText)) == "Hello world"
    assert any(isinstance(e, StreamThought) and e.text == "hmm" for e in events)
    call = next(e for e in events if isinstance(e, StreamToolCall))
    assert (call.id, call.name, call.arguments) == ("call_1", "read_file", {"path": "a.py"})
    assert any(isinstance(e, StreamUsage) and e.input_tokens == 10 for e in events)
    assert events[-1] == StreamEnd("tool_use")
    sent = fake.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.headers["authorization"] == "Bearer sk-test"
    assert sent.body["tools"][0]["function"]["name"] == "read_file" and sent.body["stream"] is True


async def test_openai_invalid_tool_arguments_arrive_as_none_with_the_raw_text() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(openai_stream(tool_calls=[("c", "read_file", '{"path": ')]))
        events = await collect(openai_client(fake), request())
    call = next(e for e in events if isinstance(e, StreamToolCall))
    assert call.arguments is None and call.raw_arguments == '{"path": '


async def test_openai_length_finish_maps_to_max_tokens() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(openai_stream(text="cut", finish="length"))
        events = await collect(openai_client(fake), request())
    assert events[-1] == StreamEnd("max_tokens")


async def test_429_is_retried_honouring_retry_after_with_a_visible_notice() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(
            error(429, headers={"retry-after": "0.05"}), error(503), openai_stream(text="ok")
        )
        events = await collect(openai_client(fake), request())
    notices = [e for e in events if isinstance(e, RetryNotice)]
    assert [n.attempt for n in notices] == [1, 2] and notices[0].delay == pytest.approx(0.05)
    assert "".join(e.text for e in events if isinstance(e, StreamText)) == "ok"
    assert len(fake.requests) == 3


async def test_retries_exhausted_fall_back_to_the_next_model_with_a_notice() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(error(500), error(500), error(500), openai_stream(text="from backup"))
        client = openai_client(fake, fallback=("backup:small",))
        events = await collect(client, request())
    fallback = next(e for e in events if isinstance(e, FallbackNotice))
    assert (fallback.from_model, fallback.to_model) == ("openai:gpt-4.1", "backup:small")
    assert fake.requests[-1].body["model"] == "small" and client.model_id == "backup:small"


async def test_authentication_errors_are_not_retried() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(error(401, "bad key"))
        with pytest.raises(AuthenticationFailed):
            await collect(openai_client(fake), request())
    assert len(fake.requests) == 1


async def test_connection_reset_mid_stream_before_output_is_retried() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(
            Reply(
                200,
                {"content-type": "text/event-stream"},
                openai_stream(text="x").events,
                reset_after=0,
            ),
            openai_stream(text="second try"),
        )
        events = await collect(openai_client(fake), request())
    assert any(isinstance(e, RetryNotice) for e in events)
    assert "".join(e.text for e in events if isinstance(e, StreamText)) == "second try"


async def test_a_stalled_stream_is_ended_by_the_inactivity_timeout() -> None:
    stalled = openai_stream(text="abcdefgh")
    stalled.stall_after = 2
    async with FakeProvider() as fake:
        fake.enqueue(stalled)
        with pytest.raises(StreamStalled):
            await collect(
                openai_client(fake, retry=RetryPolicy(max_attempts=1)),
                request(inactivity_timeout=0.3),
            )


async def test_malformed_sse_is_a_provider_error_not_a_crash() -> None:
    from agent.providers import ProviderError

    async with FakeProvider() as fake:
        fake.enqueue(Reply(200, {"content-type": "text/event-stream"}, [sse("{not json")]))
        with pytest.raises(ProviderError):
            await collect(openai_client(fake, retry=RetryPolicy(max_attempts=1)), request())


async def test_anthropic_streams_thinking_text_and_tool_use_with_prompt_caching() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(
            anthropic_stream(
                text="Done here",
                thinking="plan",
                tool_uses=[("toolu_1", "read_file", '{"path": "b.py"}')],
            )
        )
        client = open_model(
            "anthropic:claude-haiku-4-5",
            {"anthropic": ProviderConfig(base_url=fake.base_url, api_key="sk-ant-test")},
            retry=FAST,
        )
        events = await collect(client, request(thought_level="low"))
    assert "".join(e.text for e in events if isinstance(e, StreamText)) == "Done here"
    assert any(isinstance(e, StreamThought) and e.signature == "sig-1" for e in events)
    call = next(e for e in events if isinstance(e, StreamToolCall))
    assert call.arguments == {"path": "b.py"} and events[-1] == StreamEnd("tool_use")
    body = fake.requests[0].body
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert body["thinking"]["budget_tokens"] == 2048
    headers = fake.requests[0].headers
    assert "sk-ant-test" in headers.get("x-api-key", "") + headers.get("authorization", "")


async def test_anthropic_history_alternates_and_carries_tool_results() -> None:
    from agent.providers.anthropic_messages import to_anthropic_messages

    history = [
        {"role": "user", "content": [{"type": "text", "text": "go"}]},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "t1", "name": "read_file", "arguments": {"path": "x"}},
                {"id": "t2", "name": "read_file", "arguments": {"path": "y"}},
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "name": "read_file", "content": "X"},
        {
            "role": "tool",
            "tool_call_id": "t2",
            "name": "read_file",
            "content": "Y",
            "is_error": True,
        },
    ]
    converted = to_anthropic_messages(history)
    assert [m["role"] for m in converted] == ["user", "assistant", "user"]
    assert [b["tool_use_id"] for b in converted[2]["content"]] == ["t1", "t2"] and converted[2][
        "content"
    ][1]["is_error"]


def test_missing_keys_and_bad_ids_give_hints() -> None:
    with pytest.raises(ModelNotConfigured) as missing:
        check_model("openai:gpt-4.1", {}, env={})
    assert "OPENAI_API_KEY" in missing.value.hint
    with pytest.raises(ModelNotConfigured):
        check_model("gpt-4.1", {}, env={})
    with pytest.raises(ModelNotConfigured):
        check_model(None, {}, env={})
    check_model("ollama:qwen3", {}, env={})  # local servers need no key
    check_model("scripted", {}, env={})


def test_no_provider_sdk_is_imported_until_a_provider_is_built() -> None:
    code = "import sys, agent, agent.providers, agent.engine; print(sorted(m for m in ('openai','anthropic','mcp') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
