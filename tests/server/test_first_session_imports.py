"""What a process's first `session/new` loads before its reply, against a real
`acp-server` over stdio: what the reply needs (the store, the session, its
options), not what only a later step uses. The command list follows the
reply and the session object is built after it, checkpoints and rewinds come with a turn, the tool API and path rules
with the first tool call, the configuration report with a refused config."""

from __future__ import annotations

from pathlib import Path

from tests.server.test_stdio_process import Proc, spawn

AFTER_THE_REPLY = (
    "acp_server.server.session",  # a new session is built while the client reads its reply
    "acp_server.server.outbound",
    "acp_server.server.commands",  # the command list is sent after the reply
    "acp_server.config_report",  # built when a configuration was refused
    "acp_server.store.checkpoints",  # a turn's checkpoints
    "acp_server.store.blobs",
    "acp_server.store.truncate",  # a rewind
    "agent.tools.api",  # the permission rules, with the first tool call
    "agent.tools.paths",
)


async def _spawned(tmp_path: Path) -> tuple[Proc, Path]:
    """An initialized server that dumps its loaded modules when it answers a session."""
    dump = tmp_path / "modules.txt"
    proc = await spawn(tmp_path / "home", env={"ACP_SERVER_DEBUG_MODULES": str(dump)})
    await proc.call("initialize", {"protocolVersion": 1})
    return proc, dump


async def test_the_first_session_new_loads_no_slash_commands_checkpoints_or_tool_api_before_its_reply(
    tmp_path: Path,
) -> None:
    proc, dump = await _spawned(tmp_path)
    opened = await proc.call("session/new", {"cwd": str(tmp_path), "mcpServers": []})
    commands = await proc.frame()  # the command list, right after the reply
    _, stderr, returncode = await proc.finish()
    at_session = set(Path(f"{dump}.session").read_text().split())
    assert "acp_server.server.options" in at_session and "agent.policy" in at_session
    assert [m for m in AFTER_THE_REPLY if m in at_session] == []
    assert "sessionId" in opened["result"]
    update = commands["params"]["update"]
    assert update["sessionUpdate"] == "available_commands_update"
    assert "rewind" in {c["name"] for c in update["availableCommands"]}
    assert returncode == 0 and b"Traceback" not in stderr


# pathlib brings urllib.parse and ipaddress with it (~6 ms); the home, the
# config, the logs and the store work on `str` paths until a turn needs more.
NOT_BEFORE_THE_REPLY = ("pathlib", "urllib.parse", "ipaddress")


async def test_the_first_session_new_is_answered_without_importing_pathlib(
    tmp_path: Path,
) -> None:
    proc, dump = await _spawned(tmp_path)
    opened = await proc.call("session/new", {"cwd": str(tmp_path), "mcpServers": []})
    _, stderr, returncode = await proc.finish()
    at_session = set(Path(f"{dump}.session").read_text().split())
    assert "acp_server.store.sqlite" in at_session  # the store was opened for the reply
    assert [m for m in NOT_BEFORE_THE_REPLY if m in at_session] == []
    assert "sessionId" in opened["result"]
    assert (tmp_path / "home" / "sessions.db").exists()
    assert returncode == 0 and b"Traceback" not in stderr
