"""When a session's title is stored and told: after the first update of its
first turn (the title's SQLite write and update used to delay the first
token), before the reply; at once for a slash command; also for a turn
cancelled before any output; and never over a title the client set while
the first turn was starting."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from acp_server.config import load_config
from tests.server.harness import Editor, connect
from tests.server.test_failed_turns import config_for
from tests.support.fake_provider import FakeProvider, mid_stream, openai_stream


def _kinds(editor: Editor, session: str) -> list[str]:
    return [u["sessionUpdate"] for u in editor.session_updates(session)]


async def _listed_title(editor: Editor, cwd: Path) -> object:
    listed = await editor.call("session/list", {"cwd": str(cwd)})
    return listed["sessions"][0].get("title")


async def test_a_new_title_follows_the_first_model_output_and_precedes_the_reply(
    tmp_path: Path,
) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        reply = await editor.prompt(session, "say Refactor the parser")
        kinds = _kinds(editor, session)
        assert reply["stopReason"] == "end_turn"
        assert kinds.index("agent_message_chunk") < kinds.index("session_info_update"), kinds
        [info] = editor.session_updates(session, "session_info_update")
        assert info["title"] == "say Refactor the parser"
        assert await _listed_title(editor, tmp_path) == "say Refactor the parser"


async def test_a_slash_command_prompt_is_titled_before_its_reply(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        await editor.prompt(session, "/help")
        kinds = _kinds(editor, session)
        assert kinds.index("session_info_update") < kinds.index("agent_message_chunk"), kinds
        assert await _listed_title(editor, tmp_path) == "/help"


async def test_a_first_turn_cancelled_before_any_output_still_names_the_session(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(mid_stream(openai_stream("never shown"), stall_after=0))  # holds on
        config = config_for(home, fake)
        async with connect(home, config=config) as (editor, _):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            turn = asyncio.ensure_future(editor.prompt(session, "Explain the parser", 30))
            async with asyncio.timeout(20):
                while not fake.requests:  # the model has the request: the turn runs
                    await asyncio.sleep(0.01)
            await editor.endpoint.notify("session/cancel", {"sessionId": session})
            assert (await turn)["stopReason"] == "cancelled"
            assert "agent_message_chunk" not in _kinds(editor, session)
            [info] = editor.session_updates(session, "session_info_update")
            assert info["title"] == "Explain the parser"
            assert await _listed_title(editor, tmp_path) == "Explain the parser"


class _TitlingEditor(Editor):
    """Sets the session's title while the agent reads the prompt's attachment:
    after the turn decided to name the session, before its first output."""

    session = ""

    async def _read(self, params: Any) -> Any:
        await self.call("session/set_title", {"sessionId": self.session, "title": "Mine"})
        return await super()._read(params)


async def test_a_title_the_client_sets_while_the_first_turn_starts_is_kept(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "config.yaml").write_text("model: scripted\nfeatures:\n  session_title: true\n")
    (tmp_path / "notes.txt").write_text("attached")
    editor = _TitlingEditor(fs=True)
    async with connect(home, editor, config=load_config(home, env={})) as (editor, _):
        await editor.initialize()
        session = editor.session = await editor.new_session(tmp_path)
        prompt = [
            {"type": "text", "text": "say generated title"},
            {"type": "resource_link", "uri": (tmp_path / "notes.txt").as_uri(), "name": "notes"},
        ]
        reply = await editor.call("session/prompt", {"sessionId": session, "prompt": prompt}, 20)
        assert reply["stopReason"] == "end_turn"
        assert not editor.session_updates(session, "session_info_update")
        assert await _listed_title(editor, tmp_path) == "Mine"
