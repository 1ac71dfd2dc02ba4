"""The refreshed stable surfaces through the real protocol: tool-call names,
legacy `session/set_model`, and config values checked against what is offered.
Every frame is validated against the vendored schema by the harness."""

from __future__ import annotations

from pathlib import Path

import pytest

from acp_server.server.app import select_values
from protocol import ErrorCode, RpcError
from tests.server.harness import connect


async def test_every_tool_call_carries_its_programmatic_tool_name(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        await editor.prompt(session_id, "write a.txt 1")
    calls = editor.session_updates(session_id, "tool_call")
    assert calls and all(call.get("name") for call in calls)
    assert calls[0]["name"] == "write_file"


async def test_legacy_set_model_switches_the_model_option(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        created = await editor.call("session/new", {"cwd": str(tmp_path), "mcpServers": []})
        model = next(o for o in created["configOptions"] if o["id"] == "model")
        target = select_values(model["options"])[-1]
        result = await editor.call(
            "session/set_model", {"sessionId": created["sessionId"], "modelId": target}
        )
        await editor.wait_for(
            lambda: editor.session_updates(created["sessionId"], "config_option_update")
        )
    assert result == {}
    update = editor.session_updates(created["sessionId"], "config_option_update")[-1]
    current = next(o for o in update["configOptions"] if o["id"] == "model")["currentValue"]
    assert current == target


@pytest.mark.parametrize("method", ["session/set_config_option", "session/set_model"])
async def test_a_model_that_is_not_offered_is_refused_as_invalid_params(
    tmp_path: Path, method: str
) -> None:
    async with connect(tmp_path / "home") as (editor, server):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        params = (
            {"sessionId": session_id, "configId": "model", "value": "no-such:model"}
            if method == "session/set_config_option"
            else {"sessionId": session_id, "modelId": "no-such:model"}
        )
        with pytest.raises(RpcError) as refused:
            await editor.call(method, params)
        still = server.sessions[session_id].options()
    assert refused.value.code == ErrorCode.INVALID_PARAMS
    assert next(o for o in still if o["id"] == "model")["currentValue"] != "no-such:model"


async def test_an_unknown_thought_level_or_option_is_refused_as_invalid_params(
    tmp_path: Path,
) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        codes = []
        for config_id, value in (("thought_level", "extreme"), ("colour", "blue")):
            with pytest.raises(RpcError) as refused:
                await editor.call(
                    "session/set_config_option",
                    {"sessionId": session_id, "configId": config_id, "value": value},
                )
            codes.append(refused.value.code)
    assert codes == [ErrorCode.INVALID_PARAMS, ErrorCode.INVALID_PARAMS]
