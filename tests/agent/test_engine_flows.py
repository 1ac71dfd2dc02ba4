"""More engine flows: concurrency, stop reasons from a real provider, cancellation
at every waiting point, tool content for the editor, and engine state queries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from agent import Engine, EngineConfig
from agent import events as ev
from agent.localhost import AutoPermissionGate, LocalCommandRunner, LocalFileSystem
from agent.ports import CommandResult, Host, PermissionOutcome, PermissionRequest, TextPart
from agent.providers import ProviderConfig
from tests.support.fake_provider import FakeProvider, openai_stream

WAIT = 5.0


def make(tmp_path: Path, *, mode: str = "yolo", gate: object = None, commands: object = None,
         tool_sources: Sequence[object] = (), **config: object) -> Engine:  # fmt: skip
    host = Host(
        gate or AutoPermissionGate("approve"),  # type: ignore[arg-type]
        LocalFileSystem(),
        commands or LocalCommandRunner(),  # type: ignore[arg-type]
    )
    settings = EngineConfig(**config)  # type: ignore[arg-type]
    sources = list(tool_sources)
    return Engine(
        settings, host, cwd=str(tmp_path), mode=mode, model="scripted", tool_sources=sources
    )  # type: ignore[arg-type]


async def turn(e: Engine, text: str) -> list[ev.Event]:
    return await asyncio.wait_for(_collect(e, text), WAIT * 4)


async def _collect(e: Engine, text: str) -> list[ev.Event]:
    return [event async for event in e.submit([TextPart(text)])]


def closed(events: list[ev.Event]) -> bool:
    started = sorted(x.call_id for x in events if isinstance(x, ev.ToolCallStarted))
    finished = [x.call_id for x in events if isinstance(x, ev.ToolCallFinished)]
    return started == sorted(finished) and len(set(finished)) == len(finished)


async def consume_until(
    e: Engine, text: str, ready: Callable[[list[ev.Event]], bool]
) -> tuple[asyncio.Task[None], list[ev.Event]]:
    """Start a turn in a task; return once `ready(seen)` holds."""
    seen: list[ev.Event] = []
    progressed = asyncio.Event()

    async def consume() -> None:
        async for event in e.submit([TextPart(text)]):
            seen.append(event)
            progressed.set()

    task = asyncio.create_task(consume())
    while not ready(seen):
        progressed.clear()
        await asyncio.wait_for(progressed.wait(), WAIT)
    return task, seen


def local(fake: FakeProvider) -> dict[str, ProviderConfig]:
    return {"local": ProviderConfig(base_url=fake.base_url + "/v1", api_key="k")}


async def test_tool_calls_of_one_response_run_concurrently(tmp_path: Path) -> None:
    # Each command waits (bounded) for the other's file: only a concurrent run completes both.
    def waits_for(mine: str, other: str) -> str:
        loop = f"touch {mine}; for i in $(seq 200); do [ -f {other} ] && exit 0; sleep 0.02; done; exit 1"
        return json.dumps({"command": loop})

    async with FakeProvider() as fake:
        fake.enqueue(
            openai_stream(
                tool_calls=[
                    ("c1", "run_command", waits_for("a", "b")),
                    ("c2", "run_command", waits_for("b", "a")),
                ]
            ),
            openai_stream(text="both done"),
        )
        e = make(tmp_path, providers=local(fake))
        e.model = "local:m"
        events = await turn(e, "go")
    finished = [x for x in events if isinstance(x, ev.ToolCallFinished)]
    assert [x.status for x in finished] == ["completed", "completed"] and closed(events)
    assert events[-1].stop_reason == "end_turn"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("finish", "stop"), [("length", "max_tokens"), ("content_filter", "refusal")]
)
async def test_provider_truncation_and_refusal_set_the_stop_reason(
    tmp_path: Path, finish: str, stop: str
) -> None:
    async with FakeProvider() as fake:
        fake.enqueue(openai_stream(text="partial", finish=finish))
        e = make(tmp_path, providers=local(fake))
        e.model = "local:m"
        events = await turn(e, "go")
    assert events[-1].stop_reason == stop and events[-1].message  # type: ignore[union-attr]
    assert "".join(x.text for x in events if isinstance(x, ev.TextDelta)) == "partial"


class BlockingGate:
    """An editor that never answers the permission prompt."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.cancelled = False

    async def request(self, request: PermissionRequest) -> PermissionOutcome:
        self.asked.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return "reject_once"


