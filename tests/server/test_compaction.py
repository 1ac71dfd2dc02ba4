"""Context compaction through the real protocol, with the client's
`session.compaction` opt-in on and off.

With the opt-in, `/compact` and automatic compression report one compaction:
`compaction_update` in_progress, its summary as `compaction_summary_chunk`s,
then `completed` with the whole summary; a `session/load` replays it to a
client that opted in. Without the opt-in no compaction update is ever sent,
live or replayed (the tracer's `unadvertised-update` rule runs on every
transcript), and the outcome is shown as a notice (with `session.notices`) or
as the text it was shown as before, live only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.server.harness import Editor, connect

COMPACTION = {"compaction": {}}
TIGHT = {"compression.protect_last_n": 2}  # so that two short turns leave something to summarise


def caps(compaction: bool, notices: bool = False) -> dict[str, Any]:
    session: dict[str, Any] = {}
    if compaction:
        session["compaction"] = {}
    if notices:
        session["notices"] = {}
    return {"session": session} if session else {}


async def two_turns_then_compact(editor: Editor, cwd: Path) -> tuple[str, dict[str, Any]]:
    session = await editor.new_session(cwd)
    await editor.prompt(session, "say one")
    await editor.prompt(session, "say two")
    return session, await editor.prompt(session, "/compact")


def compaction_updates(editor: Editor, session: str) -> list[dict[str, Any]]:
    return [
        u
        for u in editor.session_updates(session)
        if u["sessionUpdate"] in ("compaction_update", "compaction_summary_chunk")
    ]


def lifecycle(updates: list[dict[str, Any]]) -> list[str]:
    return [u.get("status", "chunk") for u in updates]


async def test_compact_reports_its_lifecycle_and_summary_to_a_client_that_opted_in(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with connect(home, **TIGHT) as (editor, _):
        await editor.initialize(**caps(compaction=True))
        session, result = await two_turns_then_compact(editor, tmp_path)
    updates = compaction_updates(editor, session)
    assert result["stopReason"] == "end_turn"
    steps = lifecycle(updates)
    assert steps[0] == "in_progress" and steps[-1] == "completed" and "chunk" in steps
    assert len({u["compactionId"] for u in updates}) == 1
    streamed = "".join(u["content"]["text"] for u in updates if "content" in u)
    assert updates[-1]["summary"] == [{"type": "text", "text": streamed}]


@pytest.mark.parametrize("notices", [False, True], ids=["no-opt-in", "notices-only"])
async def test_a_client_without_the_compaction_opt_in_never_gets_compaction_updates(
    tmp_path: Path, notices: bool
) -> None:
    home = tmp_path / "home"
    async with connect(home, **TIGHT) as (editor, server):
        await editor.initialize(**caps(compaction=False, notices=notices))
        session, _ = await two_turns_then_compact(editor, tmp_path)
        stored = b"".join(bytes(p) for p in server.store.updates(session))
    assert compaction_updates(editor, session) == []
    shown = editor.session_updates(session, "notice")
    if notices:
        assert [n["severity"] for n in shown] == ["info"] and "compacted" in shown[0]["title"]
    else:
        assert shown == [] and "Context compacted" in editor.text(session)
    assert b"Context compacted" not in stored  # shown live, never stored as agent text


@pytest.mark.parametrize("opted", [False, True], ids=["without-opt-in", "with-opt-in"])
async def test_a_loaded_session_replays_its_compaction_only_to_a_client_that_opted_in(
    tmp_path: Path, opted: bool
) -> None:
    home = tmp_path / "home"
    async with connect(home, **TIGHT) as (editor, _):
        await editor.initialize(**caps(compaction=True))
        session, _ = await two_turns_then_compact(editor, tmp_path)
    live = compaction_updates(editor, session)
    async with connect(home, **TIGHT) as (again, _):
        await again.initialize(**caps(compaction=opted))
        await again.call(
            "session/load", {"sessionId": session, "cwd": str(tmp_path), "mcpServers": []}
        )
    replayed = compaction_updates(again, session)
    if opted:
        assert lifecycle(replayed) == lifecycle(live)
        assert replayed[-1]["summary"] == live[-1]["summary"]
    else:
        assert replayed == []
    assert "Context compacted" not in again.text(session)


async def test_automatic_compression_is_reported_as_a_compaction_inside_the_turn(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    flags = {**TIGHT, "compression.threshold": 0.0001}
    async with connect(home, **flags) as (editor, _):
        await editor.initialize(**caps(compaction=True))
        session = await editor.new_session(tmp_path)
        await editor.prompt(session, "say one")
        await editor.prompt(session, "say two")
        result = await editor.prompt(session, "say three")
    updates = compaction_updates(editor, session)
    assert result["stopReason"] == "end_turn"
    assert lifecycle(updates)[0] == "in_progress" and lifecycle(updates)[-1] == "completed"
    assert editor.text(session).endswith("three")
