"""The acp-server command set, through the real console script."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ACP_SERVER = str(Path(sys.executable).with_name("acp-server"))


def run(
    home: Path,
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ["PATH"],
        "ACP_SERVER_HOME": str(home),
        "HOME": str(home.parent / "fake-home"),
        **(env or {}),
    }
    return subprocess.run(
        [ACP_SERVER, *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        input=stdin,
        timeout=60,
        check=False,
    )


def test_run_executes_a_headless_turn_with_local_tools(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run(
        home,
        "run",
        "--model",
        "scripted",
        "--yes",
        "--cwd",
        str(tmp_path),
        "say hello\nwrite out.txt made by run",
    )
    assert done.returncode == 0, done.stderr
    assert "hello" in done.stdout and (tmp_path / "out.txt").read_text() == "made by run"


def test_run_json_streams_engine_events_and_ask_mode_denies_without_yes(tmp_path: Path) -> None:
    done = run(
        tmp_path / "home",
        "run",
        "--model",
        "scripted",
        "--json",
        "--cwd",
        str(tmp_path),
        "write denied.txt x",
    )
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[-1]["type"] == "turn_finished" and events[-1]["stop_reason"] == "end_turn"
    finished = [e for e in events if e["type"] == "tool_call_finished"]
    assert finished[0]["status"] == "failed" and not (tmp_path / "denied.txt").exists()


def test_run_without_a_model_exits_2_with_a_hint(tmp_path: Path) -> None:
    done = run(tmp_path / "home", "run", "say hi")
    assert done.returncode == 2 and "models set" in done.stderr


def test_run_continues_a_stored_session(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run(home, "run", "--model", "scripted", "--cwd", str(tmp_path), "say first")
    listed = json.loads(run(home, "sessions", "list", "--json").stdout)
    session_id = listed[0]["id"]
    again = run(
        home,
        "run",
        "--model",
        "scripted",
        "--cwd",
        str(tmp_path),
        "--session",
        session_id,
        "say second",
    )
    assert again.returncode == 0
    exported = json.loads(run(home, "sessions", "export", session_id, "--format", "json").stdout)
    texts = "".join(
        u["content"]["text"]
        for u in exported["updates"]
        if u["sessionUpdate"] == "agent_message_chunk"
    )
    assert texts == "firstsecond"


def test_sessions_show_export_delete_and_prune(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run(home, "run", "--model", "scripted", "--cwd", str(tmp_path), "say a transcript line")
    session_id = json.loads(run(home, "sessions", "list", "--json", "--cwd", str(tmp_path)).stdout)[
        0
    ]["id"]
    shown = run(home, "sessions", "show", session_id)
    assert "a transcript line" in shown.stdout
    out = tmp_path / "export.md"
    assert (
        run(home, "sessions", "export", session_id, "--format", "md", "--out", str(out)).returncode
        == 0
    )
    assert "a transcript line" in out.read_text()
    assert run(home, "sessions", "prune", "--older-than", "1").stdout.startswith("pruned 0")
    assert run(home, "sessions", "delete", session_id).returncode == 0
    assert json.loads(run(home, "sessions", "list", "--json").stdout) == []
    assert run(home, "sessions", "show", session_id).returncode == 2


def test_config_errors_name_the_key_file_and_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "config.yaml").write_text("model: scripted\nagent:\n  max_turns: lots\n")
    done = run(home, "config", "show")
    assert done.returncode == 2
    assert "config.yaml:3" in done.stderr and "agent.max_turns" in done.stderr


def test_config_show_masks_secrets_and_set_validates(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "config", "set", "agent.max_turns", "12").returncode == 0
    assert run(home, "config", "set", "agent.bogus", "1").returncode == 2
    shown = run(home, "config", "show", env={"OPENAI_API_KEY": "sk-verysecretvalue123"})
    assert "max_turns: 12" in shown.stdout
    assert "sk-verysecretvalue123" not in shown.stdout and "****" in shown.stdout
    assert stat.S_IMODE((home / "config.yaml").stat().st_mode) == 0o600


def test_models_set_writes_the_default_model(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "models", "set", "anthropic:claude-sonnet-4-5").returncode == 0
    listed = json.loads(run(home, "models", "--json").stdout)
    assert any(m["id"] == "anthropic:claude-sonnet-4-5" and m["default"] for m in listed)


def test_setup_provider_stores_the_key_privately(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run(home, "setup-provider", "--provider", "openai", stdin="sk-test-key-123456\n")
    assert done.returncode == 0, done.stderr
    assert (home / ".env").read_text() == "OPENAI_API_KEY=sk-test-key-123456\n"
    assert stat.S_IMODE((home / ".env").stat().st_mode) == 0o600
    assert "sk-test-key-123456" not in done.stdout


def test_profiles_are_fully_isolated(tmp_path: Path) -> None:
    base = tmp_path / "home"
    run(
        base,
        "--profile",
        "work",
        "run",
        "--model",
        "scripted",
        "--cwd",
        str(tmp_path),
        "say in work",
    )
    assert json.loads(run(base, "sessions", "list", "--json").stdout) == []
    assert len(json.loads(run(base, "--profile", "work", "sessions", "list", "--json").stdout)) == 1
    assert (base / "profiles" / "work" / "sessions.db").exists()


def test_doctor_on_a_fresh_home_gives_advice_not_a_traceback(tmp_path: Path) -> None:
    done = run(tmp_path / "fresh", "doctor")
    assert "Traceback" not in done.stdout + done.stderr
    assert "model" in done.stdout and "fix:" in done.stdout


def test_home_is_private_and_a_world_writable_home_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run(home, "run", "--model", "scripted", "--cwd", str(tmp_path), "say x")
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "sessions.db").stat().st_mode) == 0o600
    open_home = tmp_path / "open"
    open_home.mkdir()
    os.chmod(open_home, 0o777)
    done = run(open_home, "run", "--model", "scripted", "say x")
    assert done.returncode != 0 and "world-writable" in done.stderr


@pytest.mark.parametrize("editor", ["zed", "jetbrains", "vscode"])
def test_setup_write_merges_into_existing_config_after_a_backup(
    tmp_path: Path, editor: str
) -> None:
    target = tmp_path / f"{editor}.json"
    target.write_text('{\n  // keep me\n  "theme": "dark",\n}\n')
    done = run(tmp_path / "home", "setup", editor, "--write", "--file", str(target))
    assert done.returncode == 0, done.stderr
    from acp_server.cli.jsonc import strip_jsonc

    assert "// keep me" in target.read_text()  # edited in place: comments stay
    data = json.loads(strip_jsonc(target.read_text()))
    assert data["theme"] == "dark"
    servers = data.get("agent_servers") or data.get("acp.agents")
    assert os.path.isabs(servers["acp-server"]["command"])
    assert list(tmp_path.glob(f"{editor}.json.bak-*"))


def test_setup_refuses_to_rewrite_a_file_it_cannot_parse(tmp_path: Path) -> None:
    target = tmp_path / "settings.json"
    target.write_text("{ this is not json")
    done = run(tmp_path / "home", "setup", "zed", "--write", "--file", str(target))
    assert done.returncode == 1 and target.read_text() == "{ this is not json"


def test_version_and_help_work_everywhere(tmp_path: Path) -> None:
    for args in (
        ["--version"],
        ["run", "--version"],
        ["sessions", "--help"],
        ["doctor", "--help"],
        ["help"],
    ):
        assert run(tmp_path / "home", *args).returncode == 0, args


def test_every_setting_is_documented() -> None:
    from acp_server.config.defaults import DEFAULT_CONFIG, MAPPING_SETTINGS

    doc = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    for key in [*DEFAULT_CONFIG, *MAPPING_SETTINGS]:
        assert f"`{key}`" in doc, key


def test_doctor_starts_each_configured_mcp_server(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "config.yaml").write_text(
        "mcp_servers:\n"
        f"  good:\n    command: {sys.executable}\n    args: [-m, editor_clients.conformance.mcp_stub]\n"
        "  broken:\n    command: /nonexistent/mcp-server\n"
    )
    done = run(home, "doctor", "--json")
    rows = {r["check"]: r for r in json.loads(done.stdout)}
    assert rows["mcp:good"]["status"] == "ok" and "1 tool" in rows["mcp:good"]["detail"]
    assert rows["mcp:broken"]["status"] == "fail" and done.returncode == 1
