"""MCP through real servers written with the SDK's server side: stdio, streamable
HTTP and SSE on loopback, then through a real ACP session."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from agent.events import ImageContent, Notice
from agent.mcp import McpHub, McpServerSpec
from tests.server.harness import Editor, connect

APP = str(Path(__file__).parent / "server_app.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(transport: str, markers: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, APP, transport, str(port), str(markers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{transport} MCP server did not start")


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[int]:
    process, port = serve("http", tmp_path)
    yield port
    process.kill()
    process.wait()


@pytest.fixture
def sse_server(tmp_path: Path) -> Iterator[int]:
    process, port = serve("sse", tmp_path)
    yield port
    process.kill()
    process.wait()


def stdio_spec(markers: Path, name: str = "local") -> McpServerSpec:
    return McpServerSpec(name, "stdio", command=sys.executable, args=(APP, "stdio", str(markers)))


@pytest.fixture
async def hub() -> AsyncIterator[McpHub]:
    hub = McpHub(connect_timeout=30, call_timeout=10)
    yield hub
    await hub.aclose()


def children() -> set[int]:
    me = os.getpid()
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().split()
            except OSError:
                continue
            if int(stat[3]) == me and stat[2] != "Z":
                found.add(int(entry.name))
    return found


async def test_stdio_tools_are_namespaced_and_results_become_content(
    tmp_path: Path, hub: McpHub
) -> None:
    notices: list[Notice] = []
    attachment = await hub.attach([stdio_spec(tmp_path, "my server!")], on_notice=notices.append)
    tools = {t.spec.name: t for t in attachment.tools()}
    assert (
        "mcp__my_server___echo" in tools
        and tools["mcp__my_server___peek"].access({}, "/").read_only_hint
    )
    added = await tools["mcp__my_server___add"].run({"a": 2, "b": 40}, None)  # type: ignore[arg-type]
    failed = await tools["mcp__my_server___fail"].run({}, None)  # type: ignore[arg-type]
    image = await tools["mcp__my_server___image"].run({}, None)  # type: ignore[arg-type]
    assert added.model_text == "42" and not added.is_error
    assert failed.is_error
    assert isinstance(image.content[0], ImageContent) and image.content[0].mime_type == "image/png"
    assert any("connected" in n.text for n in notices)


async def test_http_headers_reach_the_server_and_sse_works(
    tmp_path: Path, hub: McpHub, http_server: int, sse_server: int
) -> None:
    specs = [
        McpServerSpec(
            "web",
            "http",
            url=f"http://127.0.0.1:{http_server}/mcp",
            headers=(("X-Test", "secret-header"),),
        ),
        McpServerSpec("events", "sse", url=f"http://127.0.0.1:{sse_server}/sse"),
    ]
    attachment = await hub.attach(specs)
    tools = {t.spec.name: t for t in attachment.tools()}
    assert (
        await tools["mcp__web__echo"].run({"text": "over http"}, None)
    ).model_text == "over http"  # type: ignore[arg-type]
    assert (await tools["mcp__events__add"].run({"a": 1, "b": 1}, None)).model_text == "2"  # type: ignore[arg-type]
    assert {s.state for s in attachment.status()} == {"ready"}


async def test_a_dying_stdio_server_is_reported_with_its_stderr_and_others_keep_working(
    tmp_path: Path, hub: McpHub, http_server: int
) -> None:
    notices: list[Notice] = []
    specs = [
        stdio_spec(tmp_path),
        McpServerSpec("web", "http", url=f"http://127.0.0.1:{http_server}/mcp"),
    ]
    attachment = await hub.attach(specs, on_notice=notices.append)
    tools = {t.spec.name: t for t in attachment.tools()}
    crashed = await tools["mcp__local__crash"].run({}, None)  # type: ignore[arg-type]
    assert crashed.is_error
    for _ in range(200):
        if any(n.level == "error" for n in notices):
            break
        await asyncio.sleep(0.05)
    errors = [n.text for n in notices if n.level == "error"]
    assert errors and "local" in errors[0] and "stdio" in errors[0]
    assert "goodbye" in errors[0] or "test server starting" in errors[0]
    assert (await tools["mcp__web__add"].run({"a": 2, "b": 2}, None)).model_text == "4"  # type: ignore[arg-type]


async def test_a_server_that_never_answers_does_not_delay_attach_beyond_the_bound(
    tmp_path: Path,
) -> None:
    hub = McpHub(connect_timeout=0.5, call_timeout=5)
    silent = McpServerSpec(
        "silent", "stdio", command=sys.executable, args=("-c", "import time; time.sleep(60)")
    )
    notices: list[Notice] = []
    start = time.monotonic()
    attachment = await hub.attach([silent, stdio_spec(tmp_path)], on_notice=notices.append)
    elapsed = time.monotonic() - start
    await hub.aclose()
    assert elapsed < 5
    assert any("still connecting" in n.text for n in notices)
    assert attachment.status()[0].state in ("connecting", "closed", "failed")


async def test_closing_leaves_no_child_process_and_identical_specs_share_one(
    tmp_path: Path,
) -> None:
    hub = McpHub(connect_timeout=30)
    before = children()
    first = await hub.attach([stdio_spec(tmp_path)])
    second = await hub.attach([stdio_spec(tmp_path)])
    spawned = children() - before
    assert len(spawned) == 1
    await first.close()
    assert children() - before == spawned  # still used by the second session
    await second.close()
    for _ in range(100):
        if not children() - before:
            break
        await asyncio.sleep(0.05)
    assert not children() - before


async def test_cancelling_a_call_cancels_it_on_the_server(tmp_path: Path, hub: McpHub) -> None:
    attachment = await hub.attach([stdio_spec(tmp_path)])
    slow = next(t for t in attachment.tools() if t.spec.name == "mcp__local__slow")
    call = asyncio.create_task(slow.run({"seconds": 30}, None))  # type: ignore[arg-type]
    await asyncio.sleep(0.5)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    for _ in range(100):
        if (tmp_path / "slow-cancelled").exists():
            break
        await asyncio.sleep(0.05)
    assert (tmp_path / "slow-cancelled").exists()


async def test_an_acp_session_calls_mcp_tools_through_the_permission_flow(tmp_path: Path) -> None:
    server = {
        "name": "local",
        "command": sys.executable,
        "args": [APP, "stdio", str(tmp_path)],
        "env": [{"name": "SECRET_TOKEN", "value": "do-not-log"}],
    }
    editor = Editor(permission="allow_once")
    async with connect(tmp_path / "home", editor) as (editor, _):
        await editor.initialize()
        result = await editor.call(
            "session/new", {"cwd": str(tmp_path), "mcpServers": [server]}, timeout=30
        )
        session = result["sessionId"]
        await editor.prompt(
            session, 'mcp local echo {"text": "via acp"}\nmcp local peek {}', timeout=30
        )
        status = await editor.prompt(session, "/mcp")
    assert status["stopReason"] == "end_turn"
    assert (tmp_path / "echo-called").read_text() == "via acp"
    assert len(editor.permission_requests) == 1  # peek is read-only: allowed without asking
    assert editor.permission_requests[0]["toolCall"]["title"] == "local: echo"
    finals = [
        u["status"]
        for u in editor.session_updates(session, "tool_call_update")
        if u.get("status") in ("completed", "failed")
    ]
    assert finals == ["completed", "completed"]
    assert "| local | stdio | ready" in editor.text(session)
    logs = (tmp_path / "home" / "logs").glob("*")
    assert all("do-not-log" not in p.read_text(errors="replace") for p in logs if p.is_file())


async def test_a_server_that_ignores_eof_and_sigterm_is_killed_within_the_close_bound() -> None:
    # It never answers either, so the SDK's shutdown would escalate for seconds.
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(4242.6)"
    )
    hub = McpHub(connect_timeout=0.5)
    await hub.attach(
        [McpServerSpec("stubborn", "stdio", command=sys.executable, args=("-c", stubborn))]
    )
    before = children()
    assert before, "the server runs"
    began = time.monotonic()
    await hub.aclose(timeout=0.5)
    elapsed = time.monotonic() - began
    assert elapsed < 2.0  # the bound, plus the kill's own grace
    for _ in range(100):
        if not children() & before:
            break
        await asyncio.sleep(0.02)
    assert not children() & before
