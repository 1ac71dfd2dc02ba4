"""`acp-client exec` in text mode: what a script's log shows of a turn."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

BIN = Path(sys.executable).parent


def agent(home: Path, *extra: str) -> list[str]:
    return [
        "env",
        f"ACP_SERVER_HOME={home}",
        str(BIN / "acp-server"),
        "--model",
        "scripted",
        *extra,
    ]


def exec_(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "acp-client"), "exec", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": os.environ["PATH"]},
        timeout=60,
        check=False,
    )


def test_exec_shows_command_output_live_and_the_exit_status(tmp_path: Path) -> None:
    script = "echo live-one; while [ ! -e go ]; do sleep 0.05; done; echo live-two; exit 3"
    process = subprocess.Popen(
        [
            str(BIN / "acp-client"),
            "exec",
            "--approve-all",
            f"run sh -c '{script}'",
            "--",
            *agent(tmp_path / "home"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    seen = ""
    while "live-one" not in seen:  # printed while the command still waits
        seen += lines.get(timeout=20)
    (tmp_path / "go").touch()
    assert process.wait(timeout=30) == 0
    while not lines.empty():
        seen += lines.get()
    assert "live-two" in seen and "exit status 3" in seen


def test_exec_prints_why_a_call_was_denied(tmp_path: Path) -> None:
    done = exec_(tmp_path, "--deny-all", "write d.txt x", "--", *agent(tmp_path / "home"))
    failed = [line for line in done.stdout.splitlines() if line.startswith("✗")]
    assert failed and len(failed[0]) > len("✗ ")


def test_exec_reports_the_agents_exit_status_and_stderr_tail(tmp_path: Path) -> None:
    crash = [sys.executable, "-c", "import sys; sys.stderr.write('boom-detail\\n'); sys.exit(7)"]
    done = exec_(tmp_path, "hi", "--", *crash)
    assert done.returncode != 0
    assert "agent exited with status 7" in done.stderr and "boom-detail" in done.stderr


def test_exec_says_when_the_timeout_fired(tmp_path: Path) -> None:
    done = exec_(tmp_path, "--timeout", "0.5", "wait 20", "--", *agent(tmp_path / "home"))
    assert done.returncode != 0 and "--timeout 0.5s" in done.stderr


def test_chat_and_exec_help_show_the_agent_command_form(tmp_path: Path) -> None:
    for command in ("chat", "exec"):
        done = subprocess.run(
            [str(BIN / "acp-client"), command, "--help"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0 and "-- AGENT_CMD..." in done.stdout
        assert "examples:" in done.stdout
