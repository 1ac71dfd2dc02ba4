"""Odd files against the real server, with the editor's fs and with local disk:
files larger than the read cap, files that are not UTF-8 text, FIFOs and
devices, and file names that are not valid UTF-8. An edit changes exactly what
it says or nothing, and no file stalls the agent."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from acp_server.config import load_config
from tests.server.harness import Editor, connect

FS_MODES = [pytest.param(True, id="editor-fs"), pytest.param(False, id="local-disk")]
BIG_LINES = 80_000  # 3.84 MB: well past the 2 MiB read cap


def _config(home: Path, **flags: Any) -> Any:
    home.mkdir(mode=0o700, exist_ok=True)
    return load_config(home, flags={"model": "scripted", **flags}, env={})


def _big_text() -> str:
    return "".join(f"line {n:07d} of a file larger than the read cap\n" for n in range(BIG_LINES))


def _finals(editor: Editor, session: str) -> list[dict[str, Any]]:
    updates = editor.session_updates(session, "tool_call_update")
    return [u for u in updates if u.get("status") in ("completed", "failed")]


@contextlib.contextmanager
def _fifo_unblocker(fifo: Path, after: float = 5.0) -> Iterator[None]:
    """Code that opens the FIFO and waits for a writer would hang the test run
    for good; this opens the write end once (non-blocking, so it never waits
    itself) so that such code gets EOF and the test can fail instead of hang."""
    done = threading.Event()

    def unblock() -> None:
        if done.wait(after):
            return
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    thread = threading.Thread(target=unblock, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@pytest.mark.parametrize("fs", FS_MODES)
async def test_an_edit_of_a_file_larger_than_the_read_cap_keeps_every_other_byte(
    tmp_path: Path, fs: bool
) -> None:
    big = tmp_path / "big.txt"
    original = _big_text()
    big.write_text(original)
    assert big.stat().st_size > 3 * 1024 * 1024
    editor = Editor(fs=fs, terminal=False)
    async with connect(tmp_path / "home", editor, _config(tmp_path / "home")) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        result = await editor.prompt(
            session, "edit big.txt line 0000001 of => LINE 0000001 OF\nsay done", timeout=60
        )
    assert result["stopReason"] == "end_turn"
    expected = original.replace("line 0000001 of", "LINE 0000001 OF", 1)
    assert big.read_bytes() == expected.encode()
    # What the user approved is the whole change: both sides complete, no marker.
    (asked,) = editor.permission_requests
    (diff,) = [c for c in asked["toolCall"]["content"] if c["type"] == "diff"]
    assert diff["oldText"] == original and diff["newText"] == expected
    assert _finals(editor, session)[-1]["status"] == "completed"


@pytest.mark.parametrize("fs", FS_MODES)
async def test_an_edit_over_the_configured_size_limit_is_refused_and_the_file_is_untouched(
    tmp_path: Path, fs: bool
) -> None:
    big = tmp_path / "big.txt"
    big.write_text(_big_text())
    before = big.read_bytes()
    config = _config(tmp_path / "home", **{"agent.max_edit_bytes": 1024 * 1024})
    editor = Editor(fs=fs, terminal=False)
    async with connect(tmp_path / "home", editor, config) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        result = await editor.prompt(
            session, "edit big.txt line 0000001 of => LINE\nsay done", timeout=60
        )
    assert result["stopReason"] == "end_turn"
    assert big.read_bytes() == before
    assert _finals(editor, session)[-1]["status"] == "failed"
    assert "fs/write_text_file" not in editor.calls
    assert "fs/read_text_file" not in editor.calls  # refused from its size, before reading


@pytest.mark.parametrize("fs", FS_MODES)
@pytest.mark.parametrize(
    "data",
    [
        pytest.param("café\nfoo\n".encode("latin-1"), id="latin-1"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR foo \xff\xfe", id="binary"),
    ],
)
async def test_an_edit_of_a_file_that_is_not_utf8_text_is_refused_byte_for_byte(
    tmp_path: Path, fs: bool, data: bytes
) -> None:
    target = tmp_path / "odd.txt"
    target.write_bytes(data)
    editor = Editor(fs=fs, terminal=False)
    async with connect(tmp_path / "home", editor, _config(tmp_path / "home")) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        result = await editor.prompt(session, "edit odd.txt foo => bar\nsay done")
    assert result["stopReason"] == "end_turn" and "done" in editor.text(session)
    assert target.read_bytes() == data
    assert _finals(editor, session)[-1]["status"] == "failed"
    shown = [c for r in editor.permission_requests for c in r["toolCall"]["content"]]
    assert all(c["type"] != "diff" for c in shown)  # no lossy text offered as the change
    assert "fs/read_text_file" not in editor.calls  # the bytes on disk decided, at once


@pytest.mark.parametrize("fs", FS_MODES)
@pytest.mark.parametrize("verb", ["read", "write", "edit"])
async def test_a_fifo_is_refused_at_once_and_the_session_carries_on(
    tmp_path: Path, fs: bool, verb: str
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    line = {"read": "read pipe", "write": "write pipe hello", "edit": "edit pipe a => b"}[verb]
    editor = Editor(fs=fs, terminal=False)
    async with connect(tmp_path / "home", editor, _config(tmp_path / "home")) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        with _fifo_unblocker(fifo):
            result = await editor.prompt(session, f"{line}\nsay done", timeout=30)
        again = await editor.prompt(session, "say still here")
    assert result["stopReason"] == "end_turn" and again["stopReason"] == "end_turn"
    assert _finals(editor, session)[0]["status"] == "failed"
    assert fifo.is_fifo()  # not replaced by a regular file
    assert not {"fs/read_text_file", "fs/write_text_file"} & set(editor.calls)


@pytest.mark.parametrize("fs", FS_MODES)
async def test_a_device_is_refused_for_reading(tmp_path: Path, fs: bool) -> None:
    editor = Editor(fs=fs, terminal=False)
    async with connect(tmp_path / "home", editor, _config(tmp_path / "home")) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        result = await editor.prompt(session, "read /dev/zero\nsay done")
    assert result["stopReason"] == "end_turn"
    assert _finals(editor, session)[0]["status"] == "failed"
    assert "fs/read_text_file" not in editor.calls


async def test_a_read_shows_the_text_read_in_a_fenced_block(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f():\n    return '```'\n")
    editor = Editor(fs=False, terminal=False)
    async with connect(tmp_path / "home", editor, _config(tmp_path / "home")) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        await editor.prompt(session, "read m.py")
    (final,) = _finals(editor, session)
    (shown,) = [c["content"]["text"] for c in final["content"] if c["type"] == "content"]
    assert shown == "````python\ndef f():\n    return '```'\n````"


async def test_a_file_name_that_is_not_utf8_is_listed_and_the_session_is_still_saved(
    tmp_path: Path,
) -> None:
    from tests.support.fake_provider import FakeProvider, openai_stream

    project = tmp_path / "project"
    project.mkdir()
    with open(os.path.join(os.fsencode(project), b"caf\xe9.txt"), "wb") as handle:
        handle.write(b"x")
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    async with FakeProvider() as fake:
        for tool, args in (("list_dir", {"path": "."}), ("glob", {"pattern": "*.txt"})):
            fake.enqueue(openai_stream(tool_calls=[(f"c_{tool}", tool, json.dumps(args))]))
            fake.enqueue(openai_stream(text=f"{tool} done"))
        fake.enqueue(openai_stream(text="second prompt answered"))
        (home / "config.yaml").write_text(
            f"providers:\n  box:\n    base_url: {fake.base_url}/v1\n    api_key_env: BOX_KEY\n"
        )
        config = load_config(
            home,
            flags={"model": "box:m", "permissions.default_mode": "yolo"},
            env={"BOX_KEY": "k"},
        )
        async with connect(home, Editor(fs=False, terminal=False), config) as (editor, server):
            await editor.initialize()
            session = await editor.new_session(project)
            first = await editor.prompt(session, "list it")
            second = await editor.prompt(session, "glob it")
            third = await editor.prompt(session, "and now?")
            record = server.store.get(session)
    assert [r["stopReason"] for r in (first, second, third)] == ["end_turn"] * 3
    # The model saw the name, with a replacement character for the odd byte.
    results = [json.dumps(seen.body["messages"][-1]) for seen in fake.requests[1:4:2]]
    assert all("caf\\ufffd.txt" in r for r in results)
    assert record is not None
    stored = json.dumps(record.messages)
    assert "second prompt answered" in stored and "caf\\ufffd.txt" in stored


async def test_reading_the_agents_own_stdin_is_refused_and_the_process_still_exits(
    tmp_path: Path,
) -> None:
    """A real `acp-server` over stdio: /dev/stdin is the protocol pipe itself."""
    from tests.server.test_stdio_process import spawn

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    proc = await (await spawn(home)).started()
    session = (await proc.new_session(tmp_path))["sessionId"]
    prompt = [{"type": "text", "text": "read /dev/stdin\nsay done"}]
    request = await proc.send("session/prompt", {"sessionId": session, "prompt": prompt})
    assert request is not None
    frames = []
    while "result" not in (frame := await proc.frame()) or frame.get("id") != request:
        frames.append(frame)
        if frame.get("method") == "session/request_permission":  # /dev is outside the project
            allow = {"outcome": {"outcome": "selected", "optionId": "allow_once"}}
            answer = {"jsonrpc": "2.0", "id": frame["id"], "result": allow}
            assert proc.process.stdin is not None
            proc.process.stdin.write(json.dumps(answer).encode() + b"\n")
    assert frame["result"]["stopReason"] == "end_turn"
    statuses = [
        f["params"]["update"].get("status")
        for f in frames
        if f.get("method") == "session/update"
        and f["params"]["update"]["sessionUpdate"] == "tool_call_update"
    ]
    assert "failed" in statuses and "completed" not in statuses
    _, _, code = await proc.finish()  # stdin closes: the process must go within 10 s
    assert code == 0
