"""What `acp-server run` says about a turn: the `--json` event schema, the
text-mode summary line, and the permission gate of a headless run.

The JSON schema (docs/run-json.md) is public and versioned by
`SCHEMA_VERSION`: event names come from `EVENT_NAMES`, never from class
names, so an engine refactor cannot rename them. The first event is
`session_started`, the last `turn_finished`.

A run has nobody to ask unless stdin is a terminal. Then `RunGate` asks at
the keyboard; otherwise it refuses and remembers the call, so the call's
failure says how to allow it next time and the run exits with `REFUSED_EXIT`.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from agent.events import TurnUsage
    from agent.ports import PermissionOutcome, PermissionRequest

SCHEMA_VERSION = 1
REFUSED_EXIT = 6
NOT_APPROVED = "not approved: pass --yes or --mode accept-edits"

EVENT_NAMES = {
    "TextDelta": "text",
    "ThoughtDelta": "thought",
    "ToolCallStarted": "tool_call_started",
    "ToolCallProgress": "tool_call_progress",
    "ToolCallFinished": "tool_call_finished",
    "PermissionDecided": "permission",
    "PlanUpdated": "plan",
    "UsageUpdated": "usage",
    "RetryNotice": "retry",
    "FallbackNotice": "fallback",
    "ModelRouted": "model_routed",
    "Compacted": "compacted",
    "Notice": "notice",
    "TurnFinished": "turn_finished",
}

CONTENT_NAMES = {
    "TextContent": "text",
    "DiffContent": "diff",
    "TerminalContent": "terminal",
    "ImageContent": "image",
}


def line(event_type: str, /, **fields: object) -> str:
    return json.dumps({"type": event_type, **fields}, ensure_ascii=False, default=str)


def session_started(session_id: str, model: str, mode: str, cwd: str, resumed: bool) -> str:
    return line(
        "session_started",
        schema=SCHEMA_VERSION,
        session_id=session_id,
        model=model,
        mode=mode,
        cwd=cwd,
        resumed=resumed,
    )


def event_line(event: object, session_id: str, refused: int) -> str:
    """One engine event as a schema line; `turn_finished` gains the session id,
    the cost and the number of refused calls."""
    import msgspec

    name = type(event).__name__
    data = msgspec.to_builtins(event) if isinstance(event, msgspec.Struct) else {}
    content = getattr(event, "content", None)
    if isinstance(content, tuple):  # tag each block: the structs carry no discriminator
        data["content"] = [
            {"type": CONTENT_NAMES.get(type(c).__name__, "other"), **msgspec.to_builtins(c)}
            for c in content
        ]
    if name == "TurnFinished":
        usage = data.get("usage") or {}
        data["cost_usd"] = usage.pop("cost_usd", None)
        data.update(session_id=session_id, refused_calls=refused)
    return line(EVENT_NAMES.get(name, "other"), **data)


def summary(stop: str, usage: TurnUsage, session_id: str, refused: int) -> str:
    """The one line text mode ends with, on stderr."""
    cost = "cost unknown" if usage.cost_usd is None else f"${usage.cost_usd:.4f}"
    parts = [
        f"[{stop}]",
        f"{usage.input_tokens} in / {usage.output_tokens} out tokens",
        cost,
        f"session {session_id}",
    ]
    if refused:
        parts.append(f"{refused} call(s) {NOT_APPROVED}")
    return " · ".join(parts)


@dataclass
class RunGate:
    """The permission gate of a run: approve (--yes), ask at a terminal, or refuse."""

    approve: bool
    interactive: bool
    refused: set[str] = field(default_factory=set)

    async def request(self, request: PermissionRequest) -> PermissionOutcome:
        if self.approve:
            return "allow_once"
        if self.interactive:
            answer = await asyncio.get_running_loop().run_in_executor(None, _ask, request)
            if answer:
                return answer
        self.refused.add(request.call_id)
        return "reject_once"


def _ask(request: PermissionRequest) -> PermissionOutcome | None:
    """y / a(lways) / n at the keyboard, asked again after anything else."""
    print(f"\nPermission: {request.title}", file=sys.stderr)
    if request.reason:
        print(f"  ({request.reason})", file=sys.stderr)
    while True:
        try:
            answer = input("allow? [y]es once, [a]lways, [n]o: ").strip().lower()
        except EOFError:
            return None
        if answer in ("y", "yes"):
            return "allow_once"
        if answer in ("a", "always"):
            return "allow_always"
        if answer in ("n", "no", ""):
            return "reject_once"
        print("  type y, a or n", file=sys.stderr)


class RunOutput:
    """stdout and stderr of one run, in text or JSON; in JSON the engine's
    TurnFinished is held back so that `turn_finished` is the last line even
    when a usage event follows it."""

    def __init__(
        self,
        as_json: bool,
        out: TextIO,
        session_id: str,
        gate: RunGate,
        human: Callable[[object, TextIO], None],
    ) -> None:
        self.as_json, self.out, self.session_id = as_json, out, session_id
        self.gate, self.human = gate, human
        self.held: object | None = None

    def started(self, model: str, mode: str, cwd: str, resumed: bool) -> None:
        if self.as_json:
            self.out.write(session_started(self.session_id, model, mode, cwd, resumed) + "\n")

    def event(self, event: object) -> None:
        if not self.as_json:
            self.human(event, self.out)
        elif type(event).__name__ == "TurnFinished":
            self.held = event
        else:
            self.out.write(event_line(event, self.session_id, len(self.gate.refused)) + "\n")
        self.out.flush()

    def finished(self, stop: str, usage: TurnUsage) -> None:
        refused = len(self.gate.refused)
        if self.as_json and self.held is not None:
            self.out.write(event_line(self.held, self.session_id, refused) + "\n")
            self.out.flush()
        elif not self.as_json:
            print("\n" + summary(stop, usage, self.session_id, refused), file=sys.stderr)
