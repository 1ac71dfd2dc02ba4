"""Every command of every console script meets a closed pipe (`| head` that
has gone) and Ctrl-C (in a pseudo-terminal, where it is SIGINT to the whole
foreground group, agents included) as expected ends: no traceback, no
"Exception ignored" noise.

PIPED lists every command path of the help tree (test_help walks the same
tree), with the arguments it needs; a test checks that none is missing.
INTERRUPTED lists every command that can wait on something (a prompt, a
tool, a server, an agent) with what to wait for before pressing Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_help import COMMANDS
from tests.editor_clients.terminal_session import TerminalSession

BIN = Path(sys.executable).parent
SERVER = str(BIN / "acp-server")
SCRIPTED = [SERVER, "--model", "scripted"]

PIPED: list[list[str]] = [
    ["acp-server", "--help"],
    ["acp-server", "--version"],
    ["acp-server", "help"],
    ["acp-server", "run", "--model", "scripted", "say hello"],
    ["acp-server", "run", "--model", "scripted", "--json", "say hello"],
    ["acp-server", "doctor"],
    ["acp-server", "doctor", "--json"],
    ["acp-server", "sessions", "list"],
    ["acp-server", "sessions", "list", "--json"],
    ["acp-server", "sessions", "show", "{session}"],
    ["acp-server", "sessions", "export", "{session}"],
    ["acp-server", "sessions", "export", "{session}", "--format", "json"],
    ["acp-server", "sessions", "checkpoints", "{session}"],
    ["acp-server", "sessions", "rewind", "{session}", "1", "--yes"],
    ["acp-server", "sessions", "delete", "{session}"],
    ["acp-server", "sessions", "prune", "--older-than", "0.0000001", "--dry-run"],
    ["acp-server", "sessions", "prune", "--older-than", "0.0000001", "--yes"],
    ["acp-server", "models"],
    ["acp-server", "models", "--json"],
    ["acp-server", "models", "set", "scripted"],
    ["acp-server", "config", "show"],
    ["acp-server", "config", "path"],
    ["acp-server", "config", "set", "agent.max_turns", "40"],
    ["acp-server", "setup-provider", "--provider", "ollama", "--model", "ollama:q", "--no-check"],
    *(["acp-server", "setup", e] for e in ("zed", "neovim", "emacs", "jetbrains", "vscode")),
    ["acp-server", "features"],
    ["acp-client", "--help"],
    ["acp-client", "exec", "say hello", "--", *SCRIPTED],
    ["acp-client", "exec", "--format", "json", "say hello", "--", *SCRIPTED],
    ["acp-client", "chat", "--", *SCRIPTED],
    ["acp-client", "trace", "show", "{trace}"],
    ["acp-client", "trace", "--out", "{home}/t.ndjson", "--", *SCRIPTED],
    ["acp-conformance", "--list"],
    ["acp-conformance", "--help"],
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A profile with one stored session and a recorded trace, copied per test."""
    root = tmp_path_factory.mktemp("seeded")
    home = root / "home"
    env = {"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home)}
    subprocess.run(
        [SERVER, "run", "--model", "scripted", "say a stored line"],
        cwd=root,
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    listed = subprocess.run(
        [SERVER, "sessions", "list", "--json"], env=env, capture_output=True, timeout=60, check=True
    )
    import json

    session = json.loads(listed.stdout)[0]["id"]
    (home / "trace.ndjson").write_text(
        '{"ts": 0.1, "direction": "client->agent", "message": {"id": 0, "method": "initialize"}}\n'
        '{"ts": 0.2, "stderr": "agent says hi"}\n'
    )
    return home, session


def _fill(argv: list[str], home: Path, session: str) -> list[str]:
    values = {"{session}": session, "{trace}": str(home / "trace.ndjson"), "{home}": str(home)}
    return [values.get(a, a).replace("{home}", str(home)) for a in argv]


def test_the_piped_walk_covers_every_command_of_the_help_tree() -> None:
    walked = {" ".join(a for a in argv if not a.startswith(("-", "{"))) for argv in PIPED}
    missing = [c for c in COMMANDS if not any(w.startswith(c) for w in walked)]
    assert missing == []


@pytest.mark.parametrize("argv", PIPED, ids=" ".join)
def test_a_closed_stdout_pipe_ends_every_command_without_a_traceback(
    tmp_path: Path, seeded: tuple[Path, str], argv: list[str]
) -> None:
    home = tmp_path / "home"
    shutil.copytree(seeded[0], home)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte: every write fails
    try:
        done = subprocess.run(
            [str(BIN / argv[0]), *_fill(argv[1:], home, seeded[1])],
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=tmp_path,
            env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home)},
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


# ------------------------------------------------------------------ Ctrl-C


@contextlib.contextmanager
def _silent_server() -> Iterator[socket.socket]:
    """A port that accepts connections and never answers: a provider that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(30)
        yield listener


HANGING = "providers:\n  stuck:\n    base_url: http://127.0.0.1:{port}/v1\n"
MCP_HANGS = "mcp_servers:\n  stuck:\n    command: sleep\n    args: ['30']\n"

# (argv, config.yaml, wait for: a regex on the screen, "connect" (the process
# reached the silent server) or "marker" (the agent has started))
INTERRUPTED: list[tuple[list[str], str, str]] = [
    (["acp-server"], "", "Ctrl-C ends it"),
    (["acp-server", "run", "--model", "scripted", "--yes", "run sleep 30"], "", "sleep 30"),
    (["acp-server", "run", "--model", "stuck:m", "say hi"], HANGING, "connect"),
    (["acp-server", "doctor", "--online"], "model: stuck:m\n" + HANGING, "connect"),
    (["acp-server", "doctor"], MCP_HANGS, "starting the configured MCP"),
    (["acp-server", "models"], HANGING, "connect"),
    (["acp-server", "sessions", "prune", "--older-than", "0.0000001"], "", r"\[y/N\]"),
    (["acp-server", "setup-provider"], "", "Provider number: "),
    (["acp-client", "chat", "--", *SCRIPTED], "", "> "),
    (["acp-client", "exec", "--approve-all", "run sleep 30", "--", *SCRIPTED], "", "sleep 30"),
    (["acp-client", "trace", "--out", "{home}/t.ndjson", "--", "{agent}"], "", "marker"),
    (["acp-conformance", "--", "{agent}"], "", "marker"),
]


def _wait_for_marker(marker: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():  # a bounded wait on the agent's own signal of life
        assert time.monotonic() < deadline, "the agent never started"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("argv", "config", "wait"), INTERRUPTED, ids=[" ".join(c[0][:3]) for c in INTERRUPTED]
)
def test_ctrl_c_ends_every_waiting_command_without_a_traceback(
    tmp_path: Path, seeded: tuple[Path, str], argv: list[str], config: str, wait: str
) -> None:
    home = tmp_path / "home"
    shutil.copytree(seeded[0], home)
    marker = tmp_path / "agent-started"
    agent = tmp_path / "agent.sh"
    agent.write_text(f"#!/bin/sh\ntouch {marker}\nexec {' '.join(SCRIPTED)}\n")
    agent.chmod(0o755)
    with _silent_server() as silent:
        (home / "config.yaml").write_text(config.format(port=silent.getsockname()[1]))
        values = {"{home}/t.ndjson": str(home / "t.ndjson"), "{agent}": str(agent)}
        session = TerminalSession(
            [str(BIN / argv[0]), *(values.get(a, a) for a in argv[1:])],
            env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home)},
            cwd=str(tmp_path),
        )
        try:
            if wait == "connect":
                silent.accept()[0].close()
            elif wait == "marker":
                _wait_for_marker(marker)
            else:
                session.expect(wait, timeout=30)
            code = None
            for _attempt in range(10):  # a Ctrl-C that lands before a read is seen late
                session.send("\x03")
                try:
                    code = session.wait(timeout=3)
                    break
                except AssertionError:
                    continue
            shown = session.plain()
            assert code is not None, shown  # chat's second Ctrl-C is a clean exit, 0
            assert "Traceback" not in shown and "Exception ignored" not in shown, shown
        finally:
            session.close()
