"""Both providers through their real SDKs against a local fake server, and the
resilience layer around them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    closed_port,
    error,
    mid_stream,
    openai_stream,
    sse,
)
from tests.support.hidden_package import hiding

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


# ---------------------------------------------------------------- faults after output


def text_of(events: list[object]) -> str:
    return "".join(e.text for e in events if isinstance(e, StreamText))


async def test_a_connection_reset_after_output_has_started_is_retried_with_a_notice() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(
            mid_stream(openai_stream(text="partial answer"), reset_after=3),
            openai_stream(text="whole answer"),
        )
        events = await collect(openai_client(fake), request())
    notice = next(i for i, e in enumerate(events) if isinstance(e, RetryNotice))
    before, after = events[:notice], events[notice + 1 :]
    assert text_of(before) and "partial answer".startswith(text_of(before))
    assert text_of(after) == "whole answer" and events[-1] == StreamEnd("end_turn")
    assert len(fake.requests) == 2


async def test_anthropic_reset_mid_stream_is_retried_too() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(
            mid_stream(anthropic_stream(text="first try"), reset_after=3),
            anthropic_stream(text="second try"),
        )
        client = open_model(
            "anthropic:claude-haiku-4-5",
            {"anthropic": ProviderConfig(base_url=fake.base_url, api_key="sk-ant-test")},
            retry=FAST,
        )
        events = await collect(client, request())
    after = events[next(i for i, e in enumerate(events) if isinstance(e, RetryNotice)) + 1 :]
    assert text_of(after) == "second try" and events[-1] == StreamEnd("end_turn")


async def test_a_stall_after_output_has_started_is_retried_after_the_inactivity_timeout() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(
            mid_stream(openai_stream(text="abcdefgh"), stall_after=3),
            openai_stream(text="resumed"),
        )
        events = await collect(openai_client(fake), request(inactivity_timeout=0.3))
    stall = next(e for e in events if isinstance(e, RetryNotice))
    assert "no data" in stall.reason
    after = events[events.index(stall) + 1 :]
    assert text_of(after) == "resumed" and events[-1] == StreamEnd("end_turn")


# ---------------------------------------------------------------- what a final failure names


async def test_spent_retries_raise_an_error_naming_model_url_and_attempts() -> None:
    from agent.providers import ServerFailed

    async with FakeProvider() as fake:
        fake.enqueue(*[error(503, headers={"retry-after": "0"}) for _ in range(3)])
        with pytest.raises(ServerFailed) as failed:
            await collect(openai_client(fake), request())
        url = fake.base_url + "/v1/chat/completions"
    assert (failed.value.model, failed.value.url, failed.value.attempts) == (
        "openai:gpt-4.1",
        url,
        3,
    )


async def test_an_unreachable_host_is_retried_then_names_the_url_it_tried() -> None:
    from agent.providers import ConnectionFailed

    port = closed_port()
    client = open_model(
        "openai:gpt-4.1",
        {"openai": ProviderConfig(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-x")},
        retry=FAST,
    )
    with pytest.raises(ConnectionFailed) as failed:
        await collect(client, request())
    assert failed.value.url == f"http://127.0.0.1:{port}/v1/chat/completions"
    assert failed.value.attempts == 3


async def test_a_rejected_key_carries_a_fix_naming_where_the_key_comes_from() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(error(401, "bad key"))
        client = open_model(
            "mybox:m",
            {"mybox": ProviderConfig(base_url=fake.base_url + "/v1", api_key_env="MYBOX_KEY")},
            retry=FAST,
            env={"MYBOX_KEY": "k-123456789"},
        )
        with pytest.raises(AuthenticationFailed) as failed:
            await collect(client, request())
    assert "MYBOX_KEY" in failed.value.fix and "k-123456789" not in str(failed.value)


def test_a_url_in_an_error_never_shows_credentials_or_a_query() -> None:
    from agent.providers.errors import public_url

    assert public_url("https://user:pw@host:8443/v1/x?key=secret#f") == "https://host:8443/v1/x"
    assert public_url("http://[::1]:8080/v1?k=1") == "http://[::1]:8080/v1"


# ---------------------------------------------------------------- usage and windows


async def test_anthropic_usage_counts_cache_reads_and_writes_in_the_input() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(anthropic_stream(text="ok", usage=(10, 5), cache_written=100))
        client = open_model(
            "anthropic:claude-haiku-4-5",
            {"anthropic": ProviderConfig(base_url=fake.base_url, api_key="sk-ant-test")},
            retry=FAST,
        )
        events = await collect(client, request())
    usage = next(e for e in events if isinstance(e, StreamUsage))
    assert (usage.input_tokens, usage.cached_input_tokens) == (10 + 100 + 3, 3)


def test_a_pinned_model_snapshot_gets_its_familys_real_window() -> None:
    from agent.providers import model_info

    assert model_info("anthropic:claude-sonnet-4-5-20250929").context_window == 200_000
    assert model_info("openai:gpt-4o-mini-2024-07-18").context_window == 128_000
    assert model_info("openai:gpt-4.1-2025-04-14").context_window == 1_047_576


# ---------------------------------------------------------------- a missing SDK


def hidden_sdk_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose Python cannot import `anthropic` (a sitecustomize hides it)."""
    return {**os.environ, **hiding("anthropic", tmp_path), "ANTHROPIC_API_KEY": "sk-ant-x"}


def test_a_missing_sdk_is_a_configuration_error_with_the_install_command(
    tmp_path: Path,
) -> None:
    code = (
        "import sys\n"
        "from agent.providers import ProviderSdkMissing, check_model, open_model\n"
        "try:\n"
        "    import anthropic\n"
        "    sys.exit('anthropic is importable: the test environment did not hide it')\n"
        "except ImportError:\n"
        "    pass\n"
        "for call in (lambda: check_model('anthropic:claude-haiku-4-5', {}),\n"
        "             lambda: open_model('anthropic:claude-haiku-4-5', {})):\n"
        "    try:\n"
        "        call()\n"
        "    except ProviderSdkMissing as error:\n"
        "        print(error.hint)\n"
        "check_model('openai:gpt-4.1', {}, env={'OPENAI_API_KEY': 'sk-x'})  # others unharmed\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=hidden_sdk_env(tmp_path),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    hints = done.stdout.splitlines()
    assert len(hints) == 2 and all("pip install anthropic" in h for h in hints)
