"""`acp-server doctor` names a missing lazily imported package and the command
that installs it: a real subprocess in which the package cannot be imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_commands import run
from tests.support.hidden_package import hiding


def _doctor(tmp_path: Path, package: str) -> list[dict[str, str]]:
    done = run(tmp_path / "home", "doctor", "--json", env=hiding(package, tmp_path))
    assert "Traceback" not in done.stderr
    return list(json.loads(done.stdout))


@pytest.mark.parametrize("package", ["anthropic", "openai", "mcp"])
def test_doctor_reports_a_missing_package_with_its_install_command(
    tmp_path: Path, package: str
) -> None:
    checks = _doctor(tmp_path, package)
    rows = [c for c in checks if c["check"] == f"package:{package}"]
    assert len(rows) == 1 and rows[0]["status"] == "warn"
    assert rows[0]["fix"].endswith(f"-m pip install {package}")
    python = next(c for c in checks if c["check"] == "python")
    assert f"{package} missing" in python["detail"]  # no version claimed for it


def test_doctor_reports_no_package_rows_when_everything_is_importable(tmp_path: Path) -> None:
    done = run(tmp_path / "home", "doctor", "--json")
    checks = json.loads(done.stdout)
    assert not [c for c in checks if c["check"].startswith("package:")]
    assert [c["status"] for c in checks if c["check"] == "packages"] == ["ok"]