async def test_cancel_during_permission_prompt_ends_turn_cancelled(tmp_path: Path) -> None:
    gate = BlockingGate()
    e = make(tmp_path, mode="ask", gate=gate)
    task, seen = await consume_until(
        e, "run touch never.txt", lambda s: any(isinstance(x, ev.ToolCallStarted) for x in s)
    )
    await asyncio.wait_for(gate.asked.wait(), WAIT)
    e.cancel()
    await asyncio.wait_for(task, WAIT)
    assert seen[-1].stop_reason == "cancelled" and closed(seen)  # type: ignore[union-attr]
    assert gate.cancelled and not (tmp_path / "never.txt").exists() and not e.busy


async def test_plain_task_cancellation_stops_the_turn_without_leaking_tasks(
    tmp_path: Path,
) -> None:
    e = make(tmp_path)
    task, _seen = await consume_until(
        e, "run sleep 30", lambda s: any(isinstance(x, ev.ToolCallProgress) for x in s)
    )
    before = asyncio.all_tasks()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, WAIT)
    assert not e.busy
    leftovers = [t for t in before if t is not task and not t.done()]
    assert leftovers == [asyncio.current_task()]
    # History stays valid: the cancelled call got a result, so the next turn works.
    events = await turn(e, "say again")
    assert events[-1].stop_reason == "end_turn"  # type: ignore[union-attr]


async def test_a_second_turn_after_cancel_answers_normally(tmp_path: Path) -> None:
    e = make(tmp_path)
    task, _ = await consume_until(
        e, "say x\nwait 30", lambda s: any(isinstance(x, ev.TextDelta) for x in s)
    )
    e.cancel()
    await asyncio.wait_for(task, WAIT)
    events = await turn(e, "say fine")
    assert "".join(x.text for x in events if isinstance(x, ev.TextDelta)) == "fine"


