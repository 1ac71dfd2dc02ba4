"""`Engine.delivered()`: a host's barrier for causal order, and the turn's end
when the turn task is cancelled before its first step."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent import Engine, EngineConfig
from agent import events as ev
from agent.localhost import LocalCommandRunner, LocalFileSystem
from agent.ports import Host, PermissionOutcome, PermissionRequest, TextPart


class RecordingGate:
    """Asks after `delivered()`, noting what the reader had handled by then."""

    def __init__(self, seen: list[ev.Event]) -> None:
        self.seen = seen
        self.engine: Engine | None = None
        self.seen_when_asked: list[ev.Event] = []

    async def request(self, request: PermissionRequest) -> PermissionOutcome:
        assert self.engine is not None
        await self.engine.delivered()
        self.seen_when_asked = list(self.seen)
        return "allow_once"


async def test_delivered_returns_once_the_reader_has_handled_the_tool_call(tmp_path: Path) -> None:
    seen: list[ev.Event] = []
    gate = RecordingGate(seen)
    host = Host(gate, LocalFileSystem(), LocalCommandRunner())
    engine = Engine(EngineConfig(), host, cwd=str(tmp_path), mode="ask", model="scripted")
    gate.engine = engine
    async for event in engine.submit([TextPart("run echo hi")]):
        await asyncio.sleep(0)  # a reader that takes its time with each event
        seen.append(event)
    assert any(isinstance(e, ev.ToolCallStarted) for e in gate.seen_when_asked)
    assert isinstance(seen[-1], ev.TurnFinished) and seen[-1].stop_reason == "end_turn"


async def test_a_turn_cancelled_before_its_first_step_still_ends_cancelled(tmp_path: Path) -> None:
    host = Host(RecordingGate([]), LocalFileSystem(), LocalCommandRunner())
    engine = Engine(EngineConfig(), host, cwd=str(tmp_path), mode="yolo", model="scripted")
    turn = engine.submit([TextPart("say never")])
    first = asyncio.ensure_future(turn.__anext__())
    await asyncio.sleep(0)  # submit has started the turn task, which has not run yet
    engine.cancel()
    event = await asyncio.wait_for(first, 5)
    await turn.aclose()
    assert isinstance(event, ev.TurnFinished) and event.stop_reason == "cancelled"
    assert not engine.busy
