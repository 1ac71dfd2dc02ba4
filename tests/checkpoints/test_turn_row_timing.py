"""When a turn's checkpoint row is written: at the turn's first effect (a
file write, a command), or with its seal after the reply for a turn that
changed nothing; never before the model request, which it used to delay by
an fsync. A turn that has an effect has its row before that effect, so a
crash in the middle still leaves a turn to rewind to."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from acp_server.checkpoints import message_mark
from acp_server.store import SessionStore
from tests.server.harness import Editor, connect


def _rows(home: Path, session: str) -> list[tuple[int, str, int, str | None]]:
    # A second connection, as another process would read the table.
    with sqlite3.connect(home / "sessions.db") as db:
        return db.execute(
            "SELECT turn, prompt, commands, history_mark FROM turns WHERE session_id = ? "
            "ORDER BY turn",
            (session,),
        ).fetchall()


async def test_a_turn_that_changed_nothing_has_no_row_while_the_model_answers(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with connect(home, Editor(fs=False), mode="yolo") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        turn = asyncio.ensure_future(editor.prompt(session, "say thinking\nwait 30"))
        await editor.wait_for(lambda: "thinking" in editor.text(session))
        assert _rows(home, session) == []  # the model answers; nothing to make durable yet
        await editor.endpoint.notify("session/cancel", {"sessionId": session})
        assert (await turn)["stopReason"] == "cancelled"
        reply = await editor.prompt(session, "say done")
        assert reply["stopReason"] == "end_turn"
    rows = _rows(home, session)
    assert [(r[0], r[1]) for r in rows] == [(1, "say thinking\nwait 30"), (2, "say done")]
    store = SessionStore.open(home / "sessions.db")
    try:
        turns = store.checkpoints.turns(session)
        messages = store.get(session).messages  # type: ignore[union-attr]
    finally:
        store.close()
    for row in turns:  # written with its seal: the mark of the turn's first message
        assert row.history_mark == message_mark(messages[row.history_start]), row


async def test_a_command_writes_the_turns_row_before_it_runs(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with connect(home, Editor(fs=False), mode="yolo") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        turn = asyncio.ensure_future(editor.prompt(session, "run echo hi\nsay ran\nwait 30"))
        await editor.wait_for(lambda: "ran" in editor.text(session), timeout=20)
        [(number, prompt, commands, mark)] = _rows(home, session)
        assert (number, commands, mark) == (1, 1, None)  # open, its effect noted, unsealed
        assert prompt.startswith("run echo hi")
        await editor.endpoint.notify("session/cancel", {"sessionId": session})
        assert (await turn)["stopReason"] == "cancelled"


async def test_a_file_write_writes_the_turns_row_and_the_files_checkpoint_first(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    (tmp_path / "notes.txt").write_text("before")
    async with connect(home, Editor(fs=False), mode="yolo") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        turn = asyncio.ensure_future(
            editor.prompt(session, "write notes.txt after\nsay written\nwait 30")
        )
        await editor.wait_for(lambda: "written" in editor.text(session), timeout=20)
        assert (tmp_path / "notes.txt").read_text() == "after"
        assert [r[0] for r in _rows(home, session)] == [1]
        with sqlite3.connect(home / "sessions.db") as db:
            [(path,)] = db.execute(
                "SELECT path FROM checkpoints WHERE session_id = ? AND turn = 1", (session,)
            ).fetchall()
        assert path == bytes(tmp_path / "notes.txt")
        await editor.endpoint.notify("session/cancel", {"sessionId": session})
        assert (await turn)["stopReason"] == "cancelled"
        reply = await editor.prompt(session, "/undo")
        assert reply["stopReason"] == "end_turn"
    assert (tmp_path / "notes.txt").read_text() == "before"
