"""Notices and compaction in the client library, the terminal client and the
tracer: the opt-ins are advertised as the schema spells them, what arrives is
merged as the schema says, a gated update to a client that did not opt in is
flagged, and `acp-client exec` shows both on stderr, one line each.

Against the stdlib fixture agent, which sends a notice on every prompt and a
compaction for `/compact` only to a client that opted in (or, with the
`unadvertised-notice` defect, a notice to every client)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from editor_clients.client import ClientCapabilities, ClientConnection, SessionView
from editor_clients.trace import TraceChecker
from tests.support.schema_validation import SchemaChecker

BIN = Path(sys.executable).parent
FIXTURE = [sys.executable, str(Path(__file__).parent / "agents" / "foreign_agent.py")]
BOTH = ClientCapabilities(notices=True, compaction=True)


def test_the_opt_ins_are_advertised_under_session_only_when_set() -> None:
    assert "session" not in ClientCapabilities().to_wire()
    assert BOTH.to_wire()["session"] == {"notices": {}, "compaction": {}}
    assert ClientCapabilities(compaction=True).to_wire()["session"] == {"compaction": {}}


def test_compactions_merge_with_the_schemas_patch_rules() -> None:
    view = SessionView("s")
    view.apply(
        {
            "sessionUpdate": "compaction_summary_chunk",
            "compactionId": "c",
            "content": {"type": "text", "text": "a"},
        }
    )
    assert view.compactions["c"].status == "in_progress"  # a first-seen id creates it
    view.apply(
        {
            "sessionUpdate": "compaction_summary_chunk",
            "compactionId": "c",
            "content": {"type": "text", "text": "b"},
        }
    )
    view.apply({"sessionUpdate": "compaction_update", "compactionId": "c", "status": "completed"})
    assert view.compactions["c"].summary_text == "ab"  # an omitted summary is kept
    view.apply(
        {
            "sessionUpdate": "compaction_update",
            "compactionId": "c",
            "status": "completed",
            "summary": [{"type": "text", "text": "new"}],
        }
    )
    assert view.compactions["c"].summary_text == "new"  # a summary replaces
    view.apply(
        {
            "sessionUpdate": "compaction_update",
            "compactionId": "c",
            "status": "failed",
            "summary": None,
            "error": "x",
        }
    )
    entry = view.compactions["c"]
    assert (entry.status, entry.summary, entry.error) == ("failed", [], "x")


async def _session(
    tmp_path: Path, caps: ClientCapabilities, defect: str = "none"
) -> tuple[ClientConnection, str]:
    client = await ClientConnection.spawn(
        [*FIXTURE, defect],
        cwd=str(tmp_path),
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
        capabilities=caps,
    )
    await client.initialize()
    session = str((await client.new_session())["sessionId"])
    return client, session


def _valid_against_the_schema(client: ClientConnection) -> None:
    schema = SchemaChecker()
    for _, direction, frame in client.frames:
        schema.observe("client" if direction == "client->agent" else "agent", frame)


@pytest.mark.parametrize("opted", [False, True])
async def test_the_client_records_notices_and_compactions_it_opted_in_to(
    tmp_path: Path, opted: bool
) -> None:
    client, session = await _session(tmp_path, BOTH if opted else ClientCapabilities())
    try:
        await client.prompt(session, "hello", timeout=20)
        await client.prompt(session, "/compact", timeout=20)
    finally:
        await client.close()
    _valid_against_the_schema(client)
    view = client.sessions[session]
    if opted:
        assert [n.title for n in view.notices] == ["Fixture notice", "Fixture notice"]
        assert view.compactions["fixture-compaction"].status == "completed"
        assert view.compactions["fixture-compaction"].summary_text
    else:
        assert not view.notices and not view.compactions
    assert client.unadvertised_updates == []


async def test_a_notice_to_a_client_that_did_not_opt_in_is_recorded_as_a_violation(
    tmp_path: Path,
) -> None:
    client, session = await _session(tmp_path, ClientCapabilities(), "unadvertised-notice")
    try:
        await client.prompt(session, "hello", timeout=20)
    finally:
        await client.close()
    assert client.unadvertised_updates == [f"notice for session {session}"]


def _transcript(opt_ins: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    caps: dict[str, Any] = {"fs": {"readTextFile": False, "writeTextFile": False}}
    if opt_ins:
        caps["session"] = opt_ins
    prompt = {"sessionId": "s1", "prompt": [{"type": "text", "text": "hi"}]}

    def update(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return (
            "agent",
            {"method": "session/update", "params": {"sessionId": "s1", "update": body}},
        )

    return [
        (
            "client",
            {
                "id": 0,
                "method": "initialize",
                "params": {"protocolVersion": 1, "clientCapabilities": caps},
            },
        ),
        ("agent", {"id": 0, "result": {"protocolVersion": 1}}),
        ("client", {"id": 1, "method": "session/new", "params": {"cwd": "/w", "mcpServers": []}}),
        ("agent", {"id": 1, "result": {"sessionId": "s1"}}),
        ("client", {"id": 2, "method": "session/prompt", "params": prompt}),
        update({"sessionUpdate": "notice", "severity": "warning", "title": "Retrying"}),
        update(
            {"sessionUpdate": "compaction_update", "compactionId": "c", "status": "in_progress"}
        ),
        update(
            {
                "sessionUpdate": "compaction_summary_chunk",
                "compactionId": "c",
                "content": {"type": "text", "text": "s"},
            }
        ),
        ("agent", {"id": 2, "result": {"stopReason": "end_turn"}}),
    ]


@pytest.mark.parametrize(
    ("opt_ins", "flagged"),
    [
        ({}, ["notice", "compaction_update", "compaction_summary_chunk"]),
        ({"notices": {}}, ["compaction_update", "compaction_summary_chunk"]),
        ({"compaction": {}}, ["notice"]),
        (
            {"notices": True, "compaction": None},
            ["notice", "compaction_update", "compaction_summary_chunk"],
        ),
        ({"notices": {}, "compaction": {}}, []),
    ],
)
def test_the_tracer_flags_gated_updates_the_client_did_not_opt_in_to(
    opt_ins: dict[str, Any], flagged: list[str]
) -> None:
    checker = TraceChecker()
    found: list[tuple[str, str]] = []
    for sender, frame in _transcript(opt_ins):
        seen = checker.check(sender, json.dumps({"jsonrpc": "2.0", **frame}).encode())
        if sender == "agent":  # what the client sends (even a malformed opt-in) is its choice
            found += seen
    assert [detail.split()[0] for rule, detail in found if rule == "unadvertised-update"] == flagged
    assert {rule for rule, _ in found} <= {"unadvertised-update"}


def test_exec_prints_notices_and_compactions_to_stderr_one_line_each(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}

    def run(prompt: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "acp-client"), "exec", prompt, "--", *FIXTURE, "none"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=60,
            check=False,
        )

    hello, compact = run("hello"), run("/compact")
    assert hello.returncode == 0 and compact.returncode == 0, hello.stderr + compact.stderr
    assert "Fixture notice" in hello.stderr and "Fixture notice" not in hello.stdout
    assert "ok: hello" in hello.stdout
    lines = [line for line in compact.stderr.splitlines() if "compact" in line]
    assert lines == [
        "⟳ compacting the context…",
        "⟳ context compacted: We talked about the fixture.",
    ]
