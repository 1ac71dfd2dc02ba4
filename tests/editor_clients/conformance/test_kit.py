"""The conformance kit judges any agent fairly: each fixture defect fails
exactly its requirement, the defect-free foreign fixture and acp-server are
conformant, and what cannot be judged is not-tested, never failed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent
AGENTS = Path(__file__).parent.parent / "agents"
FOREIGN = [sys.executable, str(AGENTS / "foreign_agent.py")]


def kit(
    tmp_path: Path, agent: list[str], *only: str, options: tuple[str, ...] = ()
) -> tuple[int, dict[str, Any], str]:
    report = tmp_path / "report.json"
    args = [str(BIN / "acp-conformance"), "--report-json", str(report), *options]
    if only:
        args += ["--only", *only]
    done = subprocess.run(
        [*args, "--", *agent], capture_output=True, text=True, timeout=600, check=False
    )
    return done.returncode, json.loads(report.read_text()), done.stdout


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in report["requirements"]}


def failed(report: dict[str, Any]) -> set[str]:
    return {rid for rid, status in statuses(report).items() if status == "fail"}


def test_acp_server_is_conformant_with_nothing_left_untested(tmp_path: Path) -> None:
    code, report, _ = kit(tmp_path, [str(BIN / "acp-server"), "--model", "scripted"])
    assert code == 0 and report["verdict"] == "conformant", [
        r for r in report["requirements"] if r["status"] == "fail"
    ]
    assert "not-tested" not in statuses(report).values()
    assert report["agentInfo"]["name"] == "acp-server" and report["startupSeconds"] > 0


def test_the_defect_free_foreign_fixture_is_conformant(tmp_path: Path) -> None:
    code, report, _ = kit(tmp_path, [*FOREIGN, "none"])
    assert code == 0 and report["verdict"] == "conformant", failed(report)
    assert not failed(report) and "not-tested" not in statuses(report).values()


@pytest.mark.parametrize(
    ("defect", "requirement"),
    [
        ("cancel-error", "CANCEL-001"),
        ("open-tool-call", "TOOL-001"),
        ("late-update", "TURN-001"),
        ("unadvertised-fs", "CAP-001"),
        ("unadvertised-notice", "CAP-002"),
        ("echo-version", "INIT-002"),
    ],
)
def test_each_foreign_fixture_defect_fails_exactly_its_requirement(
    tmp_path: Path, defect: str, requirement: str
) -> None:
    _, report, _ = kit(tmp_path, [*FOREIGN, defect])
    assert failed(report) == {requirement}
    failure = next(r for r in report["requirements"] if r["id"] == requirement)
    assert failure["detail"] and failure["transcript"] and failure["cite"]
    assert all(row["t"] >= 0 for row in failure["transcript"])  # relative to the probe


def test_a_tool_call_left_open_is_a_should_and_keeps_the_verdict(tmp_path: Path) -> None:
    _, report, _ = kit(tmp_path, [*FOREIGN, "open-tool-call"])
    assert report["verdict"] == "conformant"


@pytest.mark.parametrize(
    ("defect", "requirement"),
    [
        ("wrong-version", "INIT-001"),
        ("update-before-response", "SESS-001"),
        ("stdout-banner", "IO-001"),
        ("answers-notification", "RPC-004"),
        ("no-replay", "LOAD-001"),
        ("list-not-array", "LIST-001"),
    ],
)
def test_each_misbehaving_fixture_defect_fails_exactly_its_requirement(
    tmp_path: Path, defect: str, requirement: str
) -> None:
    selection = ("INIT-001", "SESS-001", "IO-001", "RPC-004", "LOAD-001", "LIST-001", "RPC-002")
    agent = [sys.executable, str(AGENTS / "misbehaving_agent.py"), defect]
    code, report, _ = kit(tmp_path, agent, *selection)
    assert failed(report) == {requirement} and code == 1
    assert report["verdict"] == "nonconformant"
    failure = next(r for r in report["requirements"] if r["id"] == requirement)
    assert failure["detail"] and failure["transcript"]  # raw-stdio ones included


def test_an_auth_gated_agent_is_blocked_by_authentication_not_failed(tmp_path: Path) -> None:
    code, report, _ = kit(tmp_path, [*FOREIGN, "needs-auth"])
    assert not failed(report) and code == 1 and report["verdict"] == "incomplete"
    blocked = {r["id"]: r["detail"] for r in report["requirements"] if r["status"] == "not-tested"}
    assert {"SESS-001", "PROMPT-001", "CANCEL-001"} <= set(blocked)
    assert all("authentication" in d and "fixture-login" in d for d in blocked.values())


def test_auth_method_lets_the_kit_test_a_logged_in_agent(tmp_path: Path) -> None:
    code, report, _ = kit(
        tmp_path, [*FOREIGN, "needs-auth"], options=("--auth-method", "fixture-login")
    )
    assert code == 0 and report["verdict"] == "conformant", failed(report)


def test_a_failing_prerequisite_fails_once_and_its_dependents_are_not_tested(
    tmp_path: Path,
) -> None:
    agent = [sys.executable, "-c", SESSION_REFUSER]
    _, report, _ = kit(tmp_path, agent, "SESS-001", "PROMPT-001", "CANCEL-001", "RPC-002")
    result = statuses(report)
    assert failed(report) == {"SESS-001"} and result["RPC-002"] == "pass"
    dependents = [r for r in report["requirements"] if r["id"] in ("PROMPT-001", "CANCEL-001")]
    assert all(r["status"] == "not-tested" for r in dependents)
    assert all("prerequisite SESS-001 failed" in r["detail"] for r in dependents)


SESSION_REFUSER = """
import json, sys
for raw in sys.stdin:
    m = json.loads(raw)
    if "id" not in m or "method" not in m:
        continue
    if m["method"] == "initialize":
        r = {"result": {"protocolVersion": 1, "agentInfo": {"name": "refuser", "version": "1"}}}
    elif not m["method"].startswith("session/"):
        r = {"error": {"code": -32601, "message": "unknown method"}}
    else:
        r = {"error": {"code": -32603, "message": "no sessions here"}}
    print(json.dumps({"jsonrpc": "2.0", "id": m["id"], **r}), flush=True)
