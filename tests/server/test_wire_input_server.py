"""Hostile wire input against the real AgentServer, over the real protocol in
memory: bad params are -32602 before any reply, odd text is answered with its
id, and an oversized reply from the editor fails its call at once."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from acp_server.config import load_config
from acp_server.server.app import AgentServer
from protocol import Endpoint, ErrorCode, RpcError, memory_pipe
from tests.protocol.conftest import RawPeer
from tests.server.harness import Editor, connect


class RawEditor(RawPeer):
    """An editor that writes its frames by hand, so any byte can be sent."""

    async def reply_to(self, request_id: object, timeout: float = 10) -> dict[str, Any]:
        while True:
            frame = await self.receive(timeout)
            if frame.get("id") == request_id and "method" not in frame:
                return frame

    async def call(self, request_id: object, method: str, params: Any) -> dict[str, Any]:
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        return await self.reply_to(request_id)


@asynccontextmanager
async def raw_editor(home: Path, **flags: Any) -> AsyncIterator[RawEditor]:
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    max_line_bytes = flags.pop("max_line_bytes", 1 << 20)
    config = load_config(home, flags={"model": "scripted", **flags}, env={})
    server = AgentServer(config, home)
    (a_reader, a_writer), (c_reader, c_writer) = memory_pipe()
    requests, notifications = server.routes()
    server.endpoint = Endpoint(
        a_reader,
        a_writer,
        requests=requests,
        notifications=notifications,
        max_line_bytes=max_line_bytes,
        name="agent",
    )
    task = asyncio.create_task(server.endpoint.run())
    try:
        yield RawEditor(c_reader, c_writer)
    finally:
        c_writer.close()
        await asyncio.wait_for(task, 10)  # raises if the reader died
        await server.shutdown()


def prompt_frame(request_id: object, session: str, blocks: list[Any]) -> dict[str, Any]:
    params = {"sessionId": session, "prompt": blocks}
    return {"jsonrpc": "2.0", "id": request_id, "method": "session/prompt", "params": params}


# ------------------------------------------------------------ cwd


@pytest.mark.parametrize(
    "params",
    [
        {"cwd": "/tmp/a\u0000b", "mcpServers": []},
        {"cwd": "/tmp/a\u0000b", "mcpServers": [], "additionalDirectories": []},
        {"cwd": "/tmp", "mcpServers": [], "additionalDirectories": ["/tmp/x\u0000"]},
        {"cwd": "relative", "mcpServers": []},
    ],
)
async def test_session_new_with_a_nul_or_relative_cwd_is_invalid_params_and_opens_nothing(
    tmp_path: Path, params: dict[str, Any]
) -> None:
    async with connect(tmp_path / "home") as (editor, server):
        await editor.initialize()
        with pytest.raises(RpcError) as refused:
            await editor.call("session/new", params)
        listed = await editor.call("session/list", {})
        alive = await editor.new_session(tmp_path)
        result = await editor.prompt(alive, "say alive")
        opened = list(server.sessions)
    assert refused.value.code == ErrorCode.INVALID_PARAMS
    assert listed["sessions"] == [] and opened == [alive]
    assert result["stopReason"] == "end_turn"


@pytest.mark.parametrize("method", ["session/load", "session/resume", "session/fork"])
async def test_a_nul_cwd_in_load_resume_or_fork_is_invalid_params_and_keeps_the_session(
    tmp_path: Path, method: str
) -> None:
    async with connect(tmp_path / "home") as (editor, server):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        params = {"sessionId": session, "cwd": "/tmp/\u0000", "mcpServers": []}
        with pytest.raises(RpcError) as refused:
            await editor.call(method, params)
        result = await editor.prompt(session, "say still here")
        opened = list(server.sessions)
    assert refused.value.code == ErrorCode.INVALID_PARAMS
    assert result["stopReason"] == "end_turn" and opened == [session]


# ------------------------------------------------------------ cursor


@pytest.mark.parametrize(
    "cursor",
    [
        base64.urlsafe_b64encode(b"offset:" + b"9" * 30).decode(),
        base64.urlsafe_b64encode(b"offset:" + b"9" * 5000).decode(),
        base64.urlsafe_b64encode(b"offset:9223372036854775808").decode(),
        "A" * 100_000,
        "\u0000",
    ],
)
async def test_a_huge_or_malformed_session_list_cursor_is_invalid_params(
    tmp_path: Path, cursor: str
) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        with pytest.raises(RpcError) as refused:
            await editor.call("session/list", {"cursor": cursor})
    assert refused.value.code == ErrorCode.INVALID_PARAMS
    assert len(refused.value.message) < 300  # the cursor is not echoed back whole


async def test_a_cursor_the_server_made_still_pages(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        for _ in range(51):
            await editor.new_session(tmp_path)
        first = await editor.call("session/list", {})
        second = await editor.call("session/list", {"cursor": first["nextCursor"]})
    assert len(first["sessions"]) == 50 and len(second["sessions"]) == 1


# ------------------------------------------------------------ resource links


@pytest.mark.parametrize("fs", [False, True], ids=["local-read", "editor-read"])
@pytest.mark.parametrize("uri", ["file:///tmp/a%00b.txt", "file:///tmp/a\u0000b.txt"])
async def test_a_resource_link_with_a_nul_in_its_uri_becomes_a_note_to_the_model(
    tmp_path: Path, uri: str, fs: bool
) -> None:
    async with connect(tmp_path / "home", Editor(fs=fs)) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        link = {"type": "resource_link", "uri": uri, "name": "a.txt"}
        result = await editor.call(
            "session/prompt", {"sessionId": session, "prompt": [link]}, timeout=20
        )
    assert result["stopReason"] == "end_turn"
    assert editor.text(session).startswith("[attached ")  # the scripted model echoes the note


# ------------------------------------------------------------ lone surrogates


async def test_a_prompt_holding_a_lone_surrogate_is_answered_with_its_id(tmp_path: Path) -> None:
    async with raw_editor(tmp_path / "home") as editor:
        await editor.call("init", "initialize", {"protocolVersion": 1})
        new = await editor.call("new", "session/new", {"cwd": str(tmp_path), "mcpServers": []})
        session = new["result"]["sessionId"]
        line = json.dumps(prompt_frame(42, session, [{"type": "text", "text": "say hi X"}]))
        editor.send_line(line.replace("X", "\\ud83d"))
        answer = await editor.reply_to(42)
    assert answer["result"]["stopReason"] == "end_turn"


# ------------------------------------------------------------ oversized replies


async def test_an_oversized_fs_reply_from_the_editor_fails_the_read_at_once(tmp_path: Path) -> None:
    """The editor answers `fs/read_text_file` with a line over the frame limit;
    the read fails at once (the call timeout is 300 s), the turn ends, and the
    agent does not answer the editor's reply."""
    async with raw_editor(tmp_path / "home", max_line_bytes=4096) as editor:
        caps = {"fs": {"readTextFile": True, "writeTextFile": True}}
        await editor.call("init", "initialize", {"protocolVersion": 1, "clientCapabilities": caps})
        new = await editor.call("new", "session/new", {"cwd": str(tmp_path), "mcpServers": []})
        session = new["result"]["sessionId"]
        text = f"read {tmp_path / 'a.txt'}\nsay done"
        editor.send(prompt_frame("turn", session, [{"type": "text", "text": text}]))
        frames = []
        while (frame := await editor.receive(10)).get("method") != "fs/read_text_file":
            frames.append(frame)
        content = {"content": "x" * 10_000}
        editor.send({"jsonrpc": "2.0", "id": frame["id"], "result": content})
        while (frame := await editor.receive(10)).get("id") != "turn":
            frames.append(frame)
    assert frame["result"]["stopReason"] == "end_turn"
    statuses = [
        f["params"]["update"].get("status")
        for f in frames
        if f.get("method") == "session/update"
        and f["params"]["update"]["sessionUpdate"] == "tool_call_update"
    ]
    assert statuses[-1] == "failed"
    assert not [f for f in frames if "error" in f]  # nothing answered the editor's reply
