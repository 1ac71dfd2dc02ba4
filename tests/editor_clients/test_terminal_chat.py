"""`acp-client chat` on a real pseudo-terminal against acp-server (scripted).

Each test types at the chat as a person would and reads the window and its
scrollback through a VT emulator, so "shown live", "printed once" and "exits
cleanly" are checked as they look, not as bytes a pipe would carry.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.editor_clients.terminal_session import TerminalSession

BIN = Path(sys.executable).parent
PROMPT = r"\n> "


@pytest.fixture
def start(tmp_path: Path) -> Iterator[object]:
    sessions: list[TerminalSession] = []

    def launch(
        *agent_flags: str, client_flags: tuple[str, ...] = (), rows: int = 30
    ) -> TerminalSession:
        argv = [
            str(BIN / "acp-client"),
            "chat",
            *client_flags,
            "--",
            str(BIN / "acp-server"),
            "--model",
            "scripted",
            *agent_flags,
        ]
        env = {"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(tmp_path / "home")}
        session = TerminalSession(argv, env=env, cwd=str(tmp_path), rows=rows)
        sessions.append(session)
        session.expect(PROMPT)
        return session

    yield launch
    for session in sessions:
        session.close()


def test_the_banner_names_agent_session_model_mode_cwd_and_both_helps(
    start, tmp_path: Path
) -> None:
    chat = start()
    shown = chat.plain()
    assert "acp-server 0.1.0" in shown and re.search(r"sess_[0-9a-f]{8}", shown)
    assert "scripted" in shown and "ask" in shown and str(tmp_path) in shown
    assert "/help" in shown and ":help" in shown


def test_command_output_shows_live_then_its_exit_status(start, tmp_path: Path) -> None:
    chat = start("--mode", "yolo")
    chat.send(
        "run sh -c 'echo live-one; while [ ! -e go ]; do sleep 0.05; done; echo live-two; exit 3'\r"
    )
    chat.expect("live-one")  # while the command still runs
    (tmp_path / "go").touch()
    end = chat.expect("live-two")
    chat.expect(r"exit status 3", after=end)
    chat.expect(r"\[end_turn\]")
    assert "terminal term_" not in chat.transcript()


def test_thoughts_are_dimmed_and_collapsed_unless_verbose(start) -> None:
    words = " ".join(f"w{i:02d}" for i in range(60))
    chat = start()
    chat.send(f"think {words}\rsay answered\r")
    chat.expect(r"\[end_turn\]")
    seen = chat.transcript()
    assert seen.count("w00") == 2 and seen.count("w59") == 1  # the typed line has each once
    assert re.search(rb"\x1b\[[0-9;]*\b2\b[0-9;]*m[^\x1b]*w00", bytes(chat.raw))
    verbose = start(client_flags=("--verbose",))
    verbose.send(f"think {words}\r")
    verbose.expect(r"\[end_turn\]")
    assert verbose.transcript().count("w59") == 2


def test_a_writes_diff_shows_once_with_its_path(start, tmp_path: Path) -> None:
    chat = start()
    chat.send("write notes.txt zeta-one\\nzeta-two\r")
    chat.expect("choose")
    chat.send("1\r")
    chat.expect(r"\[end_turn\]")
    seen = chat.transcript()
    assert (tmp_path / "notes.txt").read_text() == "zeta-one\nzeta-two"
    assert seen.count("+zeta-two") == 1
    assert "notes.txt" in seen.split("+zeta-two")[0].rsplit("choose", 1)[0]
    assert not [line for line in seen.splitlines() if line.strip() in ("---", "+++")]


def test_an_answer_taller_than_the_window_appears_once_in_the_scrollback(start) -> None:
    chat = start(rows=15)
    chat.send("stream 150 20\r")
    chat.expect(r"\[end_turn\]", timeout=30)
    seen = chat.transcript()
    counts = [seen.count(f"{index:07d}:") for index in range(150)]
    assert counts == [1] * 150


def test_tab_completes_slash_commands_client_commands_and_paths(start, tmp_path: Path) -> None:
    (tmp_path / "zebra_notes.md").write_text("z")
    chat = start()
    chat.send("say ready\r")
    end = chat.expect(r"\[end_turn\]\s*> ")  # available_commands_update has arrived
    chat.send("/co\t\t")  # ambiguous: the second Tab lists the choices
    end = chat.expect("/compact +/context", after=end)
    chat.send("\x15/comp\t")
    end = chat.expect("/compact", after=end)
    chat.send("\x15:mo\t")
    end = chat.expect(":mode", after=end)
    chat.send("\x15@zeb\t")
    end = chat.expect("@zebra_notes.md", after=end)
    chat.send("\x15/\t\t")
    chat.expect("/help", after=end)
    assert "//" not in chat.plain()[end:]


def test_ctrl_c_twice_at_the_prompt_exits_cleanly(start) -> None:
    chat = start()
    chat.send("\x03")
    chat.expect("Ctrl-C again")
    chat.send("\x03")
    assert chat.wait() == 0
    assert "Traceback" not in chat.plain()


def test_ctrl_d_exits(start) -> None:
    chat = start()
    chat.send("\x04")
    assert chat.wait() == 0
    assert "Traceback" not in chat.plain()


def test_a_typo_at_the_permission_prompt_asks_again(start, tmp_path: Path) -> None:
    chat = start()
    chat.send("write typo.txt kept\r")
    end = chat.expect("choose")
    chat.send("9\r")
    chat.expect("choose", after=end)
    chat.send("1\r")
    chat.expect(r"\[end_turn\]")
    assert (tmp_path / "typo.txt").read_text() == "kept"


def test_client_commands_are_answered_locally(start) -> None:
    chat = start()
    chat.send(":help\r")
    end = chat.expect(":quit")
    chat.send(":mode\r")
    end = chat.expect("accept-edits", after=end)
    chat.send(":mode bogus\r")
    end = chat.expect("read-only", after=end)
    chat.send(":mode read-only\r")
    end = chat.expect("mode set to read-only", after=end)
    assert "[end_turn]" not in chat.plain()  # nothing reached the model


def test_a_trailing_backslash_continues_the_message(start) -> None:
    chat = start()
    chat.send("say first-part \\\r")
    chat.expect(r"\.\.\. ")
    chat.send("say second-part\r")
    chat.expect(r"\[end_turn\]")
    assert "first-partsecond-part" in chat.transcript()  # one message of two lines


def test_a_spinner_shows_elapsed_time_while_the_agent_is_silent(start) -> None:
    chat = start()
    chat.send("wait 1.5\rsay awake\r")
    chat.expect(r"\d+\.\ds")
    chat.expect(r"\[end_turn\]")


DYING_AGENT = """
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    method = message.get("method")
    if method == "initialize":
        result = {"protocolVersion": 1, "agentCapabilities": {}, "authMethods": []}
    elif method == "session/new":
        result = {"sessionId": "sess_dying"}
    elif method == "session/prompt":
        sys.stderr.write("fatal: the model backend vanished\\n")
        sys.exit(3)
    else:
        continue
    print(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}), flush=True)
"""


def test_an_agent_that_exits_mid_chat_is_reported_with_status_and_stderr(tmp_path: Path) -> None:
    argv = [str(BIN / "acp-client"), "chat", "--", sys.executable, "-c", DYING_AGENT]
    chat = TerminalSession(argv, env={"PATH": os.environ["PATH"]}, cwd=str(tmp_path))
    try:
        chat.expect(PROMPT)
        chat.send("hello\r")
        chat.expect("agent exited with status 3")
        chat.expect("the model backend vanished")
        assert chat.wait() == 1
    finally:
        chat.close()
    assert "Traceback" not in chat.plain()
