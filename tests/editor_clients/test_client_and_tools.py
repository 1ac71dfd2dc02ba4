"""The client library and acp-client, end to end against real agents:
acp-server (scripted), the official SDK's echo agent, and broken fixtures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from editor_clients.client import ClientCapabilities, ClientConnection
from editor_clients.trace import TraceChecker

BIN = Path(sys.executable).parent
AGENTS = Path(__file__).parent / "agents"


def acp_server(home: Path, *extra: str) -> list[str]:
    return [
        "env",
        f"ACP_SERVER_HOME={home}",
        str(BIN / "acp-server"),
        "--model",
        "scripted",
        *extra,
    ]


def sdk_agent() -> list[str]:
    return [sys.executable, str(AGENTS / "sdk_echo_agent.py")]


def broken(defect: str) -> list[str]:
    return [sys.executable, str(AGENTS / "misbehaving_agent.py"), defect]


@pytest.mark.parametrize(("fs", "terminal"), [(True, False), (False, True), (True, True)])
async def test_the_client_serves_only_what_it_advertised(
    tmp_path: Path, fs: bool, terminal: bool
) -> None:
    caps = ClientCapabilities(fs_read=fs, fs_write=fs, terminal=terminal)
    client = await ClientConnection.spawn(
        acp_server(tmp_path / "home", "--mode", "yolo"), cwd=str(tmp_path), capabilities=caps
    )
    try:
        await client.initialize()
        session = (await client.new_session())["sessionId"]
        result = await client.prompt(
            session, "plan one; two\nwrite n.txt hi\nrun cat n.txt\nsay done"
        )
        view = client.sessions[session]
    finally:
        await client.close()
    assert result["stopReason"] == "end_turn" and view.message == "done"
    assert [e["content"] for e in view.plan] == ["one", "two"]
    assert not view.unfinished_tool_calls() and client.unadvertised_calls == []
    assert bool(client.files.writes) == fs and bool(client.terminals.created) == terminal
    assert client.terminals.released == client.terminals.created
    assert {c["id"] for c in view.config_options} == {"model", "mode", "thought_level"}
    assert any(c["name"] == "help" for c in view.commands)


async def test_client_writes_are_confined_to_the_cwd(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    client = await ClientConnection.spawn(
        acp_server(tmp_path / "home", "--mode", "yolo"), cwd=str(tmp_path / "project")
    )
    try:
        await client.initialize()
        session = (await client.new_session())["sessionId"]
        await client.prompt(session, f"write {tmp_path}/escape.txt nope")
        view = client.sessions[session]
    finally:
        await client.close()
    assert not (tmp_path / "escape.txt").exists()
    assert [c.status for c in view.tool_calls.values()] == ["failed"]


async def test_the_client_talks_to_the_official_sdk_echo_agent(tmp_path: Path) -> None:
    client = await ClientConnection.spawn(sdk_agent(), cwd=str(tmp_path))
    try:
        info = await client.initialize()
        session = (await client.new_session())["sessionId"]
        result = await client.prompt(session, "ping from acp-client")
        view = client.sessions[session]
    finally:
        await client.close()
    assert info["protocolVersion"] == 1 and result["stopReason"] == "end_turn"
    assert view.message == "ping from acp-client"


def run_cli(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"]}
    return subprocess.run(
        [str(BIN / "acp-client"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        env=env,
        timeout=60,
        check=False,
    )


def test_exec_json_prints_every_frame_in_both_directions(tmp_path: Path) -> None:
    done = run_cli(
        "exec", "--format", "json", "say hi", "--", *acp_server(tmp_path / "home"), cwd=tmp_path
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0
    assert {line["direction"] for line in lines} == {"client->agent", "agent->client"}
    assert all(isinstance(line["ts"], float) and "jsonrpc" in line["message"] for line in lines)
    assert lines[-1]["message"]["result"]["stopReason"] == "end_turn"


def test_exec_against_the_sdk_agent_in_text_mode(tmp_path: Path) -> None:
    done = run_cli("exec", "hello sdk", "--", *sdk_agent(), cwd=tmp_path)
    assert done.returncode == 0 and "hello sdk" in done.stdout


def test_exec_exit_code_reflects_an_agent_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run_cli(
        "exec",
        "say hi",
        "--",
        "env",
        f"ACP_SERVER_HOME={home}",
        "OPENAI_API_KEY=",
        str(BIN / "acp-server"),
        "--model",
        "openai:gpt-4.1",
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "-32000" in done.stderr


def test_exec_deny_all_refuses_permission_and_no_fs_uses_local_disk(tmp_path: Path) -> None:
    denied = run_cli(
        "exec", "--deny-all", "write d.txt x", "--", *acp_server(tmp_path / "home"), cwd=tmp_path
    )
    assert denied.returncode == 0 and not (tmp_path / "d.txt").exists()
    approved = run_cli(
        "exec",
        "--approve-all",
        "--no-fs",
        "write a.txt y",
        "--",
        *acp_server(tmp_path / "home"),
        cwd=tmp_path,
    )
    assert approved.returncode == 0 and (tmp_path / "a.txt").read_text() == "y"


def test_chat_driven_through_stdin(tmp_path: Path) -> None:
    done = run_cli(
        "chat",
        "--",
        *acp_server(tmp_path / "home"),
        cwd=tmp_path,
        stdin="say hello chat\n:mode read-only\n:quit\n",
    )
    assert done.returncode == 0, done.stderr
    assert "hello chat" in done.stdout and "mode set to read-only" in done.stdout
    assert "[end_turn]" in done.stdout  # a stop reason in brackets is not taken for markup


def test_ctrl_c_in_chat_cancels_the_turn_and_the_chat_goes_on(tmp_path: Path) -> None:
    chat = subprocess.Popen(
        [str(BIN / "acp-client"), "chat", "--", *acp_server(tmp_path / "home")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"]},
    )
    assert chat.stdin and chat.stdout
    chat.stdin.write("say started\nwait 30\n")
    chat.stdin.flush()
    seen = ""
    while "started" not in seen:  # the first turn is over; the second is waiting
        seen += chat.stdout.readline()
    time.sleep(0.5)  # the wait turn is under way
    began = time.monotonic()
    chat.send_signal(signal.SIGINT)
    chat.stdin.write("say after\n:quit\n")
    chat.stdin.flush()
    out, err = chat.communicate(timeout=30)
    assert chat.returncode == 0, err
    assert time.monotonic() - began < 10  # not the 30 s the turn would have taken
    assert "[cancelled]" in out and "after" in out.split("[cancelled]", 1)[1]


def test_trace_passes_bytes_through_unchanged_and_records_frames(tmp_path: Path) -> None:
    out = tmp_path / "trace.ndjson"
    frames = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "session/new",
            "params": {"cwd": str(tmp_path), "mcpServers": []},
        },
    ]
    stdin = "".join(
        json.dumps(f, separators=(",", " : ")) + "\n" for f in frames
    )  # odd spacing must survive
    direct = subprocess.run(
        broken("none"), input=stdin, capture_output=True, text=True, timeout=30, check=False
    )
    traced = run_cli("trace", "--out", str(out), "--", *broken("none"), cwd=tmp_path, stdin=stdin)
    assert traced.stdout == direct.stdout
    entries = [json.loads(line) for line in out.read_text().splitlines()]
    sent = [e["message"] for e in entries if e.get("direction") == "client->agent"]
    assert sent == frames and not [e for e in entries if "violation" in e]
    shown = run_cli("trace", "show", str(out), cwd=tmp_path)
    assert "initialize" in shown.stdout and "0 violation" in shown.stdout


@pytest.mark.parametrize(
    ("defect", "rule"),
    [
        ("update-before-response", "update-before-session-response"),
        ("unadvertised-fs", "unadvertised-client-call"),
        ("open-tool-call", "tool-call-not-completed"),
        ("late-update", "update-after-prompt-response"),
        ("answers-notification", "response-to-unknown-id"),
    ],
)
def test_trace_flags_each_protocol_violation(tmp_path: Path, defect: str, rule: str) -> None:
    out = tmp_path / "trace.ndjson"
    frames = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"protocolVersion": 1, "clientCapabilities": {}},
        },
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "session/new",
            "params": {"cwd": str(tmp_path), "mcpServers": []},
        },
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "session/prompt",
            "params": {"sessionId": "s1", "prompt": [{"type": "text", "text": "hi"}]},
        },
        {"jsonrpc": "2.0", "method": "session/cancel", "params": {"sessionId": "s1"}},
    ]
    run_cli(
        "trace",
        "--out",
        str(out),
        "--",
        *broken(defect),
        cwd=tmp_path,
        stdin="".join(json.dumps(f) + "\n" for f in frames),
    )
    rules = {
        json.loads(line)["violation"]["rule"]
        for line in out.read_text().splitlines()
        if "violation" in line
    }
    assert rule in rules


def test_the_checker_validates_shapes_against_the_schema() -> None:
    checker = TraceChecker()
    checker.check("client", b'{"jsonrpc":"2.0","id":1,"method":"session/new","params":{"cwd":5}}')
    assert checker.check("agent", b'{"jsonrpc":"2.0","id":1,"result":{"sessionId":"s"}}') == []
    bad = checker.check(
        "client", b'{"jsonrpc":"2.0","id":2,"method":"session/prompt","params":{"sessionId":"s"}}'
    )
    assert bad and bad[0][0] == "schema"
