"""`acp-server sessions checkpoints|rewind` and the doctor's row, through the
real console script in a new process (a rewind after a restart)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
from pathlib import Path

import msgspec
import pytest

from acp_server.store import SessionStore
from tests.checkpoints.support import new_session, run_turn
from tests.cli.test_commands import ACP_SERVER, run


async def _two_turns(home: Path, work: Path) -> tuple[Path, Path]:
    store = SessionStore.open(home / "sessions.db")
    new_session(store, "sess_cli")
    notes, made = work / "notes.md", work / "made.txt"
    notes.write_text("original\n")
    await run_turn(
        store, "first prompt\nsecond line", [(str(notes), "one\n")], session_id="sess_cli"
    )
    await run_turn(
        store, "second", [(str(notes), "two\n"), (str(made), "new")], session_id="sess_cli"
    )
    store.close()
    return notes, made


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir(mode=0o700)
    return path


async def test_checkpoints_lists_each_turn_with_its_files(home: Path, tmp_path: Path) -> None:
    notes, made = await _two_turns(home, tmp_path)
    done = run(home, "sessions", "checkpoints", "sess_c", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["turn"], r["prompt"]) for r in rows] == [(1, "first prompt"), (2, "second")]
    assert rows[1]["files"] == [str(notes), str(made)] and rows[0]["commandsRan"] is False
    human = run(home, "sessions", "checkpoints", "sess_cli")
    assert "turn 2" in human.stdout and "2 file(s) changed" in human.stdout


async def test_rewind_in_a_new_process_restores_files_and_shortens_the_session(
    home: Path, tmp_path: Path
) -> None:
    notes, made = await _two_turns(home, tmp_path)
    refused = run(home, "sessions", "rewind", "sess_cli", "2")  # no terminal, no --yes
    assert refused.returncode == 1 and notes.read_text() == "two\n"

    done = run(home, "sessions", "rewind", "sess_cli", "2", "--yes")
    assert done.returncode == 0, done.stderr
    assert notes.read_text() == "one\n" and not made.exists()
    store = SessionStore.open(home / "sessions.db")
    try:
        record = store.get("sess_cli")
        assert record is not None and len(record.messages) == 2
        texts = [msgspec.json.decode(u)["content"]["text"] for u in store.updates("sess_cli")]
        assert texts == ["first prompt\nsecond line", "ok"]
    finally:
        store.close()
    missing = run(home, "sessions", "rewind", "sess_cli", "2", "--yes")
    assert missing.returncode == 2  # turn 2 is gone now


async def test_a_conflict_is_kept_with_yes_and_overwritten_only_when_asked(
    home: Path, tmp_path: Path
) -> None:
    notes, _ = await _two_turns(home, tmp_path)
    notes.write_text("the user's edit\n")
    unasked = run(home, "sessions", "rewind", "sess_cli", "1")
    assert unasked.returncode == 1 and notes.read_text() == "the user's edit\n"
    assert "-the user's edit" in unasked.stdout and "+original" in unasked.stdout  # the diff

    kept = run(home, "sessions", "rewind", "sess_cli", "2", "--yes")
    assert kept.returncode == 0 and notes.read_text() == "the user's edit\n"

    overwritten = run(
        home, "sessions", "rewind", "sess_cli", "1", "--yes", "--conflicts", "restore"
    )
    assert overwritten.returncode == 0 and notes.read_text() == "original\n"


def _answer_on_a_terminal(home: Path, args: list[str], answer: bytes) -> tuple[int, str]:
    """Run with stdin on a pseudo-terminal and type `answer` once asked."""
    main, child_side = pty.openpty()
    env = {"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home), "HOME": str(home)}
    process = subprocess.Popen(
        [ACP_SERVER, *args], stdin=child_side, stdout=child_side, stderr=child_side, env=env
    )
    os.close(child_side)
    seen = b""
    try:
        while b"? " not in seen:
            ready, _, _ = select.select([main], [], [], 60)
            assert ready, f"never asked; saw {seen!r}"
            seen += os.read(main, 4096)
        os.write(main, answer)
        code = process.wait(timeout=60)
        while select.select([main], [], [], 0)[0]:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(main)
        if process.poll() is None:
            process.kill()
            process.wait()
    return code, seen.decode("utf-8", "replace")


async def test_at_a_terminal_the_user_chooses_skip_and_the_edit_is_kept(
    home: Path, tmp_path: Path
) -> None:
    notes, made = await _two_turns(home, tmp_path)
    notes.write_text("the user's edit\n")
    code, shown = _answer_on_a_terminal(home, ["sessions", "rewind", "sess_cli", "1"], b"s\n")
    assert code == 0, shown
    assert "[r]estore anyway, [s]kip those files, [c]ancel" in shown
    assert notes.read_text() == "the user's edit\n" and not made.exists()


async def test_doctor_reports_the_checkpoint_store_size(home: Path, tmp_path: Path) -> None:
    await _two_turns(home, tmp_path)
    rows = {r["check"]: r for r in json.loads(run(home, "doctor", "--json").stdout)}
    assert rows["checkpoints"]["status"] == "ok"
    assert rows["checkpoints"]["detail"].startswith("2 stored content(s)")
