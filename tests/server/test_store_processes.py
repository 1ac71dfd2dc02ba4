"""The store shared by real `acp-server` processes: two taking turns in one
session, a session deleted from the CLI while an editor has it open, and a
damaged database."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from protocol import ErrorCode
from tests.server.test_stdio_process import Proc, spawn

ACP_SERVER = str(Path(sys.executable).with_name("acp-server"))


async def _prompt(
    proc: Proc, session: str, text: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The reply to a prompt and the updates sent before it."""
    request_id = await proc.send(
        "session/prompt", {"sessionId": session, "prompt": [{"type": "text", "text": text}]}
    )
    updates = []
    while True:
        frame = await proc.frame()
        if frame.get("id") == request_id and "method" not in frame:
            return frame, updates
        if frame.get("method") == "session/update":
            updates.append(frame["params"]["update"])


async def _load(proc: Proc, session: str, cwd: Path) -> list[dict[str, Any]]:
    request_id = await proc.send(
        "session/load", {"sessionId": session, "cwd": str(cwd), "mcpServers": []}
    )
    updates = []
    while True:
        frame = await proc.frame()
        if frame.get("id") == request_id and "method" not in frame:
            assert "result" in frame, frame
            return updates
        if frame.get("method") == "session/update":
            updates.append(frame["params"]["update"])


def _texts(updates: list[dict[str, Any]], kind: str) -> str:
    return "".join(
        u["content"].get("text", "")
        for u in updates
        if u.get("sessionUpdate") == kind and isinstance(u.get("content"), dict)
    )


