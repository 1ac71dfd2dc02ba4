"""`acp-server run` as scripts and CI use it, through the console script."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_commands import run


def test_run_json_has_a_stable_schema_first_and_last_events(tmp_path: Path) -> None:
    done = run(
        tmp_path / "home", "run", "--model", "scripted", "--json", "--cwd", str(tmp_path), "say hi"
    )
    events = [json.loads(line) for line in done.stdout.splitlines()]
    first, last = events[0], events[-1]
    assert first["type"] == "session_started" and first["schema"] == 1
    assert first["session_id"].startswith("sess_") and first["model"] == "scripted"
    assert first["mode"] == "ask" and first["cwd"] == str(tmp_path)
    assert last["type"] == "turn_finished" and last["stop_reason"] == "end_turn"
    assert last["usage"]["input_tokens"] > 0 and "cost_usd" in last
    assert {e["type"] for e in events[1:-1]} <= {"text", "usage", "thought"}


def test_run_text_mode_ends_with_a_one_line_summary_on_stderr(tmp_path: Path) -> None:
    done = run(tmp_path / "home", "run", "--model", "scripted", "--cwd", str(tmp_path), "say hi")
    last = done.stderr.strip().splitlines()[-1]
    assert "[end_turn]" in last and "tokens" in last and "$" in last and "sess_" in last


def test_run_without_yes_refuses_with_how_to_allow_and_a_distinct_exit_code(tmp_path: Path) -> None:
    done = run(
        tmp_path / "home", "run", "--model", "scripted", "--cwd", str(tmp_path), "write x.txt y"
    )
    assert done.returncode == 6 and not (tmp_path / "x.txt").exists()
    assert "pass --yes or --mode accept-edits" in done.stdout
    assert "declined" not in done.stdout


def test_run_dash_reads_the_prompt_from_stdin(tmp_path: Path) -> None:
    done = run(
        tmp_path / "home",
        "run",
        "--model",
        "scripted",
        "--cwd",
        str(tmp_path),
        "-",
        stdin="say from-stdin\n",
    )
    assert done.returncode == 0 and "from-stdin" in done.stdout


def test_run_continue_resumes_the_latest_session_of_this_directory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run(home, "run", "--model", "scripted", "--json", "say first", cwd=tmp_path)
    again = run(
        home, "run", "--model", "scripted", "--json", "--continue", "say second", cwd=tmp_path
    )
    first_ids = json.loads(again.stdout.splitlines()[0])
    assert again.returncode == 0 and first_ids["resumed"] is True
    listed = json.loads(run(home, "sessions", "list", "--json").stdout)
    assert [s["id"] for s in listed] == [first_ids["session_id"]]


def test_run_session_keeps_its_stored_cwd_and_takes_an_id_prefix(tmp_path: Path) -> None:
    home = tmp_path / "home"
    project = tmp_path / "project"
    project.mkdir()
    run(home, "run", "--model", "scripted", "say first", cwd=project)
    session_id = json.loads(run(home, "sessions", "list", "--json").stdout)[0]["id"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = run(
        home,
        "run",
        "--model",
        "scripted",
        "--yes",
        "--session",
        session_id[:12],
        "write here.txt z",
        cwd=elsewhere,
    )
    assert done.returncode == 0, done.stderr
    assert (project / "here.txt").exists() and not (elsewhere / "here.txt").exists()


def test_run_on_a_terminal_asks_at_the_keyboard(tmp_path: Path) -> None:
    import os

    from tests.cli.test_commands import ACP_SERVER
    from tests.editor_clients.terminal_session import TerminalSession

    terminal = TerminalSession(
        [ACP_SERVER, "run", "--model", "scripted", "write asked.txt yes"],
        env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(tmp_path / "home")},
        cwd=str(tmp_path),
    )
    try:
        terminal.expect(r"allow\?")
        terminal.send("maybe\r")  # not an answer: asked again
        terminal.expect(r"type y, a or n")
        terminal.send("y\r")
        assert terminal.wait() == 0
    finally:
        terminal.close()
    assert (tmp_path / "asked.txt").read_text() == "yes"
