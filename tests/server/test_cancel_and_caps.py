"""Cancellation at every stage, and the three client capability sets."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.server.harness import Editor, connect


async def _start_prompt(editor: Editor, session_id: str, text: str) -> asyncio.Task[object]:
    return asyncio.create_task(editor.prompt(session_id, text))


async def test_cancel_during_a_model_stream_answers_cancelled_and_session_stays_usable(
    tmp_path: Path,
) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        turn = await _start_prompt(editor, session_id, "say started\nwait 30\nsay never")
        await editor.wait_for(lambda: "started" in editor.text(session_id))
        await editor.endpoint.notify("session/cancel", {"sessionId": session_id})
        result = await asyncio.wait_for(turn, 5)
        again = await editor.prompt(session_id, "say still here")
    assert result["stopReason"] == "cancelled"
    assert "never" not in editor.text(session_id) and editor.text(session_id).endswith("still here")
    assert again["stopReason"] == "end_turn"


async def test_cancel_during_a_permission_prompt_closes_the_tool_call(tmp_path: Path) -> None:
    editor = Editor(permission="never")
    async with connect(tmp_path / "home", editor) as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        turn = await _start_prompt(editor, session_id, "write blocked.txt x")
        await asyncio.wait_for(editor.permission_asked.wait(), 5)
        await editor.endpoint.notify("session/cancel", {"sessionId": session_id})
        result = await asyncio.wait_for(turn, 5)
        cancel_requests = [f for d, f in editor.frames if f.get("method") == "$/cancel_request"]
    assert result["stopReason"] == "cancelled"
    assert not (tmp_path / "blocked.txt").exists()
    final = [
        u
        for u in editor.session_updates(session_id, "tool_call_update")
        if u.get("status") in ("completed", "failed")
    ]
    assert len(final) == 1 and final[0]["status"] == "failed"
    assert cancel_requests, (
        "the pending permission request should be withdrawn with $/cancel_request"
    )


async def test_cancel_during_an_editor_terminal_kills_and_releases_it(tmp_path: Path) -> None:
    async with connect(tmp_path / "home", mode="yolo") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        turn = await _start_prompt(editor, session_id, "run sleep 30")
        await editor.wait_for(
            lambda: any(
                c["type"] == "terminal"
                for u in editor.session_updates(session_id, "tool_call_update")
                for c in u.get("content", [])
            )
        )
        await editor.endpoint.notify("session/cancel", {"sessionId": session_id})
        result = await asyncio.wait_for(turn, 5)
    assert result["stopReason"] == "cancelled"
    assert "terminal/kill" in editor.calls and editor.released and not editor.terminals


async def test_cancel_during_a_local_command_kills_its_process_group(tmp_path: Path) -> None:
    editor = Editor(terminal=False)
    marker = tmp_path / "child.pid"
    async with connect(tmp_path / "home", editor, mode="yolo") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        turn = await _start_prompt(editor, session_id, f"run sh -c 'echo $$ > {marker}; sleep 30'")
        for _ in range(500):
            if marker.exists() and marker.read_text().strip():
                break
            await asyncio.sleep(0.01)
        await editor.endpoint.notify("session/cancel", {"sessionId": session_id})
        result = await asyncio.wait_for(turn, 5)
    pid = int(marker.read_text())
    assert result["stopReason"] == "cancelled"
    assert (
        not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    )


async def test_close_cancels_the_running_turn(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        turn = await _start_prompt(editor, session_id, "say going\nwait 30")
        await editor.wait_for(lambda: "going" in editor.text(session_id))
        await editor.call("session/close", {"sessionId": session_id})
        result = await asyncio.wait_for(turn, 5)
    assert result["stopReason"] == "cancelled"


async def test_a_second_prompt_waits_for_the_running_turn(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        first = await _start_prompt(editor, session_id, "say one\nwait 0.2\nsay two")
        second = await _start_prompt(editor, session_id, "say three")
        await asyncio.wait_for(asyncio.gather(first, second), 10)
    assert editor.text(session_id) == "onetwothree"


@pytest.mark.parametrize(
    ("fs", "terminal"), [(True, False), (False, True), (True, True), (False, False)]
)
async def test_client_methods_are_called_only_when_advertised(
    tmp_path: Path, fs: bool, terminal: bool
) -> None:
    editor = Editor(fs=fs, terminal=terminal)
    async with connect(tmp_path / "home", editor, mode="yolo") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        result = await editor.prompt(
            session_id,
            "write f.txt content\nread f.txt\nedit f.txt content => changed\nrun cat f.txt",
        )
    assert result["stopReason"] == "end_turn"
    assert (tmp_path / "f.txt").read_text() == "changed"
    used_fs = any(c.startswith("fs/") for c in editor.calls)
    used_terminal = any(c.startswith("terminal/") for c in editor.calls)
    assert used_fs == fs and used_terminal == terminal
    statuses = [
        u["status"]
        for u in editor.session_updates(session_id, "tool_call_update")
        if u.get("status") in ("completed", "failed")
    ]
    assert statuses == ["completed"] * 4
