"""A config.yaml the server cannot use is reported to the editor in the first
session, through the real process: as an error `notice` right after the
session response for a client that opted in to notices, otherwise as the
error of the first prompt (-32000, kind `configuration`, naming the file).
The server never runs on defaults silently, and never answers "no model is
configured" when the model is missing because config.yaml was refused."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.server.test_stdio_process import ACP_SERVER, Proc

BAD = "model: scripted\nagent: 5\n"  # `agent` must be a table: the whole file is refused
NOTICES = {"session": {"notices": {}}}


async def spawn(home: Path, *args: str) -> Proc:
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    (home / "config.yaml").write_text(BAD)
    process = await asyncio.create_subprocess_exec(
        ACP_SERVER,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home)},
    )
    return Proc(process)


async def open_session(proc: Proc, cwd: Path, caps: dict[str, Any]) -> str:
    await proc.call("initialize", {"protocolVersion": 1, "clientCapabilities": caps})
    return str((await proc.new_session(cwd))["sessionId"])


async def prompt(proc: Proc, session: str, text: str) -> tuple[dict[str, Any], list[Any]]:
    request = await proc.send(
        "session/prompt", {"sessionId": session, "prompt": [{"type": "text", "text": text}]}
    )
    updates = []
    while True:
        frame = await proc.frame()
        if frame.get("method") == "session/update":
            updates.append(frame["params"]["update"])
        elif frame.get("id") == request:
            return frame, updates


def notices(proc: Proc) -> list[dict[str, Any]]:
    frames = [json.loads(line) for line in proc.lines]
    return [
        f["params"]["update"]
        for f in frames
        if f.get("method") == "session/update"
        and f["params"]["update"]["sessionUpdate"] == "notice"
    ]


@pytest.mark.parametrize("model_flag", [False, True], ids=["model-from-config", "model-flag"])
async def test_without_notices_the_first_prompt_fails_naming_the_config_file(
    tmp_path: Path, model_flag: bool
) -> None:
    home = tmp_path / "home"
    proc = await spawn(home, *(["--model", "scripted"] if model_flag else []))
    session = await open_session(proc, tmp_path, {})
    first, _ = await prompt(proc, session, "say hi")
    second, _ = await prompt(proc, session, "say again")
    await proc.finish()
    assert first["error"]["code"] == -32000
    assert first["error"]["data"]["kind"] == "configuration"
    assert first["error"]["data"]["file"] == str(home / "config.yaml")
    assert notices(proc) == []
    if model_flag:  # reported once; the next prompt runs on what is usable
        assert second["result"]["stopReason"] == "end_turn"
    else:  # still no model: the error keeps naming the file that was refused
        assert second["error"]["data"]["file"] == str(home / "config.yaml")


async def test_with_notices_the_config_problem_is_an_error_notice_of_the_first_session(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    proc = await spawn(home, "--model", "scripted")
    session = await open_session(proc, tmp_path, NOTICES)
    answered, _ = await prompt(proc, session, "say hi")
    other = (await proc.new_session(tmp_path))["sessionId"]
    await prompt(proc, other, "say hi")
    await proc.finish()
    shown = notices(proc)
    assert answered["result"]["stopReason"] == "end_turn"
    assert [n["severity"] for n in shown] == ["error"]  # the first session only
    assert str(home / "config.yaml") in shown[0]["title"] + shown[0].get("description", "")
