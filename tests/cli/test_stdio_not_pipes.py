"""The bare `acp-server` when stdin/stdout are not the pipes an editor gives:
/dev/null, regular files, and a person's terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

ACP_SERVER = str(Path(sys.executable).with_name("acp-server"))


def env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(tmp_path / "home")}


def frame(id_: int, method: str, params: dict[str, object]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": id_, "method": method, "params": params})


def test_stdin_from_dev_null_exits_zero_promptly(tmp_path: Path) -> None:
    with open(os.devnull, "rb") as null:
        done = subprocess.run(
            [ACP_SERVER, "--model", "scripted"],
            stdin=null,
            capture_output=True,
            env=env(tmp_path),
            timeout=15,
            check=False,
        )
    assert done.returncode == 0 and done.stdout == b""
    assert b"Traceback" not in done.stderr


def test_regular_files_on_stdin_and_stdout_get_every_frame_answered(tmp_path: Path) -> None:
    frames = tmp_path / "frames.ndjson"
    frames.write_text(
        frame(1, "initialize", {"protocolVersion": 1})
        + "\n"
        + frame(2, "session/new", {"cwd": str(tmp_path), "mcpServers": []})
        + "\n"
        + frame(3, "bogus/method", {})
        + "\n"
    )
    replies = tmp_path / "replies.ndjson"
    with frames.open("rb") as stdin, replies.open("wb") as stdout:
        code = subprocess.run(
            [ACP_SERVER, "--model", "scripted"],
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            env=env(tmp_path),
            timeout=15,
            check=False,
        ).returncode
    answered = {m["id"] for m in map(json.loads, replies.read_text().splitlines()) if "id" in m}
    assert code == 0 and answered == {1, 2, 3}


def test_on_a_terminal_it_hints_on_stderr_and_keeps_serving(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [ACP_SERVER, "--model", "scripted"],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(tmp_path),
    )
    os.close(follower)
    try:
        os.write(leader, (frame(1, "initialize", {"protocolVersion": 1}) + "\n").encode())
        assert process.stdout is not None and process.stderr is not None
        reply = json.loads(process.stdout.readline())
        assert reply["id"] == 1 and "result" in reply
        os.write(leader, b"\x04")  # Ctrl-D: end of input on a terminal
        assert process.wait(timeout=15) == 0
        assert b"acp-client chat" in process.stderr.read()
    finally:
        process.kill()
        os.close(leader)


def test_help_and_version_go_to_stdout_and_help_agrees_with_dash_dash_help() -> None:
    def out(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ACP_SERVER, *args], capture_output=True, text=True, timeout=30, check=False
        )

    help_text = out("--help").stdout
    assert out("help").stdout == help_text == out("-h").stdout
    for command in ("run", "doctor", "sessions", "models", "config", "setup-provider", "setup"):
        assert f"acp-server {command}" in help_text
    assert out("--version").stdout.strip() == out("-V").stdout.strip() == "acp-server 0.1.0"
