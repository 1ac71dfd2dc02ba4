"""The built wheel carries everything an installed acp-server needs."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_the_wheel_contains_the_schema_and_the_console_scripts(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("acp_server-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "protocol/schema/schema.json" in names and "protocol/_generated.py" in names
    assert any(n.startswith("editor_clients/conformance/") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    for script in ("acp-server", "acp-client", "acp-conformance"):
        assert f"{script} =" in scripts
    assert not any(n.startswith("tests/") for n in names)


def test_the_registry_manifest_matches_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    manifest = json.loads((ROOT / "registry" / "agent.json").read_text())
    assert manifest["id"] == "acp-server" and manifest["version"] == project["version"]
    assert manifest["distribution"]["uvx"]["package"].endswith(f"=={project['version']}")
    assert {"id", "name", "version", "description", "authors", "license", "distribution"} <= set(
        manifest
    )
