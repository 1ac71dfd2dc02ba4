"""The engine end to end: the scripted model, real tools on temp directories,
and a real provider against the fake server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent import Engine, EngineConfig
from agent import events as ev
from agent.localhost import AutoPermissionGate, LocalCommandRunner, LocalFileSystem
from agent.ports import Host, PermissionOutcome, PermissionRequest, TextPart
from agent.providers import ProviderConfig
from tests.support.fake_provider import FakeProvider, error, openai_stream


def engine(tmp_path: Path, *, mode: str = "yolo", gate: object = None, **config: object) -> Engine:
    host = Host(gate or AutoPermissionGate("approve"), LocalFileSystem(), LocalCommandRunner())  # type: ignore[arg-type]
    return Engine(EngineConfig(**config), host, cwd=str(tmp_path), mode=mode, model="scripted")  # type: ignore[arg-type]


async def turn(e: Engine, text: str) -> list[ev.Event]:
    return [event async for event in e.submit([TextPart(text)])]


def check_tool_calls_closed(events: list[ev.Event]) -> None:
    started = [x.call_id for x in events if isinstance(x, ev.ToolCallStarted)]
    finished = [x.call_id for x in events if isinstance(x, ev.ToolCallFinished)]
    assert sorted(started) == sorted(finished) and len(set(finished)) == len(finished)
    assert isinstance(events[-1], ev.TurnFinished)


async def test_a_turn_streams_text_runs_tools_and_ends_once(tmp_path: Path) -> None:
    e = engine(tmp_path)
    events = await turn(e, "say a b\nwrite x.txt one\nedit x.txt one => two\nread x.txt\nsay end")
    check_tool_calls_closed(events)
    assert (tmp_path / "x.txt").read_text() == "two"
    assert "".join(x.text for x in events if isinstance(x, ev.TextDelta)) == "a bend"
    assert sum(isinstance(x, ev.TurnFinished) for x in events) == 1
    assert sum(isinstance(x, ev.UsageUpdated) for x in events) == 4


async def test_stream_directive_emits_exact_ordered_chunks(tmp_path: Path) -> None:
    events = await turn(engine(tmp_path), "stream 50 12")
    chunks = [x.text for x in events if isinstance(x, ev.TextDelta)]
    assert [int(c[:7]) for c in chunks] == list(range(50)) and {len(c) for c in chunks} == {12}


async def test_edit_fails_clearly_when_old_text_is_absent_or_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("a a")
    events = await turn(engine(tmp_path), "edit f.txt zzz => y\nedit f.txt a => b")
    finished = [x for x in events if isinstance(x, ev.ToolCallFinished)]
    assert [x.status for x in finished] == ["failed", "failed"]
    assert (tmp_path / "f.txt").read_text() == "a a"


async def test_invalid_tool_json_and_unknown_tools_fail_and_go_back_to_the_model(
    tmp_path: Path,
) -> None:
    e = engine(tmp_path)
    events = await turn(e, "mcp nosuch tool {bad json")
    check_tool_calls_closed(events)
    assert [x.status for x in events if isinstance(x, ev.ToolCallFinished)] == ["failed"]
    assert e.messages[-2]["role"] == "tool" and e.messages[-2]["is_error"]


async def test_max_turns_stops_with_max_turn_requests(tmp_path: Path) -> None:
    events = await turn(engine(tmp_path, max_turns=2), "read a\nread b\nread c")
    assert events[-1].stop_reason == "max_turn_requests"  # type: ignore[union-attr]
    check_tool_calls_closed(events)


async def test_budget_stops_the_session_with_a_message(tmp_path: Path) -> None:
    e = engine(tmp_path, max_budget_usd=0.001, prices={"scripted": (1000.0, 1000.0)})
    await turn(e, "usage 1000 1000")
    events = await turn(e, "say more")
    assert events[-1].stop_reason == "max_turn_requests" and "budget" in (events[-1].message or "")  # type: ignore[union-attr]


async def test_read_only_mode_refuses_writes_and_commands(tmp_path: Path) -> None:
    e = engine(tmp_path, mode="read-only")
    events = await turn(e, "write a.txt x\nrun touch b.txt")
    decisions = [x for x in events if isinstance(x, ev.PermissionDecided)]
    assert [d.allowed for d in decisions] == [False, False] and decisions[0].by == "mode:read-only"
    assert not (tmp_path / "a.txt").exists() and not (tmp_path / "b.txt").exists()
    results = [m["content"] for m in e.messages if m.get("role") == "tool"]
    assert all(str(r).startswith("denied: read-only mode") for r in results) and len(results) == 2


class RecordingGate:
    def __init__(self, answer: PermissionOutcome) -> None:
        self.answer = answer
        self.requests: list[PermissionRequest] = []

    async def request(self, request: PermissionRequest) -> PermissionOutcome:
        self.requests.append(request)
        return self.answer


async def test_sensitive_paths_ask_even_in_accept_edits_and_the_request_shows_the_diff(
    tmp_path: Path,
) -> None:
    gate = RecordingGate("reject_once")
    events = await turn(
        engine(tmp_path, mode="accept-edits", gate=gate),
        "write notes.txt fine\nwrite .env SECRET=1",
    )
    assert (tmp_path / "notes.txt").exists() and not (tmp_path / ".env").exists()
    assert len(gate.requests) == 1 and "sensitive" in gate.requests[0].reason
    assert isinstance(gate.requests[0].content[0], ev.DiffContent)
    check_tool_calls_closed(events)


async def test_writes_outside_the_roots_ask_in_every_mode_but_yolo(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    gate = RecordingGate("reject_once")
    await turn(
        engine(tmp_path, mode="accept-edits", gate=gate),
        f"write {outside} x\nwrite ../{outside.name} y",
    )
    assert len(gate.requests) == 2 and not outside.exists()


async def test_allow_and_deny_rules_override_the_mode(tmp_path: Path) -> None:
    gate = RecordingGate("allow_once")
    events = await turn(
        engine(
            tmp_path, mode="ask", gate=gate, allow=("run_command:echo *",), deny=("write_file",)
        ),
        "run echo hi\nwrite a.txt x",
    )
    decisions = {d.tool: d for d in events if isinstance(d, ev.PermissionDecided)}
    assert decisions["run_command"].allowed and decisions["run_command"].by.startswith("rule:")
    assert not decisions["write_file"].allowed and not gate.requests


async def test_cancel_during_a_model_wait_ends_cancelled_quickly(tmp_path: Path) -> None:
    e = engine(tmp_path)
    seen: list[ev.Event] = []

    async def consume() -> None:
        async for event in e.submit([TextPart("say hi\nwait 30")]):
            seen.append(event)

    task = asyncio.create_task(consume())
    while not seen:
        await asyncio.sleep(0.01)
    e.cancel()
    await asyncio.wait_for(task, 2)
    assert seen[-1].stop_reason == "cancelled"  # type: ignore[union-attr]


async def test_cancel_during_a_command_kills_it_and_closes_the_call(tmp_path: Path) -> None:
    e = engine(tmp_path)
    seen: list[ev.Event] = []

    async def consume() -> None:
        async for event in e.submit([TextPart("run sleep 30")]):
            seen.append(event)

    task = asyncio.create_task(consume())
    while not any(isinstance(x, ev.ToolCallProgress) and x.status == "in_progress" for x in seen):
        await asyncio.sleep(0.01)
    e.cancel()
    await asyncio.wait_for(task, 3)
    check_tool_calls_closed(seen)
    assert seen[-1].stop_reason == "cancelled"  # type: ignore[union-attr]
    assert e.messages[-1]["role"] == "tool"  # history stays valid for the next call


async def test_compression_summarises_older_history_with_a_tiny_window(tmp_path: Path) -> None:
    e = engine(tmp_path, context_window_override=400, compression_threshold=0.5, protect_last_n=2)
    for n in range(4):
        await turn(e, f"say turn number {n} " + "padding " * 20)
    events = await turn(e, "say after")
    compactions = [x for x in events if isinstance(x, ev.Compacted)]
    assert compactions and compactions[0].messages_after < compactions[0].messages_before
    assert e.messages[0]["content"][0]["text"].startswith("Summary of the earlier conversation")
    assert "".join(x.text for x in events if isinstance(x, ev.TextDelta)) == "after"


async def test_model_switch_keeps_history(tmp_path: Path) -> None:
    async with FakeProvider() as fake:
        fake.enqueue(openai_stream(text="from openai"))
        e = engine(
            tmp_path,
            providers={"local": ProviderConfig(base_url=fake.base_url + "/v1", api_key="k")},
        )
        await turn(e, "say scripted first")
        e.model = "local:some-model"
        events = await turn(e, "second question")
        sent = fake.requests[0].body["messages"]
    assert "".join(x.text for x in events if isinstance(x, ev.TextDelta)) == "from openai"
    assert any(m["role"] == "assistant" and m["content"] == "scripted first" for m in sent)


async def test_a_final_provider_failure_ends_the_turn_failed_naming_what_was_tried(
    tmp_path: Path,
) -> None:
    async with FakeProvider() as fake:
        fake.enqueue(error(400, "bad request"))
        e = engine(
            tmp_path,
            providers={"local": ProviderConfig(base_url=fake.base_url + "/v1", api_key="k")},
        )
        e.model = "local:m"
        events = await turn(e, "hi")
        url = fake.base_url + "/v1/chat/completions"
    finished = events[-1]
    assert isinstance(finished, ev.TurnFinished) and finished.stop_reason == "failed"
    failure = finished.failure
    assert failure is not None and failure.kind == "provider"
    assert (failure.provider, failure.model, failure.url) == ("local", "local:m", url)
    # The failure is the turn's outcome, not model output.
    assert not [x for x in events if isinstance(x, (ev.TextDelta, ev.Notice))]
    assert not [m for m in e.messages if m["role"] == "assistant"]


async def test_agents_md_from_the_repository_reaches_the_system_prompt(tmp_path: Path) -> None:
    from agent.context import system_prompt

    (tmp_path / ".git").mkdir()
    (tmp_path / "AGENTS.md").write_text("Always use tabs.")
    sub = tmp_path / "pkg"
    sub.mkdir()
    (sub / "AGENTS.md").write_text("Package rule.")
    prompt = system_prompt(str(sub), [str(sub)], "ask", [])
    assert prompt.index("Always use tabs.") < prompt.index("Package rule.")


@pytest.mark.parametrize("enabled", [True, False])
async def test_smart_routing_sends_short_prompts_to_the_cheap_model_only_when_on(
    tmp_path: Path, enabled: bool
) -> None:
    e = engine(tmp_path, smart_routing=enabled, cheap_model="scripted")
    e.model = "ollama:big"
    if enabled:
        events = await turn(e, "say short")
        assert any(isinstance(x, ev.ModelRouted) for x in events)
    else:
        assert e._route([TextPart("say short")], lambda _x: None) == "ollama:big"


def _big_history(e: Engine, tokens: int) -> None:
    """Earlier exchanges of about `tokens` tokens (four characters each)."""
    e.messages.extend(
        [{"role": "user", "content": "x" * (tokens * 2)}, {"role": "assistant", "content": "ok"}]
    )


async def test_a_history_too_long_for_the_window_switches_to_the_long_context_model(
    tmp_path: Path,
) -> None:
    from agent.providers.catalog import ModelInfo, remember

    remember([ModelInfo("local:small", 1_000), ModelInfo("local:large", 100_000)])
    async with FakeProvider() as fake:
        fake.enqueue(openai_stream(text="from the large model"))
        e = engine(
            tmp_path,
            providers={"local": ProviderConfig(base_url=fake.base_url + "/v1", api_key="k")},
            compression_enabled=False,
            long_context_model="local:large",
        )
        e.model = "local:small"
        _big_history(e, 2_000)
        events = await turn(e, "go on")
    routed = [x for x in events if isinstance(x, ev.ModelRouted)]
    assert [(r.from_model, r.to_model) for r in routed] == [("local:small", "local:large")]
    assert fake.requests[0].body["model"] == "large"
    assert isinstance(events[-1], ev.TurnFinished) and events[-1].stop_reason == "end_turn"


async def test_a_history_too_long_without_a_larger_model_fails_the_turn_unsent(
    tmp_path: Path,
) -> None:
    from agent.providers.catalog import ModelInfo, remember

    remember([ModelInfo("local:tiny", 1_000)])
    async with FakeProvider() as fake:
        e = engine(
            tmp_path,
            providers={"local": ProviderConfig(base_url=fake.base_url + "/v1", api_key="k")},
            compression_enabled=False,
        )
        e.model = "local:tiny"
        _big_history(e, 2_000)
        events = await turn(e, "go on")
        assert fake.requests == []  # never sent: the provider would reject it
    finished = events[-1]
    assert isinstance(finished, ev.TurnFinished) and finished.stop_reason == "failed"
    assert finished.failure is not None and finished.failure.kind == "provider"
    assert "routing.long_context_model" in (finished.failure.fix or "")
