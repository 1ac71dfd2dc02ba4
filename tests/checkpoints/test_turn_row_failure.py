"""A turn whose checkpoint row cannot be written (a full disk, a broken
database: here a trigger that fails every insert) changes no file: the write
that needed the row is refused with the reason, the turn goes on and ends
normally, and a turn that changed nothing is not failed for its missing row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.server.harness import Editor, connect


def _fail_turn_rows(home: Path) -> None:
    with sqlite3.connect(home / "sessions.db") as db:
        db.execute(
            "CREATE TRIGGER no_room BEFORE INSERT ON turns "
            "BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END"
        )


async def test_a_write_whose_turn_row_cannot_be_written_is_refused_and_the_turn_ends(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    (tmp_path / "notes.txt").write_text("before")
    async with connect(home, Editor(fs=False), mode="yolo") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        assert (await editor.prompt(session, "say ready"))["stopReason"] == "end_turn"
        _fail_turn_rows(home)
        reply = await editor.prompt(session, "write notes.txt after\nsay carried on")
        assert reply["stopReason"] == "end_turn"
        calls = editor.session_updates(session, "tool_call_update")
        failed = [c for c in calls if c.get("status") == "failed"]
        assert failed, calls
        result = str(failed[-1].get("content") or failed[-1].get("rawOutput"))
        assert "checkpoint" in result and "not changed" in result, result
        assert editor.text(session).endswith("carried on")
        assert (await editor.prompt(session, "say still here"))["stopReason"] == "end_turn"
    assert (tmp_path / "notes.txt").read_text() == "before"


async def test_a_turn_that_changed_nothing_ends_normally_without_its_row(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with connect(home, Editor(fs=False), mode="yolo") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        assert (await editor.prompt(session, "say ready"))["stopReason"] == "end_turn"
        _fail_turn_rows(home)
        assert (await editor.prompt(session, "say one"))["stopReason"] == "end_turn"
        assert (await editor.prompt(session, "say two"))["stopReason"] == "end_turn"
        assert editor.text(session).endswith("onetwo")
    with sqlite3.connect(home / "sessions.db") as db:
        turns = db.execute("SELECT turn, prompt FROM turns ORDER BY turn").fetchall()
    assert turns == [(1, "say ready")]
