"""A new session is answered before its session object is built (it is built
while the client reads the reply). Against a real `acp-server` over stdio:
a frame naming the session, sent the instant the reply is read, always finds
it, even while another session's stream keeps the writer busy, and the
session's command list still comes before any update of its first turn."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.server.test_stdio_process import Proc, spawn

SESSIONS = 40


async def _open_and_prompt_at_once(proc: Proc, cwd: Path) -> tuple[str, list[dict[str, Any]]]:
    """session/new, then a prompt for it written before anything else is read."""
    request = await proc.send("session/new", {"cwd": str(cwd), "mcpServers": []})
    frames: list[dict[str, Any]] = []
    while True:
        frame = await proc.frame()
        frames.append(frame)
        if frame.get("id") == request and "method" not in frame:
            break
    assert "result" in frame, frame
    session = frame["result"]["sessionId"]
    prompt = [{"type": "text", "text": "hello"}]
    asked = await proc.send("session/prompt", {"sessionId": session, "prompt": prompt})
    while True:
        frame = await proc.frame()
        frames.append(frame)
        if frame.get("id") == asked and "method" not in frame:
            return session, frames


def _updates_of(frames: list[dict[str, Any]], session: str) -> list[str]:
    return [
        f["params"]["update"]["sessionUpdate"]
        for f in frames
        if f.get("method") == "session/update" and f["params"]["sessionId"] == session
    ]


async def test_a_prompt_sent_the_instant_the_reply_arrives_finds_its_session(
    tmp_path: Path,
) -> None:
    proc = await spawn(tmp_path / "home")
    await proc.started()
    streaming = (await proc.new_session(tmp_path))["sessionId"]
    prompt = [{"type": "text", "text": "stream 200000 20"}]
    stream_id = await proc.send("session/prompt", {"sessionId": streaming, "prompt": prompt})
    replies: dict[str, dict[str, Any]] = {}
    frames: list[dict[str, Any]] = []
    for _ in range(SESSIONS):
        session, seen = await _open_and_prompt_at_once(proc, tmp_path)
        frames += seen
        replies[session] = seen[-1]
    stream_ended = [f for f in frames if f.get("id") == stream_id and "method" not in f]
    if not stream_ended:  # still streaming: the sessions above were opened meanwhile
        await proc.send("session/cancel", {"sessionId": streaming}, notify=True)
        stream_ended = [await proc.reply(stream_id, timeout=60)]
    _, stderr, code = await proc.finish()

    assert "result" in stream_ended[0]
    chunks_before_the_last_reply = [
        f
        for f in frames
        if f.get("method") == "session/update" and f["params"]["sessionId"] == streaming
    ]
    assert chunks_before_the_last_reply  # the writer was busy with the stream meanwhile
    for session, reply in replies.items():
        assert reply.get("result", {}).get("stopReason") == "end_turn", reply
        updates = _updates_of(frames, session)
        assert updates[0] == "available_commands_update", updates[:3]
        assert "agent_message_chunk" in updates
    assert code == 0 and b"Traceback" not in stderr


async def test_sessions_opened_back_to_back_are_all_usable(tmp_path: Path) -> None:
    """Many session/new requests written at once, then one prompt each."""
    proc = await spawn(tmp_path / "home")
    await proc.started()
    params = {"cwd": str(tmp_path), "mcpServers": []}
    ids = [await proc.send("session/new", params) for _ in range(SESSIONS)]
    sessions = [(await proc.reply(i))["result"]["sessionId"] for i in ids if i is not None]
    asked = []
    for session in sessions:
        prompt = [{"type": "text", "text": "hi"}]
        asked.append(await proc.send("session/prompt", {"sessionId": session, "prompt": prompt}))
    stops = [(await proc.reply(i))["result"]["stopReason"] for i in asked if i is not None]
    _, stderr, code = await proc.finish()
    assert len(set(sessions)) == SESSIONS
    assert stops == ["end_turn"] * SESSIONS
    assert code == 0 and b"Traceback" not in stderr


async def test_a_refused_directory_is_refused_before_any_session_exists(
    tmp_path: Path,
) -> None:
    """The checks that can fail run before the reply: nothing is built or stored."""
    proc = await spawn(tmp_path / "home")
    await proc.started()
    bad = {"cwd": str(tmp_path), "mcpServers": [], "additionalDirectories": ["relative/dir"]}
    refused = await proc.call("session/new", bad)
    listed = await proc.call("session/list", {})
    _, stderr, code = await proc.finish()
    assert refused["error"]["code"] == -32602
    assert "additionalDirectories" in refused["error"]["message"]
    assert listed["result"]["sessions"] == []
    assert code == 0 and b"Traceback" not in stderr


if __name__ == "__main__":  # pragma: no cover
    asyncio.run(test_a_prompt_sent_the_instant_the_reply_arrives_finds_its_session(Path(".")))
