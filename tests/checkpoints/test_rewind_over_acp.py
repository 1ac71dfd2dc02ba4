"""Checkpoints and rewind through the real protocol, in both file system modes:
the editor's `fs/*` (fs=True) and local disk (fs=False)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from protocol import ErrorCode, RpcError
from tests.server.harness import Editor, connect

FS_MODES = [pytest.param(True, id="editor-fs"), pytest.param(False, id="local-fs")]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _user_texts(editor: Editor, session: str) -> list[str]:
    return [u["content"]["text"] for u in editor.session_updates(session, "user_message_chunk")]


@pytest.mark.parametrize("fs", FS_MODES)
async def test_undo_puts_back_created_edited_and_overwritten_files_byte_for_byte(
    tmp_path: Path, fs: bool
) -> None:
    edited, over, made = tmp_path / "edited.txt", tmp_path / "over.bin", tmp_path / "made.txt"
    edited.write_bytes(b"keep\nchange me\r\n")
    edited.chmod(0o751)
    over.write_bytes(b"\xff\xfe not text \x00")
    async with connect(tmp_path / "home", Editor(fs=fs), mode="yolo") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        await editor.prompt(
            session,
            "edit edited.txt change me => changed\nwrite over.bin replaced\nwrite made.txt fresh",
        )
        assert made.read_text() == "fresh" and over.read_bytes() == b"replaced"
        writes_before = editor.calls.count("fs/write_text_file")
        result = await editor.prompt(session, "/undo")
        assert result["stopReason"] == "end_turn"
        if fs:  # the text file went back through the editor, so its buffer shows it
            assert editor.calls.count("fs/write_text_file") == writes_before + 1
    assert edited.read_bytes() == b"keep\nchange me\r\n" and _mode(edited) == 0o751
    assert over.read_bytes() == b"\xff\xfe not text \x00"
    assert not made.exists()


@pytest.mark.parametrize("fs", FS_MODES)
async def test_rewind_n_restores_files_and_the_next_prompt_sees_only_earlier_history(
    tmp_path: Path, fs: bool
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("zero")
    home = tmp_path / "home"
    async with connect(home, Editor(fs=fs), mode="yolo") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        for word in ("one", "two", "three"):
            await editor.prompt(session, f"write notes.txt {word}")
        listing = await editor.call("_acp_server/checkpoints", {"sessionId": session})
        assert [t["turn"] for t in listing["turns"]] == [1, 2, 3]
        assert listing["turns"][1]["files"] == [str(notes)]
        await editor.prompt(session, "/rewind 2")
        assert notes.read_text() == "one"
        editor.updates.clear()
        await editor.prompt(session, "recall")
        assert editor.text(session) == "recalled: write notes.txt one"
    async with connect(home, Editor(fs=fs)) as (
        editor,
        _,
    ):  # a later load shows the shorter session
        await editor.initialize()
        await editor.call(
            "session/load", {"sessionId": session, "cwd": str(tmp_path), "mcpServers": []}
        )
        assert _user_texts(editor, session) == ["write notes.txt one", "recall"]


@pytest.mark.parametrize("fs", FS_MODES)
async def test_a_file_the_user_changed_is_asked_about_with_a_diff_and_kept_on_skip(
    tmp_path: Path, fs: bool
) -> None:
    mine, theirs = tmp_path / "mine.txt", tmp_path / "theirs.txt"
    mine.write_text("mine before\n")
    theirs.write_text("theirs before\n")
    editor_side = Editor(fs=fs)
    async with connect(tmp_path / "home", editor_side, mode="yolo") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        await editor.prompt(session, "write mine.txt mine after\nwrite theirs.txt theirs after")
        theirs.write_text("the user's own edit\n")
        editor.permission = "skip"
        await editor.prompt(session, "/undo")
        [asked] = editor.permission_requests
    assert {o["optionId"] for o in asked["options"]} == {"restore", "skip", "cancel"}
    shown = str(asked["toolCall"]["content"])
    assert "-the user's own edit" in shown and "+theirs before" in shown
    assert theirs.read_text() == "the user's own edit\n"
    assert mine.read_text() == "mine before\n"


async def test_read_only_mode_refuses_to_rewind_files(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("before")
    async with connect(tmp_path / "home", Editor(), mode="yolo") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        await editor.prompt(session, "write a.txt after")
        await editor.call("session/set_mode", {"sessionId": session, "modeId": "read-only"})
        with pytest.raises(RpcError) as refused:
            await editor.call("_acp_server/rewind", {"sessionId": session, "turn": 1})
        await editor.prompt(session, "/undo")
        listing = await editor.call("_acp_server/checkpoints", {"sessionId": session})
    assert refused.value.code == ErrorCode.INVALID_REQUEST
    assert target.read_text() == "after" and len(listing["turns"]) == 1


async def test_the_extension_methods_are_advertised_and_report_conflicts_for_the_plugin(
    tmp_path: Path,
) -> None:
    target = tmp_path / "a.txt"
    target.write_text("before")
    async with connect(tmp_path / "home", Editor(), mode="yolo") as (editor, _):
        init = await editor.initialize()
        session = await editor.new_session(tmp_path)
        await editor.prompt(session, "write a.txt after")
        target.write_text("user")
        params: dict[str, Any] = {"sessionId": session, "turn": 1}
        reported = await editor.call("_acp_server/rewind", params)
        assert reported["applied"] is False and reported["undecided"] == [str(target)]
        assert target.read_text() == "user"
        done = await editor.call("_acp_server/rewind", {**params, "conflicts": "restore"})
        with pytest.raises(RpcError) as gone:
            await editor.call("_acp_server/rewind", params)
    methods = init["agentCapabilities"]["_meta"]["acp-server"]["methods"]
    assert {"_acp_server/rewind", "_acp_server/checkpoints"} <= set(methods)
    assert done["restored"] == [str(target)] and done["conflicts"] == [str(target)]
    assert target.read_text() == "before"
    assert gone.value.code == ErrorCode.INVALID_PARAMS


async def test_fork_n_starts_a_new_session_from_the_history_before_turn_n(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    home = tmp_path / "home"
    async with connect(home, Editor(), mode="yolo") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        await editor.prompt(session, "write notes.txt one")
        await editor.prompt(session, "write notes.txt two")
        editor.updates.clear()
        await editor.prompt(session, "/fork 2")
        found = re.search(r"sess_[0-9a-f]+", editor.text(session))
        assert found is not None
        forked = found.group()
        assert notes.read_text() == "two"  # a fork never touches files
        await editor.call(
            "session/load", {"sessionId": forked, "cwd": str(tmp_path), "mcpServers": []}
        )
        assert _user_texts(editor, forked) == ["write notes.txt one"]
        editor.updates.clear()
        await editor.prompt(forked, "recall")
        assert editor.text(forked) == "recalled: write notes.txt one"


async def test_the_listing_says_commands_ran_and_their_effects_are_not_captured(
    tmp_path: Path,
) -> None:
    async with connect(tmp_path / "home", Editor(), mode="yolo") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        await editor.prompt(session, "run echo hi > by-command.txt")
        listing = await editor.call("_acp_server/checkpoints", {"sessionId": session})
        editor.updates.clear()
        await editor.prompt(session, "/rewind")
        shown = editor.text(session)
    assert listing["turns"][0]["commandsRan"] is True and listing["turns"][0]["files"] == []
    assert "commands ran" in shown and os.path.exists(tmp_path / "by-command.txt")


async def test_session_fork_with_before_turn_starts_from_that_turn(tmp_path: Path) -> None:
    async with connect(tmp_path / "home", Editor(), mode="yolo") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        for word in ("one", "two", "three"):
            await editor.prompt(session, f"write notes.txt {word}")
        params: dict[str, Any] = {"sessionId": session, "cwd": str(tmp_path), "mcpServers": []}
        forked = await editor.call(
            "session/fork", {**params, "_meta": {"acp-server": {"beforeTurn": 3}}}
        )
        fork_id = forked["sessionId"]
        editor.updates.clear()
        await editor.prompt(fork_id, "recall")
        assert editor.text(fork_id) == "recalled: write notes.txt one | write notes.txt two"
        listing = await editor.call("_acp_server/checkpoints", {"sessionId": fork_id})
        with pytest.raises(RpcError) as bad:
            await editor.call(
                "session/fork", {**params, "_meta": {"acp-server": {"beforeTurn": 9}}}
            )
    assert [t["turn"] for t in listing["turns"]] == [1, 2, 3]  # the fork's own turn is 3
    assert listing["turns"][0]["checkpointsDropped"] is True  # files stay with the source
    assert bad.value.code == ErrorCode.INVALID_PARAMS
    assert (tmp_path / "notes.txt").read_text() == "three"
