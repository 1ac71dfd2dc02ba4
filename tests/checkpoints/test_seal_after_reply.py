"""A turn's checkpoint is sealed (its first message marked, so a rewind finds
it after a compaction) after the prompt's reply, not before it: the reply does
not wait for that fsynced write. The seal is never lost: the next turn, a
rewind and the session's close wait for it, so prompts sent back to back and a
shutdown right after the last reply leave every turn sealed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from acp_server.checkpoints import message_mark
from acp_server.store import SessionStore
from tests.server.harness import Editor, connect


async def test_turns_sent_back_to_back_and_a_shutdown_right_after_leave_every_turn_sealed(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with connect(home, Editor(fs=False), mode="yolo") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        replies = await asyncio.gather(
            *(editor.prompt(session, f"write note{i}.txt text {i}") for i in range(4))
        )
        assert [r["stopReason"] for r in replies] == ["end_turn"] * 4
        # The connection closes at once after the last reply.
    store = SessionStore.open(home / "sessions.db")
    try:
        rows = store.checkpoints.turns(session)
        messages = store.get(session).messages  # type: ignore[union-attr]
    finally:
        store.close()
    assert [row.turn for row in rows] == [1, 2, 3, 4]
    for row in rows:
        assert row.history_mark == message_mark(messages[row.history_start]), row
