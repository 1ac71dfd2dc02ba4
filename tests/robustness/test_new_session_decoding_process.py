"""`session/new` decodes through its generated type in every shape, against a
real `acp-server` process over stdio: bad params, sent before any session
exists, are -32602 with their ids, and the process serves on; a session with
an MCP server launches it while only the small generated module is loaded."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from protocol import ErrorCode
from tests.robustness.test_wire_input_process import code, replies, request, send_lines
from tests.server.test_stdio_process import spawn

BAD_PARAMS: dict[str, Any] = {
    "cwd-number": {"cwd": 5, "mcpServers": []},
    "cwd-null": {"cwd": None, "mcpServers": []},
    "cwd-missing": {"mcpServers": []},
    "servers-missing": {"cwd": "/tmp"},
    "servers-object": {"cwd": "/tmp", "mcpServers": {}},
    "servers-string": {"cwd": "/tmp", "mcpServers": "none"},
    "servers-null": {"cwd": "/tmp", "mcpServers": None},
    "server-number": {"cwd": "/tmp", "mcpServers": [5]},
    "server-env-object": {
        "cwd": "/tmp",
        "mcpServers": [{"name": "x", "command": "/bin/true", "args": [], "env": {"A": "1"}}],
    },
    "directories-string": {"cwd": "/tmp", "mcpServers": [], "additionalDirectories": "/tmp"},
    "directory-number": {"cwd": "/tmp", "mcpServers": [], "additionalDirectories": [5]},
    "params-array": ["/tmp"],
}


async def wait_for_file(path: Path, timeout: float = 20) -> str:
    """The file's text once it exists (an MCP server launches in the background)."""
    async with asyncio.timeout(timeout):
        while not path.exists():
            await asyncio.sleep(0.05)
    return path.read_text()


async def test_bad_session_new_params_are_invalid_params_with_their_ids_before_any_session(
    tmp_path: Path,
) -> None:
    proc = await (await spawn(tmp_path / "home")).started()
    await send_lines(proc, *(request(rid, "session/new", p) for rid, p in BAD_PARAMS.items()))
    got = await replies(proc, set(BAD_PARAMS), nulls=0)
    alive = await proc.new_session(tmp_path)
    listed = await proc.call("session/list", {})
    _, stderr, returncode = await proc.finish()
    assert {rid: code(got[rid]) for rid in BAD_PARAMS} == dict.fromkeys(
        BAD_PARAMS, ErrorCode.INVALID_PARAMS
    )
    assert [s["sessionId"] for s in listed["result"]["sessions"]] == [alive["sessionId"]]
    assert returncode == 0 and b"Traceback" not in stderr


async def test_a_first_session_with_an_mcp_server_launches_it_and_loads_no_more_of_the_schema(
    tmp_path: Path,
) -> None:
    """A stdio MCP server in the very first `session/new`: its command, args and
    env reach the launch, and the large generated module was still unloaded
    when the session opened."""
    dump = tmp_path / "modules.txt"
    marker = tmp_path / "launched"
    server = {
        "name": "probe",
        "command": sys.executable,
        "args": ["-c", "import os, sys; open(os.environ['MARKER'], 'w').write(sys.argv[1])", "ok"],
        "env": [{"name": "MARKER", "value": str(marker)}],
    }
    proc = await spawn(tmp_path / "home", env={"ACP_SERVER_DEBUG_MODULES": str(dump)})
    await proc.call("initialize", {"protocolVersion": 1})
    opened = await proc.call("session/new", {"cwd": str(tmp_path), "mcpServers": [server]})
    launched = await wait_for_file(marker)
    _, stderr, returncode = await proc.finish()
    at_session = set(Path(f"{dump}.session").read_text().split())
    assert "sessionId" in opened["result"] and launched == "ok"
    assert "protocol._generated_new_session" in at_session
    assert "protocol._generated" not in at_session
    assert returncode == 0 and b"Traceback" not in stderr
