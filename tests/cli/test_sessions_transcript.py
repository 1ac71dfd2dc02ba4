"""`sessions show` and `sessions export` tell when, what a tool printed (capped,
saying how much was cut) and why a turn or a call failed: through the real
console script, on sessions made by real `acp-server run` processes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from acp_server.cli.transcript import OUTPUT_LINES
from tests.cli.test_commands import run
from tests.cli.test_failed_turns_cli import BIN, command, environment, profile
from tests.support.fake_provider import FakeProvider, error

CLOCK = re.compile(r"^\d\d:\d\d:\d\d ", re.MULTILINE)


def _only_session(home: Path) -> str:
    listed = json.loads(run(home, "sessions", "list", "--json").stdout)
    assert len(listed) == 1
    return str(listed[0]["id"])


def _scripted_session(tmp_path: Path) -> tuple[Path, str]:
    home = tmp_path / "home"
    prompt = "run seq 1 200\nread missing.txt"
    first = run(home, "run", "--model", "scripted", "--yes", prompt, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    refused = "write refused.txt nope"  # no --yes, nobody to ask: refused
    again = run(home, "run", "--model", "scripted", "--continue", refused, cwd=tmp_path)
    assert again.returncode != 0  # a refused call has its own exit code
    return home, _only_session(home)


def test_sessions_show_stamps_entries_and_caps_tool_output_saying_how_much(
    tmp_path: Path,
) -> None:
    home, session = _scripted_session(tmp_path)
    shown = run(home, "sessions", "show", session, env={"COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert len(CLOCK.findall(shown.stdout)) >= 4  # user, the two calls, their ends
    assert "started 20" in shown.stdout
    assert str(OUTPUT_LINES) in lines and str(OUTPUT_LINES + 1) not in lines
    assert "output cut" in shown.stdout and "160 more lines" in shown.stdout
    assert "exit 0" in shown.stdout
    assert "does not exist" in shown.stdout  # why the read failed
    assert "not approved" in shown.stdout  # why the write failed


def test_sessions_export_has_timestamps_capped_output_and_refusal_reasons(
    tmp_path: Path,
) -> None:
    home, session = _scripted_session(tmp_path)
    markdown = run(home, "sessions", "export", session, "--format", "md").stdout
    assert re.search(r"\*\*user\*\* \(\d\d:\d\d:\d\d\)", markdown)
    assert "160 more lines" in markdown and "not approved" in markdown
    exported = json.loads(run(home, "sessions", "export", session, "--format", "json").stdout)
    assert exported["created_at"].startswith("20") and exported["updated_at"]
    transcript = exported["transcript"]
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", e["at"]) for e in transcript)
    tools = [e["text"] for e in transcript if e["role"] == "tool"]
    assert any("160 more lines" in t for t in tools)
    # The updates themselves stay whole: the full output is still there.
    whole = json.dumps(exported["updates"])
    assert "\\n200\\n" in whole


async def test_a_failed_turn_shows_as_a_failure_with_its_reason_in_show_and_export(
    tmp_path: Path,
) -> None:
    async with FakeProvider() as fake:
        fake.enqueue(error(401, "invalid api key"))
        home = profile(tmp_path, fake)
        env = environment(home)
        code, _, _ = await command(
            env, str(BIN / "acp-server"), "run", "--cwd", str(tmp_path), "hi"
        )
    assert code != 0
    session = _only_session(home)
    _, shown, _ = await command(env, str(BIN / "acp-server"), "sessions", "show", session)
    assert "failure:" in shown and "authentication" in shown
    _, exported, _ = await command(
        env, str(BIN / "acp-server"), "sessions", "export", session, "--format", "json"
    )
    failures = [e for e in json.loads(exported)["transcript"] if e["role"] == "failure"]
    assert len(failures) == 1 and "Fix:" in failures[0]["text"]
    agent_text = [e for e in json.loads(exported)["transcript"] if e["role"] == "agent"]
    assert agent_text == []  # the failure is never the agent's answer
