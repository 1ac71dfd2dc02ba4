"""Causal order on the wire: a tool call's `tool_call` notification goes out
before any request the agent makes to the client for that call (permission,
fs, terminal), and before its updates.

The frames are read in the order the agent wrote them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.server.harness import Editor, connect


def _agent_frames(editor: Editor) -> list[dict[str, Any]]:
    return [frame for sender, frame in editor.frames if sender == "agent"]


def _announced_at(frames: list[dict[str, Any]], call_id: str) -> int:
    return next(
        i
        for i, f in enumerate(frames)
        if f.get("method") == "session/update"
        and f["params"]["update"]["sessionUpdate"] == "tool_call"
        and f["params"]["update"]["toolCallId"] == call_id
    )


def _first_request(frames: list[dict[str, Any]], method: str) -> tuple[int, dict[str, Any]]:
    return next((i, f["params"]) for i, f in enumerate(frames) if f.get("method") == method)


async def test_a_permission_request_follows_the_tool_call_it_asks_about(tmp_path: Path) -> None:
    async with connect(tmp_path / "home", mode="ask") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        result = await editor.prompt(session_id, "run echo hi")
    frames = _agent_frames(editor)
    asked_at, params = _first_request(frames, "session/request_permission")
    assert result["stopReason"] == "end_turn"
    assert _announced_at(frames, params["toolCall"]["toolCallId"]) < asked_at


async def test_the_read_for_a_write_preview_follows_the_tool_call_it_previews(
    tmp_path: Path,
) -> None:
    (tmp_path / "f.txt").write_text("before")
    async with connect(tmp_path / "home", mode="ask") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        result = await editor.prompt(session_id, "write f.txt after")
    frames = _agent_frames(editor)
    read_at, params = _first_request(frames, "fs/read_text_file")
    calls = [u for u in editor.session_updates(session_id, "tool_call")]
    assert result["stopReason"] == "end_turn" and len(calls) == 1
    assert calls[0]["locations"][0]["path"] == params["path"]
    assert _announced_at(frames, calls[0]["toolCallId"]) < read_at
    assert (tmp_path / "f.txt").read_text() == "after"


async def test_a_terminal_is_created_after_the_tool_call_that_runs_it(tmp_path: Path) -> None:
    async with connect(tmp_path / "home", mode="yolo") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        result = await editor.prompt(session_id, "run echo hi")
    frames = _agent_frames(editor)
    created_at, _ = _first_request(frames, "terminal/create")
    (call,) = editor.session_updates(session_id, "tool_call")
    assert result["stopReason"] == "end_turn"
    assert _announced_at(frames, call["toolCallId"]) < created_at
