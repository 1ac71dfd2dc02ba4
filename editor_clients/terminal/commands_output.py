"""What the user should see of the commands an agent runs in our terminals.

An agent that runs a command in a client terminal shows it to the editor only
as `{"type": "terminal", "terminalId": ...}` inside a tool call; the output
lives on our side, in `LocalTerminals`. It usually releases the terminal
before it sends the call's final status, so `TerminalWatch` takes hold of the
terminal when the id first appears and keeps it: the output and exit status
stay readable after the release, for the summary at the call's end.

`failure_reason` and `call_text` pull the human text out of a tool call's
content, so a failed or denied call says why instead of showing a bare mark.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from typing import Protocol

from editor_clients.client import LocalTerminals
from protocol.json_types import JsonObject, get_object, objects


class TerminalRecord(Protocol):
    """What `LocalTerminals` keeps of one terminal, as read here."""

    @property
    def output(self) -> bytearray: ...

    @property
    def process(self) -> asyncio.subprocess.Process: ...


@dataclass
class Watched:
    terminal_id: str
    handle: TerminalRecord  # LocalTerminals' record of the terminal
    shown: int = 0  # bytes already written by follow-mode printers

    def text(self) -> str:
        return bytes(self.handle.output).decode("utf-8", "replace")

    def status(self) -> str | None:
        """'exit status N', 'killed by SIGX', or None while it runs."""
        code = self.handle.process.returncode
        if code is None:
            return None
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"

    def unseen(self) -> str:
        """Output printed since the last call (follow mode)."""
        data = bytes(self.handle.output)
        if len(data) < self.shown:  # the buffer was trimmed at its byte limit
            self.shown = 0
        fresh, self.shown = data[self.shown :], len(data)
        return fresh.decode("utf-8", "replace")


class TerminalWatch:
    """Terminal ids seen in tool calls, mapped to the terminals themselves."""

    def __init__(self, terminals: LocalTerminals) -> None:
        self._terminals = terminals
        self.by_call: dict[str, Watched] = {}

    def observe(self, update: JsonObject) -> Watched | None:
        """Hold on to a terminal named in this update; return it when new."""
        call_id = str(update.get("toolCallId"))
        for item in objects(update.get("content")):
            if item.get("type") != "terminal" or call_id in self.by_call:
                continue
            handle = self._terminals.terminals.get(str(item.get("terminalId")))
            if handle is not None:
                watched = Watched(str(item.get("terminalId")), handle)
                self.by_call[call_id] = watched
                return watched
        return None

    def running(self) -> list[Watched]:
        return [w for w in self.by_call.values() if w.status() is None]

    def finish(self, call_id: str) -> Watched | None:
        return self.by_call.pop(call_id, None)


def call_text(update: JsonObject) -> str:
    """The plain text content blocks of a tool call, joined."""
    parts = []
    for item in objects(update.get("content")):
        if item.get("type") == "content":
            block = get_object(item, "content")
            if block.get("type") == "text" and block.get("text"):
                parts.append(str(block["text"]))
    return "\n".join(parts)


def failure_reason(update: JsonObject) -> str:
    """Why a call failed: its text content, else its raw output's error, else ''."""
    text = call_text(update).strip()
    if text:
        return text
    raw = update.get("rawOutput")
    if isinstance(raw, dict) and raw.get("error"):
        return str(raw["error"])
    return ""


def exit_text(update: JsonObject) -> str | None:
    """'exit status N' from a command call's rawOutput, when it carries one."""
    raw = update.get("rawOutput")
    if isinstance(raw, dict) and raw.get("exit_code") is not None:
        return f"exit status {raw['exit_code']}"
    return None
