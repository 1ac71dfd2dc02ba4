"""Notices through the real protocol, with the client's `session.notices`
opt-in on and off.

With the opt-in, retries, fallbacks, MCP servers that failed and budget
warnings arrive as `notice` updates (valid against the vendored schema, which
the harness checks on every frame) and never as agent text. Without it the
client sees the same text as before notices existed, and never a `notice`
(the tracer's `unadvertised-update` rule, run on every transcript). Either
way, none of it is stored: a `session/load` replays no notice and no notice
text, and the model's history never holds it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.server.harness import Editor, connect
from tests.server.test_failed_turns import config_for
from tests.support.fake_provider import FakeProvider, error, openai_stream

NOTICES = {"session": {"notices": {}}}


def opt_ins(opted: bool) -> dict[str, Any]:
    return NOTICES if opted else {}


def stored_text(server: Any, session: str) -> bytes:
    return b"".join(bytes(p) for p in server.store.updates(session))


async def reload(home: Path, config: Any, session: str, cwd: Path, opted: bool) -> Editor:
    async with connect(home, config=config) as (editor, _):
        await editor.initialize(**opt_ins(opted))
        await editor.call("session/load", {"sessionId": session, "cwd": str(cwd), "mcpServers": []})
    return editor


@pytest.mark.parametrize("opted", [False, True], ids=["without-opt-in", "with-opt-in"])
async def test_a_retry_is_a_notice_with_the_opt_in_and_text_without_and_never_stored(
    tmp_path: Path, opted: bool
) -> None:
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(error(503, "overloaded", headers={"retry-after": "0"}))
        fake.enqueue(openai_stream(text="fine now"))
        config = config_for(home, fake)
        async with connect(home, config=config) as (editor, server):
            await editor.initialize(**opt_ins(opted))
            session = await editor.new_session(tmp_path)
            result = await editor.prompt(session, "hi", timeout=30)
            stored = stored_text(server, session)
            history = json.dumps(server.sessions[session].messages)
        replayed = await reload(home, config, session, tmp_path, opted)
    notices = editor.session_updates(session, "notice")
    assert result["stopReason"] == "end_turn"
    if opted:
        assert [n["severity"] for n in notices] == ["warning"]
        assert "Retrying" in notices[0]["title"] and "overloaded" in notices[0]["description"]
        assert editor.text(session) == "fine now"
    else:
        assert notices == [] and "Retrying" in editor.text(session)
    assert b"Retrying" not in stored and "Retrying" not in history
    assert not replayed.session_updates(session, "notice")
    assert "Retrying" not in replayed.text(session)


@pytest.mark.parametrize("opted", [False, True], ids=["without-opt-in", "with-opt-in"])
async def test_a_fallback_to_another_model_is_a_notice_with_the_opt_in(
    tmp_path: Path, opted: bool
) -> None:
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(error(401, "invalid api key"))
        config = config_for(home, fake, fallback_providers="scripted")
        async with connect(home, config=config) as (editor, server):
            await editor.initialize(**opt_ins(opted))
            session = await editor.new_session(tmp_path)
            result = await editor.prompt(session, "say from the fallback", timeout=30)
            stored = stored_text(server, session)
    notices = editor.session_updates(session, "notice")
    assert result["stopReason"] == "end_turn"
    assert "from the fallback" in editor.text(session)
    if opted:
        assert [n["severity"] for n in notices] == ["warning"]
        assert "falling back to scripted" in notices[0]["title"]
        assert "falling back" not in editor.text(session)
    else:
        assert notices == [] and "falling back to scripted" in editor.text(session)
    assert b"falling back" not in stored


def _missing_mcp_server(tmp_path: Path) -> dict[str, Any]:
    return {"name": "gone", "command": str(tmp_path / "no-such-server"), "args": [], "env": []}


@pytest.mark.parametrize("opted", [False, True], ids=["without-opt-in", "with-opt-in"])
async def test_an_mcp_server_that_cannot_start_is_reported_as_a_notice_with_the_opt_in(
    tmp_path: Path, opted: bool
) -> None:
    home = tmp_path / "home"
    async with connect(home) as (editor, server):
        await editor.initialize(**opt_ins(opted))
        session = await editor.new_session(tmp_path, mcpServers=[_missing_mcp_server(tmp_path)])
        await editor.prompt(session, "say still here")
        stored = stored_text(server, session)
    notices = editor.session_updates(session, "notice")
    if opted:
        assert [n["severity"] for n in notices] == ["error"] and "gone" in notices[0]["title"]
        assert editor.text(session) == "still here"
    else:
        assert notices == [] and "gone" in editor.text(session)
        assert editor.text(session).endswith("still here")
    assert b"no-such-server" not in stored


@pytest.mark.parametrize("opted", [False, True], ids=["without-opt-in", "with-opt-in"])
async def test_a_spent_budget_is_a_notice_and_the_turn_says_why_it_stopped(
    tmp_path: Path, opted: bool
) -> None:
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(openai_stream(text="first", usage=(1_000_000, 1_000_000)))
        config = config_for(home, fake, **{"agent.max_budget_usd": 0.01})
        async with connect(home, config=config) as (editor, server):
            await editor.initialize(**opt_ins(opted))
            session = await editor.new_session(tmp_path)
            await editor.prompt(session, "spend", timeout=30)
            stopped = await editor.prompt(session, "spend more", timeout=30)
            stored = stored_text(server, session)
            history = json.dumps(server.sessions[session].messages)
    notices = editor.session_updates(session, "notice")
    assert stopped["stopReason"] == "max_turn_requests"
    if opted:
        assert [n["severity"] for n in notices] == ["warning"] and "budget" in notices[0]["title"]
        assert "budget" not in editor.text(session)
    else:
        assert notices == [] and "budget" in editor.text(session)
    assert b"budget" not in stored and "budget" not in history
