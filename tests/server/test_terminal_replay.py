"""A session's replay in a new process shows what its commands printed, never
the id of a terminal that died with the old connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.server.harness import connect


def _contents(updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for u in updates for c in u.get("content", []) if isinstance(c, dict)]


async def test_a_terminal_call_replays_as_its_output_in_a_new_server(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with connect(home, mode="yolo") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        result = await editor.prompt(session_id, "run echo replay-marker-42")
        live = _contents(editor.session_updates(session_id, "tool_call_update"))
    async with connect(home, mode="yolo") as (editor, _):  # a new server: a new process's state
        await editor.initialize()
        await editor.call(
            "session/load", {"sessionId": session_id, "cwd": str(tmp_path), "mcpServers": []}
        )
        replayed = _contents(editor.session_updates(session_id, "tool_call_update"))
    assert result["stopReason"] == "end_turn"
    assert any(c["type"] == "terminal" for c in live)  # the editor showed the live terminal
    assert not any(c["type"] == "terminal" for c in replayed)
    texts = [c["content"]["text"] for c in replayed if c["type"] == "content"]
    assert any("replay-marker-42" in text for text in texts)


def test_a_stored_terminal_without_its_output_replays_as_a_note() -> None:
    from acp_server.server.translate import for_replay

    update = {
        "sessionUpdate": "tool_call_update",
        "toolCallId": "c1",
        "status": "completed",
        "content": [{"type": "terminal", "terminalId": "term_1"}],
    }
    running = for_replay(update, {})
    replayed = for_replay(update, {}, "(not kept)")
    assert running["content"] == []
    assert replayed["content"] == [
        {"type": "content", "content": {"type": "text", "text": "(not kept)"}}
    ]
