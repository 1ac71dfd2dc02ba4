"""Choosing a model whose provider SDK is not installed is refused when it is
chosen, by `session/set_config_option` and the legacy `session/set_model` as
by `session/new`: -32000 with the install command, the session's model
unchanged, and the process alive (before, the change was accepted and the
next prompt failed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.cli.test_failed_turns_cli import BIN, hiding_anthropic, profile
from tests.server.test_stdio_process import Proc

ANTHROPIC_MODEL = "anthropic:claude-haiku-4-5"


async def started(tmp_path: Path) -> Proc:
    home = profile(tmp_path, None)  # an OpenAI model, whose SDK is installed
    process = await asyncio.create_subprocess_exec(
        str(BIN / "acp-server"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=hiding_anthropic(tmp_path, home),
    )
    return await Proc(process).started()


def current_model(options: list[dict[str, object]]) -> object:
    return next(o["currentValue"] for o in options if o["id"] == "model")


async def test_a_model_whose_sdk_is_missing_is_refused_by_set_config_option(
    tmp_path: Path,
) -> None:
    proc = await started(tmp_path)
    new = await proc.new_session(tmp_path)
    session = new["sessionId"]
    before = current_model(new["configOptions"])
    refused = await proc.call(
        "session/set_config_option",
        {"sessionId": session, "configId": "model", "value": ANTHROPIC_MODEL},
    )
    legacy = await proc.call(
        "session/set_model", {"sessionId": session, "modelId": ANTHROPIC_MODEL}
    )
    alive = await proc.call(
        "session/set_config_option",
        {"sessionId": session, "configId": "mode", "value": "read-only"},
    )
    _, err, _ = await proc.finish()
    for reply in (refused, legacy):
        assert reply["error"]["code"] == -32000, reply
        assert "pip install anthropic" in reply["error"]["data"]["fix"]
    assert current_model(alive["result"]["configOptions"]) == before
    assert b"Traceback" not in err
