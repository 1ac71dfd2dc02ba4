"""`ask()`: one prompt, one answer, for programs that embed the engine."""

from __future__ import annotations

import os

from agent.config import EngineConfig
from agent.engine import Engine
from agent.events import TextDelta, TurnFinished
from agent.localhost import AutoPermissionGate, LocalCommandRunner, LocalFileSystem
from agent.ports import Host, TextPart
from agent.turn_failure import TurnFailedError


async def ask(
    prompt: str,
    *,
    model: str,
    cwd: str | None = None,
    mode: str = "read-only",
    config: EngineConfig | None = None,
    host: Host | None = None,
) -> str:
    """Run one turn and return the model's text. Read-only unless told otherwise.

    Raises ModelNotConfigured when the model is not usable, and TurnFailedError
    (its `failure` says how) when the turn failed: an error never comes back as
    if it were the answer."""
    host = host or Host(AutoPermissionGate("deny"), LocalFileSystem(), LocalCommandRunner())
    engine = Engine(config or EngineConfig(), host, cwd=cwd or os.getcwd(), mode=mode, model=model)
    engine.check_ready()
    text: list[str] = []
    async for event in engine.submit([TextPart(prompt)]):
        if isinstance(event, TextDelta):
            text.append(event.text)
        elif isinstance(event, TurnFinished):
            if event.failure is not None and event.stop_reason == "failed":
                raise TurnFailedError(event.failure)
            if event.stop_reason == "cancelled":
                break
    return "".join(text)