async def test_write_file_attaches_a_diff_with_the_absolute_path(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("before")
    events = await turn(make(tmp_path), "write new.txt hello\nwrite old.txt after")
    diffs = [
        c
        for x in events
        if isinstance(x, ev.ToolCallFinished)
        for c in x.content
        if isinstance(c, ev.DiffContent)
    ]
    assert [(d.path, d.old_text, d.new_text) for d in diffs] == [
        (str(tmp_path / "new.txt"), None, "hello"),
        (str(tmp_path / "old.txt"), "before", "after"),
    ]


class EditorTerminal:
    """An editor that runs commands in its own terminal (local shell underneath)."""

    def __init__(self) -> None:
        self.inner = LocalCommandRunner()

    async def run(
        self,
        command: str,
        *,
        cwd: str,
        timeout: float,
        on_terminal: Callable[[str], None] | None = None,
    ) -> CommandResult:
        if on_terminal:
            on_terminal("term-7")
        result = await self.inner.run(command, cwd=cwd, timeout=timeout)
        return CommandResult(result.exit_code, result.output, terminal_id="term-7")


async def test_run_command_shows_the_exact_command_and_the_editor_terminal(
    tmp_path: Path,
) -> None:
    events = await turn(make(tmp_path, commands=EditorTerminal()), "run echo hi there")
    started = next(x for x in events if isinstance(x, ev.ToolCallStarted))
    assert "echo hi there" in started.title and started.kind == "execute"
    shown = [
        c
        for x in events
        if isinstance(x, (ev.ToolCallProgress, ev.ToolCallFinished))
        for c in x.content or ()
        if isinstance(c, ev.TerminalContent)
    ]
    assert shown and {c.terminal_id for c in shown} == {"term-7"}


async def test_a_failing_command_finishes_failed_with_its_exit_code(tmp_path: Path) -> None:
    e = make(tmp_path)
    events = await turn(e, "run echo oops; exit 3")
    finished = next(x for x in events if isinstance(x, ev.ToolCallFinished))
    assert finished.status == "failed"
    result = next(m for m in e.messages if m.get("role") == "tool")
    assert "3" in str(result["content"]) and "oops" in str(result["content"])


async def test_usage_updates_carry_tokens_window_and_known_cost(tmp_path: Path) -> None:
    e = make(tmp_path, prices={"scripted": (2.0, 4.0)})
    events = await turn(e, "usage 1000 500")
    update = next(x for x in events if isinstance(x, ev.UsageUpdated))
    assert (update.input_tokens, update.output_tokens) == (1000, 500)
    assert update.turn_cost_usd == pytest.approx(0.004)
    assert update.context_window > 0 and update.context_used == 1500
    assert e.session_cost_usd == pytest.approx(0.004)
    assert e.context_usage() == (1500, update.context_window)


async def test_manual_compact_and_clear_shrink_the_history(tmp_path: Path) -> None:
    e = make(tmp_path, compression_enabled=False, protect_last_n=2)
    for n in range(3):
        await turn(e, f"say reply {n}")
    assert len(e.messages) == 6
    assert await e.compact()
    assert len(e.messages) < 6 and e.messages[-1]["content"] == "reply 2"
    e.clear()
    assert e.messages == [] and e.context_usage()[0] == 0


def test_tool_infos_report_what_each_mode_does(tmp_path: Path) -> None:
    e = make(tmp_path, mode="read-only")
    infos = {i.name: i for i in e.tool_infos()}
    assert infos["read_file"].permission == "allowed" and infos["read_file"].source == "builtin"
    assert infos["write_file"].permission == "refused"
    e.mode = "accept-edits"
    infos = {i.name: i for i in e.tool_infos()}
    assert infos["write_file"].permission == "allowed"
    assert infos["run_command"].permission == "asks"


async def test_thoughts_and_plans_stream_as_their_own_events(tmp_path: Path) -> None:
    events = await turn(make(tmp_path), "think step one\nplan inspect; fix; test\nsay ok")
    assert "".join(x.text for x in events if isinstance(x, ev.ThoughtDelta)) == "step one"
    plans = [x for x in events if isinstance(x, ev.PlanUpdated)]
    assert plans and [p.content for p in plans[-1].entries] == ["inspect", "fix", "test"]


class RemoteTool:
    """Stands in for a tool served by an external MCP server."""

    def __init__(self, name: str, *, read_only: bool) -> None:
        from agent.tools.api import ToolSpec

        self.spec = ToolSpec(f"mcp__remote__{name}", f"remote {name}", {"type": "object"})
        self.read_only = read_only
        self.calls: list[dict[str, object]] = []

    def describe(self, args: dict[str, object], cwd: str) -> object:
        from agent.tools.api import ToolDescription

        return ToolDescription(f"remote {self.spec.name}", "other")

    def access(self, args: dict[str, object], cwd: str) -> object:
        from agent.tools.api import Access

        return Access("external", read_only_hint=self.read_only)

    async def preview(self, args: dict[str, object], ctx: object) -> tuple[()]:
        return ()

    async def run(self, args: dict[str, object], ctx: object) -> object:
        from agent.tools.api import ToolOutput

        self.calls.append(dict(args))
        return ToolOutput("remote ok", (ev.TextContent("remote ok"),))


class RemoteServer:
    def __init__(self, *tools: RemoteTool) -> None:
        self._tools = tools

    def tools(self) -> tuple[RemoteTool, ...]:
        return self._tools


class RejectingGate:
    def __init__(self) -> None:
        self.requests: list[PermissionRequest] = []

    async def request(self, request: PermissionRequest) -> PermissionOutcome:
        self.requests.append(request)
        return "reject_once"


async def test_external_tools_run_when_read_only_hinted_and_ask_otherwise(
    tmp_path: Path,
) -> None:
    lookup, mutate = RemoteTool("lookup", read_only=True), RemoteTool("mutate", read_only=False)
    gate = RejectingGate()
    e = make(tmp_path, mode="ask", gate=gate, tool_sources=[RemoteServer(lookup, mutate)])
    events = await turn(e, 'mcp remote lookup {"q": 1}\nmcp remote mutate {"x": 2}')
    assert lookup.calls == [{"q": 1}] and mutate.calls == [] and len(gate.requests) == 1
    decided = {x.tool: x for x in events if isinstance(x, ev.PermissionDecided)}
    assert not decided["mcp__remote__mutate"].allowed
    assert decided["mcp__remote__mutate"].by.startswith("user:")
    assert closed(events)
    infos = {i.name: i for i in e.tool_infos()}
    assert infos["mcp__remote__lookup"].source == "mcp:remote"
    assert (infos["mcp__remote__lookup"].permission, infos["mcp__remote__mutate"].permission) == (
        "allowed",
        "asks",
    )
    e.mode = "read-only"
    assert {i.name: i.permission for i in e.tool_infos()}["mcp__remote__mutate"] == "refused"


def pairs_intact(messages: list[dict[str, object]]) -> bool:
    """Every tool result follows the assistant message that made the call, and vice versa."""
    open_ids: set[object] = set()
    for message in messages:
        if message.get("role") == "assistant":
            if open_ids:
                return False
            open_ids = {c["id"] for c in message.get("tool_calls") or ()}  # type: ignore[index, union-attr]
        elif message.get("role") == "tool":
            if message.get("tool_call_id") not in open_ids:
                return False
            open_ids.discard(message.get("tool_call_id"))
        elif open_ids:
            return False
    return not open_ids


@pytest.mark.parametrize("protect", [1, 2, 3, 4, 5])
async def test_compression_never_separates_a_tool_call_from_its_result(
    tmp_path: Path, protect: int
) -> None:
    (tmp_path / "f.txt").write_text("data " * 40)
    e = make(tmp_path, context_window_override=300, protect_last_n=protect)
    compactions = 0
    for n in range(4):
        events = await turn(e, f"read f.txt\nread f.txt\nsay done {n}")
        compactions += sum(isinstance(x, ev.Compacted) for x in events)
        assert pairs_intact(e.messages), e.messages  # type: ignore[arg-type]
        assert events[-1].stop_reason == "end_turn"  # type: ignore[union-attr]
    assert compactions > 0


async def test_cancel_from_another_thread_ends_the_turn(tmp_path: Path) -> None:
    e = make(tmp_path)
    task, seen = await consume_until(
        e, "say x\nwait 30", lambda s: any(isinstance(x, ev.TextDelta) for x in s)
    )
    await asyncio.to_thread(e.cancel)
    await asyncio.wait_for(task, WAIT)
    assert seen[-1].stop_reason == "cancelled"  # type: ignore[union-attr]


def test_the_system_prompt_names_the_roots_the_mode_and_the_tools(tmp_path: Path) -> None:
    from agent.context import system_prompt

    extra = tmp_path / "lib"
    e = make(tmp_path, mode="accept-edits")
    prompt = system_prompt(str(tmp_path), [str(tmp_path), str(extra)], e.mode, e.tools())
    assert str(tmp_path) in prompt and str(extra) in prompt and "accept-edits" in prompt
    assert all(name in prompt for name in ("read_file", "edit_file", "run_command"))


async def test_an_unconfigured_model_ends_the_turn_failed_with_the_fix_as_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    e = make(tmp_path)
    e.model = "anthropic:claude-sonnet-4-5"
    events = await turn(e, "hi")
    finished = events[-1]
    assert isinstance(finished, ev.TurnFinished) and finished.stop_reason == "failed"
    assert finished.failure is not None and finished.failure.kind == "configuration"
    assert "ANTHROPIC_API_KEY" in finished.failure.fix
    assert not any(isinstance(x, (ev.TextDelta, ev.Notice)) for x in events)


async def test_a_second_concurrent_turn_is_refused_and_the_first_is_unharmed(
    tmp_path: Path,
) -> None:
    e = make(tmp_path)
    task, seen = await consume_until(
        e, "say first\nwait 1\nsay done", lambda s: any(isinstance(x, ev.TextDelta) for x in s)
    )
    with pytest.raises(RuntimeError):
        await _collect(e, "say second")
    await asyncio.wait_for(task, WAIT)
    assert "".join(x.text for x in seen if isinstance(x, ev.TextDelta)) == "firstdone"
    assert seen[-1].stop_reason == "end_turn"  # type: ignore[union-attr]


class CrashingTool(RemoteTool):
    async def run(self, args: dict[str, object], ctx: object) -> object:
        raise ZeroDivisionError("boom")


async def test_a_crashing_tool_fails_its_call_and_the_turn_goes_on(tmp_path: Path) -> None:
    e = make(tmp_path, tool_sources=[RemoteServer(CrashingTool("explode", read_only=True))])
    events = await turn(e, "mcp remote explode {}\nsay still here")
    finished = [x for x in events if isinstance(x, ev.ToolCallFinished)]
    assert [x.status for x in finished] == ["failed"] and closed(events)
    assert "".join(x.text for x in events if isinstance(x, ev.TextDelta)) == "still here"
    result = next(m for m in e.messages if m.get("role") == "tool")
    assert result["is_error"] and "ZeroDivisionError" in str(result["content"])


class BrokenCheckTool(RemoteTool):
    def access(self, args: dict[str, object], cwd: str) -> object:
        raise RuntimeError("bug in the check")


class BrokenGate:
    async def request(self, request: PermissionRequest) -> PermissionOutcome:
        raise RuntimeError("bug in the gate")


async def test_a_broken_argument_check_or_permission_gate_fails_closed(tmp_path: Path) -> None:
    broken, asks = BrokenCheckTool("broken", read_only=True), RemoteTool("asks", read_only=False)
    e = make(tmp_path, mode="ask", gate=BrokenGate(), tool_sources=[RemoteServer(broken, asks)])
    events = await turn(e, "mcp remote broken {}\nmcp remote asks {}\nsay still here")
    assert broken.calls == [] and asks.calls == []  # neither ran
    assert closed(events)
    assert "".join(x.text for x in events if isinstance(x, ev.TextDelta)) == "still here"
    results = [str(m["content"]) for m in e.messages if m.get("role") == "tool"]
    assert "could not check its arguments: bug in the check" in results[0]
    assert "permission check failed" in results[1]


async def test_cancel_during_a_real_http_model_stream_ends_cancelled(tmp_path: Path) -> None:
    async with FakeProvider() as fake:
        reply = openai_stream(text="partial answer that never ends", split=4)
        reply.stall_after = 3  # the server keeps the socket open and sends nothing more
        fake.enqueue(reply)
        e = make(tmp_path, providers=local(fake))
        e.model = "local:m"
        task, seen = await consume_until(
            e, "go", lambda s: any(isinstance(x, ev.TextDelta) for x in s)
        )
        e.cancel()
        await asyncio.wait_for(task, WAIT)
    assert seen[-1].stop_reason == "cancelled" and not e.busy  # type: ignore[union-attr]
    assert e.messages[-1]["role"] == "user"  # nothing half-made was stored as a reply


async def test_cancel_drops_text_the_model_ran_ahead_with(tmp_path: Path) -> None:
    """A model far faster than its reader: after cancel() the reader gets no more
    text, only the turn's end, instead of the whole backlog."""
    e = make(tmp_path)
    seen: list[ev.Event] = []
    cancelled_at = -1
    async for event in e.submit([TextPart("stream 20000 5")]):
        seen.append(event)
        if len(seen) == 50:
            await asyncio.sleep(0.05)  # a slow reader: the model queues thousands meanwhile
            cancelled_at = len(seen)
            e.cancel()
    after = seen[cancelled_at:]
    assert not any(isinstance(x, (ev.TextDelta, ev.ThoughtDelta)) for x in after)
    assert isinstance(seen[-1], ev.TurnFinished) and seen[-1].stop_reason == "cancelled"
    text = "".join(x.text for x in seen if isinstance(x, ev.TextDelta))
    assert 0 < len(text) < 20000 * 5
