"""The conformance kit catches each defect, passes acp-server, and runs against
the official SDK's echo agent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
AGENTS = Path(__file__).parent.parent / "agents"


def kit(tmp_path: Path, agent: list[str], *only: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    report = tmp_path / "report.json"
    args = [str(BIN / "acp-conformance"), "--report-json", str(report)]
    if only:
        args += ["--only", *only]
    done = subprocess.run(
        [*args, "--", *agent], capture_output=True, text=True, timeout=600, check=False
    )
    return done.returncode, json.loads(report.read_text())


def statuses(report: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {r["id"]: r["status"] for r in report["requirements"]}


def test_acp_server_is_conformant(tmp_path: Path) -> None:
    code, report = kit(
        tmp_path,
        [
            "env",
            f"ACP_SERVER_HOME={tmp_path / 'home'}",
            str(BIN / "acp-server"),
            "--model",
            "scripted",
        ],
    )
    failures = [r for r in report["requirements"] if r["status"] == "fail"]
    assert code == 0 and report["verdict"] == "conformant", failures
    assert not [r for r in report["requirements"] if r["status"] == "skip"]


@pytest.mark.parametrize(
    ("defect", "requirement"),
    [
        ("wrong-version", "INIT-001"),
        ("update-before-response", "SESS-001"),
        ("late-update", "PROMPT-001"),
        ("stdout-banner", "IO-001"),
        ("answers-notification", "RPC-004"),
        ("no-replay", "LOAD-001"),
        ("list-not-array", "LIST-001"),
    ],
)
def test_each_fixture_defect_fails_exactly_its_requirement(
    tmp_path: Path, defect: str, requirement: str
) -> None:
    agent = [sys.executable, str(AGENTS / "misbehaving_agent.py"), defect]
    others = [
        "INIT-001",
        "SESS-001",
        "PROMPT-001",
        "IO-001",
        "RPC-004",
        "LOAD-001",
        "LIST-001",
        "RPC-002",
    ]
    code, report = kit(tmp_path, agent, *others)
    failed = {rid for rid, status in statuses(report).items() if status == "fail"}
    assert failed == {requirement} and code == 1 and report["verdict"] == "nonconformant"
    failure = next(r for r in report["requirements"] if r["id"] == requirement)
    assert failure["detail"]
    if requirement not in ("IO-001", "RPC-004"):  # raw-stdio checks have no client transcript
        assert failure["transcript"]


def test_the_well_behaved_fixture_passes_the_same_selection(tmp_path: Path) -> None:
    agent = [sys.executable, str(AGENTS / "misbehaving_agent.py"), "none"]
    code, report = kit(
        tmp_path,
        agent,
        "INIT-001",
        "SESS-001",
        "PROMPT-001",
        "IO-001",
        "RPC-004",
        "LOAD-001",
        "LIST-001",
    )
    assert code == 0 and report["verdict"] == "conformant"


def test_requirements_that_need_actions_are_skipped_for_foreign_agents(tmp_path: Path) -> None:
    _, report = kit(tmp_path, [sys.executable, str(AGENTS / "sdk_echo_agent.py")])
    result = statuses(report)
    assert (
        result["INIT-001"] == "pass"
        and result["PROMPT-001"] == "pass"
        and result["CAP-001"] == "pass"
    )
    for needs_actions in ("PROMPT-002", "FS-001", "TERM-001", "MCP-001", "CANCEL-001"):
        assert result[needs_actions] == "skip"
    skipped = {r["id"]: r["detail"] for r in report["requirements"] if r["status"] == "skip"}
    assert all(skipped.values())


def test_list_prints_every_requirement_with_its_tier() -> None:
    out = subprocess.run(
        [str(BIN / "acp-conformance"), "--list"], capture_output=True, text=True, check=True
    ).stdout
    assert "INIT-001" in out and "CAPABILITY" in out and "MCP-001" in out
