"""The wire-input defects against a real `acp-server` process over stdio: each
hostile line gets its answer (with its id where it had one), the process lives,
and a bystander session still completes a prompt."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from protocol import ErrorCode
from tests.server.test_stdio_process import Proc, spawn


def request(request_id: str, method: str, params: Any) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})


async def send_lines(proc: Proc, *lines: str) -> None:
    assert proc.process.stdin
    proc.process.stdin.write("".join(line + "\n" for line in lines).encode())
    await proc.process.stdin.drain()


async def replies(proc: Proc, ids: set[str], nulls: int) -> dict[Any, Any]:
    """Read until every id in `ids` is answered and `nulls` id-null errors came;
    any other reply, or a second one for an id, fails the test."""
    got: dict[Any, Any] = {None: []}
    while set(got) != {*ids, None} or len(got[None]) < nulls:
        frame = await proc.frame()
        if "method" in frame:
            continue
        if frame["id"] is None:
            got[None].append(frame)
            continue
        assert frame["id"] in ids and frame["id"] not in got, frame
        got[frame["id"]] = frame
    return got


def code(reply: dict[str, Any]) -> int | None:
    return reply.get("error", {}).get("code")


async def test_every_hostile_line_is_answered_and_the_process_serves_on(tmp_path: Path) -> None:
    proc = await (await spawn(tmp_path / "home")).started()
    bystander = (await proc.new_session(tmp_path))["sessionId"]
    victim = (await proc.new_session(tmp_path))["sessionId"]
    deep = "[" * 10_000 + "]" * 10_000
    deep_object = '{"a":' * 10_000 + "1" + "}" * 10_000
    huge_cursor = base64.urlsafe_b64encode(b"offset:" + b"9" * 30).decode()
    text = {"type": "text", "text": "say half an emoji: X"}
    link = {"type": "resource_link", "uri": "file:///tmp/a%00b.txt", "name": "a"}
    cancel = {"jsonrpc": "2.0", "method": "$/cancel_request"}
    await send_lines(
        proc,
        f'{{"jsonrpc":"2.0","id":"deep","method":"session/list","params":{deep}}}',
        f'{{"jsonrpc":"2.0","id":"deep-object","method":"session/list","params":{deep_object}}}',
        deep,
        f'{{"jsonrpc":"2.0","method":"session/cancel","params":{deep}}}',  # unanswered
        json.dumps({**cancel, "params": {"requestId": [1]}}),
        json.dumps({**cancel, "params": {"requestId": {"a": 1}}}),
        request("nul-cwd", "session/new", {"cwd": "/tmp/a\u0000b", "mcpServers": []}),
        request("surrogate", "session/prompt", {"sessionId": victim, "prompt": [text]}).replace(
            "X", "\\ud83d"
        ),
        request("cursor", "session/list", {"cursor": huge_cursor}),
        request("link", "session/prompt", {"sessionId": victim, "prompt": [link]}),
    )
    ids = {"deep", "deep-object", "nul-cwd", "surrogate", "cursor", "link"}
    got = await replies(proc, ids, nulls=1)  # the null: for the bare deep array
    (null_id,) = got[None]
    alive = await proc.call(
        "session/prompt",
        {"sessionId": bystander, "prompt": [{"type": "text", "text": "say alive"}]},
    )
    listed = await proc.call("session/list", {})
    rest, stderr, returncode = await proc.finish()
    frames = [json.loads(line) for line in [*proc.lines, *rest.splitlines()]]
    # One id-null error (the bare array); the deep notification got nothing.
    assert [f for f in frames if "method" not in f and f["id"] is None] == [null_id]
    assert code(got["deep"]) == code(got["deep-object"]) == ErrorCode.INVALID_REQUEST
    assert null_id["id"] is None and code(null_id) == ErrorCode.INVALID_REQUEST
    assert code(got["nul-cwd"]) == code(got["cursor"]) == ErrorCode.INVALID_PARAMS
    assert got["surrogate"]["result"]["stopReason"] == "end_turn"
    assert got["link"]["result"]["stopReason"] == "end_turn"
    assert alive["result"]["stopReason"] == "end_turn"
    assert {s["sessionId"] for s in listed["result"]["sessions"]} == {bystander, victim}
    assert returncode == 0 and b"Traceback" not in stderr


async def test_an_oversized_reply_from_the_editor_fails_the_agents_call_at_once(
    tmp_path: Path,
) -> None:
    """`fs/read_text_file` answered with a line over `--max-line-bytes`: the read
    fails at once (the call would wait 300 s), the turn ends and the next works."""
    proc = await spawn(tmp_path / "home", "--max-line-bytes", "4096")
    caps = {"fs": {"readTextFile": True, "writeTextFile": True}}
    await proc.call("initialize", {"protocolVersion": 1, "clientCapabilities": caps})
    session = (await proc.new_session(tmp_path))["sessionId"]
    text = f"read {tmp_path / 'big.txt'}\nsay read over"
    turn = await proc.send(
        "session/prompt", {"sessionId": session, "prompt": [{"type": "text", "text": text}]}
    )
    while (frame := await proc.frame()).get("method") != "fs/read_text_file":
        pass
    big = {"jsonrpc": "2.0", "id": frame["id"], "result": {"content": "x" * 100_000}}
    await send_lines(proc, json.dumps(big))
    seen = []
    while (frame := await proc.frame(timeout=10)).get("id") != turn:
        seen.append(frame)
    again = await proc.call(
        "session/prompt", {"sessionId": session, "prompt": [{"type": "text", "text": "say ok"}]}
    )
    _, stderr, returncode = await proc.finish()
    assert frame["result"]["stopReason"] == "end_turn"
    finals = [
        f["params"]["update"]["status"]
        for f in seen
        if f.get("method") == "session/update"
        and f["params"]["update"].get("status") in ("completed", "failed")
    ]
    assert finals == ["failed"] and not [f for f in seen if "error" in f]
    assert again["result"]["stopReason"] == "end_turn"
    assert returncode == 0 and b"Traceback" not in stderr
