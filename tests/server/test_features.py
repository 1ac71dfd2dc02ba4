"""Feature flags through the real protocol: a flagged surface is advertised and
routed only with its flag on (-32601 otherwise), flags come from config.yaml and
ACP_SERVER_FEATURES, and `acp-server features` lists them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from acp_server.config import ConfigError, load_config
from protocol import ErrorCode, RpcError
from tests.server.harness import connect


def _home_with(tmp_path: Path, features: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "config.yaml").write_text(f"model: scripted\nfeatures:\n{features}")
    return home


def _config(home: Path):  # type: ignore[no-untyped-def]
    return load_config(home, env={})


async def test_fork_is_on_by_default_and_advertised(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        caps = (await editor.initialize())["agentCapabilities"]["sessionCapabilities"]
        session_id = await editor.new_session(tmp_path)
        forked = await editor.call("session/fork", {"sessionId": session_id, "cwd": str(tmp_path)})
    assert "fork" in caps and "title" not in caps
    assert forked["sessionId"] != session_id


async def test_fork_switched_off_is_neither_advertised_nor_routed(tmp_path: Path) -> None:
    home = _home_with(tmp_path, "  session_fork: false\n")
    async with connect(home, config=_config(home)) as (editor, _):
        caps = (await editor.initialize())["agentCapabilities"]["sessionCapabilities"]
        session_id = await editor.new_session(tmp_path)
        with pytest.raises(RpcError) as refused:
            await editor.call("session/fork", {"sessionId": session_id, "cwd": str(tmp_path)})
    assert "fork" not in caps
    assert refused.value.code == ErrorCode.METHOD_NOT_FOUND


async def test_set_title_is_method_not_found_while_its_flag_is_off(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        with pytest.raises(RpcError) as refused:
            await editor.call("session/set_title", {"sessionId": session_id, "title": "Mine"})
    assert refused.value.code == ErrorCode.METHOD_NOT_FOUND


async def test_a_client_set_title_is_stored_and_never_overwritten_by_the_agent(
    tmp_path: Path,
) -> None:
    home = _home_with(tmp_path, "  session_title: true\n")
    async with connect(home, config=_config(home)) as (editor, _):
        caps = (await editor.initialize())["agentCapabilities"]["sessionCapabilities"]
        session_id = await editor.new_session(tmp_path)
        answer = await editor.call(
            "session/set_title", {"sessionId": session_id, "title": "  My   title "}
        )
        await editor.prompt(session_id, "say something else entirely")
        listed = await editor.call("session/list", {"cwd": str(tmp_path)})
        with pytest.raises(RpcError) as empty:
            await editor.call("session/set_title", {"sessionId": session_id, "title": "   "})
        with pytest.raises(RpcError) as missing:
            await editor.call("session/set_title", {"sessionId": "sess_nope", "title": "x"})
    assert "title" in caps and answer == {"title": "My title"}
    assert listed["sessions"][0]["title"] == "My title"
    assert not editor.session_updates(session_id, "session_info_update")
    assert empty.value.code == ErrorCode.INVALID_PARAMS
    assert missing.value.code == ErrorCode.RESOURCE_NOT_FOUND


@pytest.mark.parametrize("on", [False, True])
async def test_end_turn_usage_is_on_the_prompt_response_only_with_its_flag(
    tmp_path: Path, on: bool
) -> None:
    home = _home_with(tmp_path, f"  prompt_usage: {'true' if on else 'false'}\n")
    async with connect(home, config=_config(home)) as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        result = await editor.prompt(session_id, "say hi")
    assert result["stopReason"] == "end_turn"
    assert ("usage" in result) is on


def test_an_unknown_feature_or_a_non_boolean_is_a_config_error_naming_it(tmp_path: Path) -> None:
    for body, word in (("  warp_drive: true\n", "warp_drive"), ("  session_fork: 3\n", "3")):
        home = tmp_path / word
        home.mkdir()
        (home / "config.yaml").write_text(f"features:\n{body}")
        with pytest.raises(ConfigError, match=word):
            load_config(home, env={})


def test_features_command_lists_every_flag_with_its_state_and_source(tmp_path: Path) -> None:
    home = _home_with(tmp_path, "  prompt_usage: true\n")
    env = {
        "PATH": os.environ["PATH"],
        "ACP_SERVER_HOME": str(home),
        "ACP_SERVER_FEATURES": "-session_fork,session_title",
    }
    out = subprocess.run(
        [str(Path(sys.executable).parent / "acp-server"), "features"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    rows = {line.split()[0]: line.split()[1:3] for line in out.splitlines() if line[:1] != " "}
    assert rows == {
        "session_fork": ["off", "(ACP_SERVER_FEATURES)"],
        "session_title": ["on", "(ACP_SERVER_FEATURES)"],
        "session_system_prompt": ["off", "(default)"],
        "prompt_usage": ["on", "(config.yaml)"],
    }


async def test_flags_from_environment_and_config_reach_initialize_without_extra_imports(
    tmp_path: Path,
) -> None:
    from tests.server.test_stdio_process import spawn

    home = _home_with(tmp_path, "  session_fork: false\n")
    dump = tmp_path / "modules.txt"
    proc = await spawn(
        home, env={"ACP_SERVER_FEATURES": "session_title", "ACP_SERVER_DEBUG_MODULES": str(dump)}
    )
    reply = await proc.call("initialize", {"protocolVersion": 1})
    _, err, code = await proc.finish()
    caps = reply["result"]["agentCapabilities"]["sessionCapabilities"]
    modules = set(dump.read_text().split())
    assert code == 0 and err == b""
    assert "title" in caps and "fork" not in caps
    assert "yaml" not in modules and "acp_server.config.loader" not in modules
