"""/tools through the real console script: rules answered "always" show up."""

from __future__ import annotations

import sys
from pathlib import Path

from editor_clients.client import ClientConnection, PermissionPolicy

ACP_SERVER = str(Path(sys.executable).with_name("acp-server"))


async def always(params: dict[str, object]) -> str | None:
    options = params.get("options") or []
    assert isinstance(options, list)
    return next(str(o["optionId"]) for o in options if o.get("kind") == "allow_always")


async def test_tools_lists_the_always_allow_rules_added_in_the_session(tmp_path: Path) -> None:
    client = await ClientConnection.spawn(
        ["env", f"ACP_SERVER_HOME={tmp_path / 'home'}", ACP_SERVER, "--model", "scripted"],
        cwd=str(tmp_path),
        permissions=PermissionPolicy("ask", always),
    )
    try:
        await client.initialize()
        session = (await client.new_session())["sessionId"]
        await client.prompt(session, "run echo granted")
        before = len(client.sessions[session].message)
        await client.prompt(session, "/tools")
        shown = client.sessions[session].message[before:]
    finally:
        await client.close()
    assert "always allow `run_command:echo`" in shown
