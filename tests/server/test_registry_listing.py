"""The registry listing: the manifest follows the registry's rules, and the
installed console script passes the registry's start-up check (temporary HOME,
only PATH, one initialize, frames only on stdout, an agent or terminal auth)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
ACP_SERVER = str(Path(sys.executable).with_name("acp-server"))
DROPPED_ENV = ("PYTHON_", "UV_", "XDG_", "AWS_", "GOOGLE_", "NODE_", "NPM_")


def test_manifest_follows_the_registry_format_with_a_pinned_uvx_package() -> None:
    manifest = json.loads((ROOT / "registry" / "agent.json").read_text())
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert re.fullmatch(r"[a-z][a-z0-9-]*", manifest["id"])
    assert {"id", "name", "version", "description", "distribution"} <= set(manifest)
    assert manifest["version"] == version and re.fullmatch(r"\d+\.\d+\.\d+", version)
    uvx = manifest["distribution"]["uvx"]
    assert set(uvx) <= {"package", "args", "env"}  # no `cmd`: the default script is the agent
    assert uvx["package"] == f"acp-server=={version}"
    for name in uvx.get("env", {}):
        assert name not in ("HOME", "PATH", "PYTHONPATH") and not name.startswith(DROPPED_ENV)


@pytest.mark.parametrize("ask", ["_meta", "auth"])
async def test_console_script_passes_the_registry_start_up_check(tmp_path: Path, ask: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    caps: dict[str, object] = {
        "terminal": True,
        "fs": {"readTextFile": True, "writeTextFile": True},
    }
    if ask == "_meta":
        caps["_meta"] = {"terminal_output": True, "terminal-auth": True}
    else:
        caps["auth"] = {"terminal": True}
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        ACP_SERVER,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"HOME": str(home), "PATH": os.environ["PATH"]},
    )
    frame = {"jsonrpc": "2.0", "id": 1, "method": "initialize"}
    frame["params"] = {"protocolVersion": 1, "clientCapabilities": caps}
    assert process.stdin and process.stdout
    process.stdin.write(json.dumps(frame).encode() + b"\n")
    await process.stdin.drain()
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    elapsed = time.monotonic() - started
    process.stdin.close()
    rest, _ = await asyncio.wait_for(process.communicate(), 10)
    reply = json.loads(line)
    for extra in rest.splitlines():
        assert json.loads(extra)["jsonrpc"] == "2.0"
    kinds = {m.get("type", "agent") for m in reply["result"]["authMethods"]}
    assert reply["id"] == 1 and process.returncode == 0
    assert kinds >= {"agent", "terminal"}
    assert elapsed < 10, elapsed
