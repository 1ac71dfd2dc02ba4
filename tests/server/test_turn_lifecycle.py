"""A turn always ends: a cancel at any moment answers its prompt `cancelled`.

The cancel in these tests is written in the same write as its prompt, the
case where the engine's turn task is cancelled before its first step.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tests.server.harness import Editor, connect
from tests.server.test_stdio_process import spawn


async def _prompt_and_cancel_in_one_write(
    editor: Editor, session_id: str, text: str
) -> asyncio.Task[Any]:
    """Queue the prompt, then the cancel, before the editor's writer runs:
    both frames reach the agent in one read."""
    turn = asyncio.create_task(editor.prompt(session_id, text, timeout=5))
    await asyncio.sleep(0)  # one loop turn: the prompt task queues its frame
    await editor.endpoint.notify("session/cancel", {"sessionId": session_id})
    return turn


async def test_a_cancel_in_the_same_write_as_its_prompt_answers_it_cancelled(
    tmp_path: Path,
) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        await editor.prompt(session_id, "say warm")  # the engine exists: the racy path
        turn = await _prompt_and_cancel_in_one_write(editor, session_id, "say never\nwait 5")
        result = await asyncio.wait_for(turn, 5)
        again = await editor.prompt(session_id, "say still here", timeout=5)
        closed = await editor.call("session/close", {"sessionId": session_id}, timeout=5)
    assert result["stopReason"] == "cancelled"
    assert again["stopReason"] == "end_turn" and closed == {}
    assert "never" not in editor.text(session_id)


async def test_session_close_answers_after_a_cancel_that_raced_its_prompt(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        await editor.prompt(session_id, "say warm")
        turn = await _prompt_and_cancel_in_one_write(editor, session_id, "say never")
        closed = await editor.call("session/close", {"sessionId": session_id}, timeout=5)
        result = await asyncio.wait_for(turn, 5)
    assert closed == {} and result["stopReason"] == "cancelled"


async def test_the_real_process_answers_cancelled_to_a_prompt_and_cancel_in_one_write(
    tmp_path: Path,
) -> None:
    proc = await spawn(tmp_path / "home")
    try:
        await proc.started()
        session_id = (await proc.new_session(tmp_path))["sessionId"]
        warm = await proc.call("session/prompt", _prompt_params(session_id, "say warm"))
        assert warm["result"]["stopReason"] == "end_turn"
        prompt = {
            "jsonrpc": "2.0",
            "id": 100,
            "method": "session/prompt",
            "params": _prompt_params(session_id, "say never\nwait 5"),
        }
        cancel = {"jsonrpc": "2.0", "method": "session/cancel", "params": {"sessionId": session_id}}
        assert proc.process.stdin
        proc.process.stdin.write(
            json.dumps(prompt).encode() + b"\n" + json.dumps(cancel).encode() + b"\n"
        )
        await proc.process.stdin.drain()
        answered = await proc.reply(100, timeout=5)
        closed = await proc.call("session/close", {"sessionId": session_id})
        _, _, code = await proc.finish()
        assert answered["result"]["stopReason"] == "cancelled"
        assert closed["result"] == {} and code == 0
    finally:
        if proc.process.returncode is None:
            proc.process.kill()
            await proc.process.wait()


def _prompt_params(session_id: str, text: str) -> dict[str, Any]:
    return {"sessionId": session_id, "prompt": [{"type": "text", "text": text}]}
