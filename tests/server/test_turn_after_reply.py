"""What a turn leaves for after its reply never shows.

A prompt's reply goes out before the journal is moved into SQLite (the ingest
thread, which held the GIL while the reply waited), so that a cancel costs one
reply. A prompt sent the moment the previous one is answered, a close, or a
new process loading the session must still find every turn: the history
continues, nothing is lost.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.server.harness import connect


async def test_a_prompt_sent_the_moment_a_cancelled_one_is_answered_continues_its_history(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with connect(home) as (editor, server):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        waiting = asyncio.create_task(editor.prompt(session, "say first\nwait 30"))
        await editor.wait_for(lambda: "first" in editor.text(session))
        await editor.endpoint.notify("session/cancel", {"sessionId": session})
        cancelled = await asyncio.wait_for(waiting, 10)
        again = await editor.prompt(session, "say second")
        closed = await editor.call("session/close", {"sessionId": session})
        stored = server.store.get(session)
    assert cancelled["stopReason"] == "cancelled" and again["stopReason"] == "end_turn"
    assert closed == {}
    assert stored is not None
    users = [json.dumps(m) for m in stored.messages if m["role"] == "user"]
    assert len(users) == 2 and "say first" in users[0] and "say second" in users[1]
    assert editor.text(session).endswith("second")


async def test_every_turn_of_a_quick_succession_is_stored_once_the_connection_ends(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with connect(home) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        for n in range(20):
            await editor.prompt(session, f"say turn {n}")
    async with connect(home) as (reader, _):
        await reader.initialize()
        await reader.call(
            "session/load", {"sessionId": session, "cwd": str(tmp_path), "mcpServers": []}
        )
    assert all(f"turn {n}" in reader.text(session) for n in range(20))