def _history_texts(db: Path, session: str) -> list[str]:
    """The user prompts in the stored model history, in order."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT message FROM history WHERE session_id = ? ORDER BY idx", (session,)
        ).fetchall()
    texts = []
    for (raw,) in rows:
        message = json.loads(raw)
        if message.get("role") == "user":
            content = message["content"]
            texts.append(content if isinstance(content, str) else content[0]["text"])
    return texts


async def test_two_processes_taking_turns_in_one_session_lose_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    a = await (await spawn(home)).started()
    session = (await a.new_session(tmp_path))["sessionId"]
    reply, _ = await _prompt(a, session, "say turn-one")
    assert reply["result"]["stopReason"] == "end_turn"

    b = await (await spawn(home)).started()
    await _load(b, session, tmp_path)
    reply, _ = await _prompt(b, session, "say turn-two")
    assert reply["result"]["stopReason"] == "end_turn"

    reply, shown_to_a = await _prompt(a, session, "say turn-three")
    assert reply["result"]["stopReason"] == "end_turn"
    # A's editor is shown what B did before its own turn's answer.
    agent_text = _texts(shown_to_a, "agent_message_chunk")
    assert "turn-two" in agent_text and agent_text.index("turn-two") < agent_text.index(
        "turn-three"
    )
    for proc in (a, b):
        assert (await proc.finish())[2] == 0

    c = await (await spawn(home)).started()
    replayed = await _load(c, session, tmp_path)
    await c.finish()
    agent_text = _texts(replayed, "agent_message_chunk")
    positions = [agent_text.find(f"turn-{n}") for n in ("one", "two", "three")]
    assert -1 not in positions and positions == sorted(positions), agent_text
    assert _texts(replayed, "user_message_chunk") == "say turn-onesay turn-twosay turn-three"
    # The model history holds the same three turns, in the same order.
    assert _history_texts(home / "sessions.db", session) == [
        "say turn-one",
        "say turn-two",
        "say turn-three",
    ]


async def test_a_second_process_cannot_run_a_turn_while_the_first_runs_one(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    a = await (await spawn(home)).started()
    session = (await a.new_session(tmp_path))["sessionId"]
    await _prompt(a, session, "say ready")  # its end makes the session visible to others
    b = await (await spawn(home)).started()
    await _load(b, session, tmp_path)
    busy = await a.send(
        "session/prompt",
        {"sessionId": session, "prompt": [{"type": "text", "text": "say started\nwait 30"}]},
    )
    while (await a.frame()).get("method") != "session/update":
        pass  # A's turn is under way
    reply, _ = await _prompt(b, session, "say meanwhile")
    assert reply["error"]["code"] == ErrorCode.INVALID_REQUEST
    await a.send("session/cancel", {"sessionId": session}, notify=True)
    assert (await a.reply(busy))["result"]["stopReason"] == "cancelled"
    reply, shown_to_b = await _prompt(b, session, "say afterwards")  # free again
    assert reply["result"]["stopReason"] == "end_turn"
    agent_text = _texts(shown_to_b, "agent_message_chunk")
    assert "meanwhile" not in agent_text  # the refused prompt left nothing behind
    assert 0 <= agent_text.find("started") < agent_text.find("afterwards")  # A's turn, then B's
    for proc in (a, b):
        await proc.finish()


async def test_a_second_process_waits_for_a_turn_that_is_about_to_end(tmp_path: Path) -> None:
    # A turn saves its history and returns its claim just after its reply, so
    # a second process asking meanwhile waits for the claim (up to a second)
    # instead of being refused, and then continues from what the turn stored.
    home = tmp_path / "home"
    a = await (await spawn(home)).started()
    session = (await a.new_session(tmp_path))["sessionId"]
    await _prompt(a, session, "say ready")
    b = await (await spawn(home)).started()
    await _load(b, session, tmp_path)
    ending = await a.send(
        "session/prompt",
        {"sessionId": session, "prompt": [{"type": "text", "text": "say started\nwait 0.3"}]},
    )
    while (await a.frame()).get("method") != "session/update":
        pass  # A's turn is under way
    reply, shown_to_b = await _prompt(b, session, "recall")
    assert (await a.reply(ending))["result"]["stopReason"] == "end_turn"
    assert reply["result"]["stopReason"] == "end_turn", reply
    agent_text = _texts(shown_to_b, "agent_message_chunk")
    # A's turn shown to B first, then B's recall of both of A's prompts
    assert agent_text == "startedrecalled: say ready | say started", agent_text
    for proc in (a, b):
        assert (await proc.finish())[2] == 0
    assert _history_texts(home / "sessions.db", session) == [
        "say ready",
        "say started\nwait 0.3",
        "recall",
    ]


async def test_a_cancelled_turn_is_in_the_history_after_an_exit_right_after_its_reply(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    a = await (await spawn(home)).started()
    session = (await a.new_session(tmp_path))["sessionId"]
    turn = await a.send(
        "session/prompt",
        {"sessionId": session, "prompt": [{"type": "text", "text": "say started\nwait 30"}]},
    )
    while (await a.frame()).get("params", {}).get("update", {}).get(
        "sessionUpdate"
    ) != "agent_message_chunk":
        pass  # the model answers: the turn is under way
    await a.send("session/cancel", {"sessionId": session}, notify=True)
    assert (await a.reply(turn))["result"]["stopReason"] == "cancelled"
    assert (await a.finish())[2] == 0  # stdin closed at once after the reply
    assert _history_texts(home / "sessions.db", session) == ["say started\nwait 30"]


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home)}
    return subprocess.run(
        [ACP_SERVER, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _rows_for(db: Path, session: str) -> int:
    with sqlite3.connect(db) as connection:
        return sum(
            connection.execute(
                f"SELECT COUNT(*) FROM {table} WHERE session_id = ?", (session,)
            ).fetchone()[0]
            for table in ("updates", "usage", "history")
        )


async def test_a_session_deleted_from_the_cli_is_never_written_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    editor = await (await spawn(home)).started()
    session = (await editor.new_session(tmp_path))["sessionId"]
    reply, _ = await _prompt(editor, session, "say before")
    assert reply["result"]["stopReason"] == "end_turn"
    # A turn is running when the session is deleted from another terminal.
    running = await editor.send(
        "session/prompt",
        {"sessionId": session, "prompt": [{"type": "text", "text": "say during\nwait 0.5"}]},
    )
    while (await editor.frame()).get("method") != "session/update":
        pass
    deleted = await asyncio.to_thread(_cli, home, "sessions", "delete", session)
    assert deleted.returncode == 0, deleted.stderr
    assert "result" in await editor.reply(running)
    reply, _ = await _prompt(editor, session, "say after")
    assert reply["error"]["code"] == ErrorCode.RESOURCE_NOT_FOUND
    assert (await editor.finish())[2] == 0  # and its journal is ingested on exit
    assert _rows_for(home / "sessions.db", session) == 0
    assert session not in _cli(home, "sessions", "list", "--json").stdout


async def test_a_damaged_database_is_set_aside_and_the_agent_keeps_working(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "sessions.db").write_bytes(b"this is not an SQLite database\n" * 200)
    proc = await (await spawn(home)).started()
    session = (await proc.new_session(tmp_path))["sessionId"]  # once -32603, for good
    reply, updates = await _prompt(proc, session, "say hello")
    assert reply["result"]["stopReason"] == "end_turn"
    listed = await proc.call("session/list", {})
    assert [s["sessionId"] for s in listed["result"]["sessions"]] == [session]
    await proc.finish()
    kept = [p for p in home.iterdir() if p.name.startswith("sessions.db.damaged-")]
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"this is not an SQLite")
    # The user is told, in the session, which file was damaged and where it went.
    told = _texts(updates, "agent_message_chunk")
    assert str(home / "sessions.db") in told and str(kept[0]) in told
    doctor = _cli(home, "doctor", "--json")
    store_checks = [c for c in json.loads(doctor.stdout) if c["check"] == "database"]
    warned = [c for c in store_checks if c["status"] != "ok"]
    assert [c["status"] for c in warned] == ["warn"]
    assert str(kept[0]) in warned[0]["detail"] and warned[0]["fix"]
