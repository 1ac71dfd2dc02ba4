"""Turn lifecycle and order under load, on one connection.

- 20 sessions each run 5 turns of write, run (in an editor terminal) and say
  at once: per session, every update of a turn is on the wire before its
  response, every tool call ends completed, and causal order holds (the
  harness checks the tracer's rules on every frame).
- A cancel at 0, 0.1, 1, 5 and 50 ms after its prompt, 20 times each, on an
  idle and on a loaded loop: every prompt is answered cancelled or end_turn,
  the session takes the next prompt, and session/close answers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.server.harness import Editor, connect

CANCEL_DELAYS_MS = (0, 0.1, 1, 5, 50)
REPEATS = 20


async def test_twenty_sessions_of_five_tool_turns_keep_every_turn_in_order(
    tmp_path: Path,
) -> None:
    async with connect(tmp_path / "home", Editor(permission="allow_once"), mode="ask") as (
        editor,
        _,
    ):
        await editor.initialize()
        cwds = [tmp_path / f"w{n}" for n in range(20)]
        for cwd in cwds:
            cwd.mkdir()
        sessions = [await editor.new_session(cwd) for cwd in cwds]

        async def drive(index: int, session: str) -> list[str]:
            stops = []
            for turn in range(5):
                script = (
                    f"write t{turn}.txt s{index}\nrun cat t{turn}.txt\nsay [end {index} {turn}]"
                )
                result = await editor.prompt(session, script, timeout=60)
                stops.append(result["stopReason"])
            return stops

        stops = await asyncio.gather(*(drive(n, s) for n, s in enumerate(sessions)))
        violations = list(editor.violations)
    assert stops == [["end_turn"] * 5] * 20
    assert violations == []
    for index, session in enumerate(sessions):
        updates = editor.session_updates(session, "tool_call_update")
        finals = [u["status"] for u in updates if u.get("status") in ("completed", "failed")]
        assert finals == ["completed"] * 10
        text = editor.text(session)
        assert [text.index(f"[end {index} {t}]") for t in range(5)] == sorted(
            text.index(f"[end {index} {t}]") for t in range(5)
        )


async def _cancel_after(editor: Editor, session: str, delay_ms: float) -> str:
    turn = asyncio.create_task(
        editor.prompt(session, "say one two\nwait 0.003\nsay three\nwait 0.003\nsay four", 10)
    )
    # The delay is what is tested, not a wait for something: 0 puts the cancel
    # in the same write as its prompt (one loop turn lets the prompt queue first).
    await asyncio.sleep(delay_ms / 1000)
    await editor.endpoint.notify("session/cancel", {"sessionId": session})
    result = await asyncio.wait_for(turn, 10)
    return str(result["stopReason"])


@pytest.mark.parametrize("loaded", [False, True], ids=["idle-loop", "loaded-loop"])
async def test_a_cancel_at_any_moment_answers_its_prompt_and_leaves_the_session_usable(
    tmp_path: Path, loaded: bool
) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        stop_load = asyncio.Event()

        async def load() -> None:
            # Another session on the same connection streams the whole time.
            other = await editor.new_session(tmp_path)
            while not stop_load.is_set():
                await editor.prompt(other, "stream 40 200\nsay loaded", timeout=30)

        loader = asyncio.create_task(load()) if loaded else None
        stops: dict[float, list[str]] = {}
        for delay in CANCEL_DELAYS_MS:
            stops[delay] = [await _cancel_after(editor, session, delay) for _ in range(REPEATS)]
        stop_load.set()
        if loader is not None:
            await asyncio.wait_for(loader, 30)
        after = await editor.prompt(session, "say still usable", timeout=10)
        closed = await editor.call("session/close", {"sessionId": session}, timeout=10)
    assert all(
        set(found) <= {"cancelled", "end_turn"} and len(found) == REPEATS
        for found in stops.values()
    )
    assert set(stops[0]) == {"cancelled"}  # a cancel read with its prompt always cancels it
    assert after["stopReason"] == "end_turn" and closed == {}
