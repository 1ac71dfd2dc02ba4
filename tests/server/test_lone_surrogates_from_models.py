"""A model's text, thinking or tool arguments holding a lone surrogate (a
provider's JSON escaped half a pair, `"\\ud83d"`, and the SDK decoded it
into one) reach the editor and the history with U+FFFD in its place. Before,
the frame could not be encoded and the turn ended in -32603, and every later
history write of the session failed the same way."""

from __future__ import annotations

import json
from pathlib import Path

from acp_server.store import SessionStore
from tests.server.harness import Editor, connect
from tests.server.test_failed_turns import config_for
from tests.support.fake_provider import FakeProvider, openai_stream


def _chunks(editor: Editor, session: str, kind: str) -> str:
    return "".join(u["content"]["text"] for u in editor.session_updates(session, kind))


async def test_text_and_thinking_with_a_lone_surrogate_are_shown_and_stored_with_ufffd(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(openai_stream("caf\ud83d!", reasoning="th\udc00ink"), openai_stream("next"))
        async with connect(home, config=config_for(home, fake)) as (editor, _):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            first = await editor.prompt(session, "hi")
            second = await editor.prompt(session, "again")  # the history still encodes
            assert first["stopReason"] == second["stopReason"] == "end_turn"
            assert _chunks(editor, session, "agent_message_chunk") == "caf\ufffd!next"
            assert _chunks(editor, session, "agent_thought_chunk") == "th\ufffdink"
        sent_back = json.dumps(fake.requests[1].body["messages"])
        assert "caf\\ufffd!" in sent_back  # the second request carried the repaired text
    store = SessionStore.open(home / "sessions.db")
    try:
        record = store.get(session)
        assert record is not None
        assert record.messages[1]["content"] == "caf\ufffd!"
    finally:
        store.close()


async def test_tool_arguments_with_a_lone_surrogate_run_with_ufffd(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (tmp_path / "x\ufffd.txt").write_text("found it")
    arguments = json.dumps({"path": "x\ud83d.txt"})  # ASCII JSON holding the escape
    async with FakeProvider() as fake:
        fake.enqueue(
            openai_stream(tool_calls=[("call_1", "read_file", arguments)]),
            openai_stream("done"),
        )
        async with connect(home, config=config_for(home, fake)) as (editor, _):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            reply = await editor.prompt(session, "read it")
            assert reply["stopReason"] == "end_turn"
            assert _chunks(editor, session, "agent_message_chunk") == "done"
        tool_result = json.dumps(fake.requests[1].body["messages"][-1])
        assert "found it" in tool_result
