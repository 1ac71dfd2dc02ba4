"""`acp-server run --session ID` takes the session's turn across processes,
as an editor's prompt does: while an editor's agent runs a turn in that
session, `run` refuses (exit 1, saying why, after a second's wait for the
claim) instead of running a second turn into the same history; once the
editor's turn is over, `run` goes on from everything the editor's turn stored."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.cli.test_commands import ACP_SERVER
from tests.server.test_stdio_process import spawn


async def run_cli(home: Path, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        ACP_SERVER,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "ACP_SERVER_HOME": str(home)},
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_run_session_refuses_while_an_editor_runs_a_turn_and_continues_after(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    proc = await (await spawn(home)).started()
    session = (await proc.new_session(tmp_path))["sessionId"]
    prompt_id = await proc.send(
        "session/prompt",
        {"sessionId": session, "prompt": [{"type": "text", "text": "say started\nwait 30"}]},
    )
    assert prompt_id is not None
    while (await proc.frame()).get("params", {}).get("update", {}).get(
        "sessionUpdate"
    ) != "agent_message_chunk":
        pass  # the model answers: the turn is claimed
    busy = await run_cli(
        home, "run", "--model", "scripted", "--json", "--session", session, "say clash"
    )
    await proc.send("session/cancel", {"sessionId": session}, notify=True)
    answered = await proc.reply(prompt_id)
    assert answered.get("result", {}).get("stopReason") == "cancelled", answered
    await proc.finish()
    after = await run_cli(
        home, "run", "--model", "scripted", "--json", "--session", session, "recall"
    )

    code, out, err = busy
    assert code == 1, (out, err)
    assert "running a turn in another acp-server process" in err
    assert "clash" not in out
    code, out, _ = after
    assert code == 0
    texts = "".join(
        e.get("text", "") for e in map(json.loads, out.splitlines()) if e["type"] == "text"
    )
    assert "say started" in texts  # recalled: the editor's cancelled prompt is in the history