"""


def test_an_agent_that_cannot_start_gets_one_line_with_its_stderr(tmp_path: Path) -> None:
    agent = [
        sys.executable,
        "-c",
        "import sys; sys.stderr.write('missing API key\\n'); sys.exit(3)",
    ]
    code, report, out = kit(tmp_path, agent)
    assert code == 1 and len(report["requirements"]) == 1
    only = report["requirements"][0]
    assert only["status"] == "fail" and "exited before answering initialize" in only["detail"]
    assert "missing API key" in only["stderrTail"] and "missing API key" in out


def test_a_slow_starting_agent_is_judged_after_its_initialize_reply(tmp_path: Path) -> None:
    # The agent sleeps before reading stdin: a fixed one-second window would see silence.
    slow = f"import time, runpy, sys; time.sleep(1.5); sys.argv = ['x', 'none']; runpy.run_path({str(AGENTS / 'foreign_agent.py')!r})"
    _, report, _ = kit(tmp_path, [sys.executable, "-c", slow], "IO-001", "RPC-004", "INIT-001")
    assert not failed(report) and report["startupSeconds"] >= 1.5


def test_the_startup_timeout_bounds_the_wait_for_initialize(tmp_path: Path) -> None:
    silent = "import time; time.sleep(30)"
    code, report, _ = kit(
        tmp_path, [sys.executable, "-c", silent], options=("--startup-timeout", "1")
    )
    assert code == 1 and "no initialize reply within 1 s" in report["requirements"][0]["detail"]


def test_the_sdk_echo_agent_has_no_failure_and_unacted_musts_are_not_tested(
    tmp_path: Path,
) -> None:
    pytest.importorskip("acp")
    _, report, _ = kit(tmp_path, [sys.executable, str(AGENTS / "sdk_echo_agent.py")])
    result = statuses(report)
    assert not failed(report) and report["verdict"] == "incomplete"
    for needs_actions in ("FS-001", "TERM-001", "MCP-001"):
        assert result[needs_actions] == "not-tested"
    assert result["LOAD-001"] == "skip"  # not advertised: not applicable
    # The echo turn ends before any cancel can reach it: inconclusive, never a pass.
    assert result["CANCEL-001"] == "not-tested" and "inconclusive" in next(
        r["detail"] for r in report["requirements"] if r["id"] == "CANCEL-001"
    )


def test_each_probe_gets_a_fresh_home_inside_its_own_directory(tmp_path: Path) -> None:
    spy = (
        "import json, os, sys\n"
        f"open({str(tmp_path / 'homes.txt')!r}, 'a').write(os.environ['HOME'] + ' ' + os.environ['ACP_SERVER_HOME'] + '\\n')\n"
        "for raw in sys.stdin:\n"
        "    m = json.loads(raw)\n"
        "    if m.get('method') == 'initialize':\n"
        "        print(json.dumps({'jsonrpc': '2.0', 'id': m['id'], 'result': {'protocolVersion': 1}}), flush=True)\n"
    )
    kit(tmp_path, [sys.executable, "-c", spy], "INIT-001", "INIT-004", "RPC-004")
    rows = [line.split() for line in (tmp_path / "homes.txt").read_text().splitlines()]
    homes = {home for home, _ in rows}
    assert len(rows) == 3 and len(homes) == 3 and os.environ.get("HOME") not in homes
    assert all(server.startswith(home + os.sep) for home, server in rows)


def test_a_relative_agent_path_is_resolved_against_the_callers_cwd(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            str(BIN / "acp-conformance"),
            "--only",
            "INIT-001",
            "--",
            sys.executable,
            "foreign_agent.py",
            "none",
        ],
        cwd=AGENTS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_a_prompt_pack_changes_what_the_agent_is_asked(tmp_path: Path) -> None:
    _, default, _ = kit(tmp_path, [*FOREIGN, "none"], "TERM-001")
    pack = tmp_path / "pack.toml"
    pack.write_text('[prompts]\nrun_command = "Please just say hello."\n')
    _, adapted, _ = kit(tmp_path, [*FOREIGN, "none"], "TERM-001", options=("--prompts", str(pack)))
    assert statuses(default)["TERM-001"] == "pass" and adapted["prompts"] == str(pack)
    assert statuses(adapted)["TERM-001"] == "not-tested"  # asked no command, ran none


def test_a_prompt_pack_with_unknown_keys_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[prompts]\nnonsense = "x"\n')
    done = subprocess.run(
        [str(BIN / "acp-conformance"), "--prompts", str(bad), "--", *FOREIGN],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "nonsense" in done.stderr


def test_piped_output_is_never_wrapped(tmp_path: Path) -> None:
    _, _, out = kit(tmp_path, [str(BIN / "acp-server"), "--model", "scripted"], "INIT-003")
    assert any(len(line) > 200 for line in out.splitlines())  # the INIT-003 detail, whole


def test_help_shows_the_agent_command_form_with_an_example() -> None:
    out = subprocess.run(
        [str(BIN / "acp-conformance"), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "-- AGENT_CMD" in out and "acp-conformance -- acp-server" in out
    assert "--parallel" in out and "--auth-method" in out and "--startup-timeout" in out


def test_list_prints_every_requirement_with_its_tier() -> None:
    out = subprocess.run(
        [str(BIN / "acp-conformance"), "--list"], capture_output=True, text=True, check=True
    ).stdout
    assert "INIT-001" in out and "CAPABILITY" in out and "unstable" in out


def test_parallel_one_is_allowed_and_zero_is_a_usage_error(tmp_path: Path) -> None:
    code, report, _ = kit(tmp_path, [*FOREIGN, "none"], "INIT-001", options=("--parallel", "1"))
    assert code == 0 and report["verdict"] == "conformant"
    done = subprocess.run(
        [str(BIN / "acp-conformance"), "--parallel", "0", "--", *FOREIGN],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "--parallel" in done.stderr
