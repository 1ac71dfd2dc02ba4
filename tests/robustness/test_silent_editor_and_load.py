"""Editors that never answer fs/terminal requests, and many sessions at once
with tool calls: every turn ends, nothing crosses sessions, nothing leaks."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from acp_server.config import load_config
from protocol import Route
from tests.server.harness import Editor, connect


class SilentEditor(Editor):
    """Advertises fs and terminals, then never answers the methods in `hang`."""

    hang: tuple[str, ...] = ()

    def routes(self) -> tuple[dict[str, Route], dict[str, Route]]:
        requests, notifications = super().routes()
        for method, route in requests.items():
            requests[method] = Route(route.params, self._silent(method, route.handler))
        return requests, notifications

    def _silent(self, method: str, answer: Any) -> Any:
        async def handler(params: Any) -> Any:
            if method in self.hang:
                await asyncio.Event().wait()
            return await answer(params)

        return handler


def _config(home: Path, **settings: object) -> Any:
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    flags = {"model": "scripted", "permissions.default_mode": "yolo", **settings}
    return load_config(home, flags=flags, env={})


def _final_statuses(editor: Editor, session: str) -> list[tuple[str, str]]:
    return [
        (u["status"], "".join(c.get("content", {}).get("text", "") for c in u.get("content", [])))
        for u in editor.session_updates(session, "tool_call_update")
        if u.get("status") in ("completed", "failed")
    ]


async def test_an_editor_that_never_answers_fs_requests(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    editor = SilentEditor()
    editor.hang = ("fs/read_text_file", "fs/write_text_file")
    home = tmp_path / "home"
    config = _config(home, **{"timeouts.client_request": 0.3})
    async with connect(home, editor, config) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        result = await editor.prompt(session, "read a.txt\nwrite b.txt x\nsay went on")
        again = await editor.prompt(session, "say still usable")
    assert result["stopReason"] == "end_turn" and again["stopReason"] == "end_turn"
    finals = _final_statuses(editor, session)
    assert [status for status, _ in finals] == ["failed", "failed"]
    assert "did not answer fs/read_text_file" in finals[0][1]
    assert "did not answer fs/write_text_file" in finals[1][1]
    assert not (tmp_path / "b.txt").exists()
    assert "went on" in editor.text(session) and "still usable" in editor.text(session)


async def test_an_editor_that_never_answers_terminal_create(tmp_path: Path) -> None:
    editor = SilentEditor()
    editor.hang = ("terminal/create",)
    home = tmp_path / "home"
    config = _config(home, **{"timeouts.client_request": 0.3})
    async with connect(home, editor, config) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        result = await editor.prompt(session, "run echo hi\nsay went on")
        again = await editor.prompt(session, "say still usable")
    assert result["stopReason"] == "end_turn" and again["stopReason"] == "end_turn"
    finals = _final_statuses(editor, session)
    assert finals[0][0] == "failed" and "did not answer terminal/create" in finals[0][1]
    assert "went on" in editor.text(session) and "still usable" in editor.text(session)


async def test_a_terminal_that_never_exits_nor_dies_is_given_up_and_released(
    tmp_path: Path,
) -> None:
    editor = SilentEditor()
    editor.hang = ("terminal/wait_for_exit", "terminal/kill")
    home = tmp_path / "home"
    config = _config(home, **{"timeouts.client_request": 0.3, "agent.command_timeout": 0.3})
    async with connect(home, editor, config) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        result = await editor.prompt(session, "run sleep 30\nsay after the stuck one")
        again = await editor.prompt(session, "say still usable")
    assert result["stopReason"] == "end_turn" and again["stopReason"] == "end_turn"
    finals = _final_statuses(editor, session)
    assert finals[0][0] == "failed" and "did not answer terminal/kill" in finals[0][1]
    assert editor.released, "the stuck terminal was released anyway"
    assert "after the stuck one" in editor.text(session)


def _fds() -> int:
    """Open descriptors, without journal files: whether one is open depends on
    the ingest thread's timing, and the soak test bounds them separately."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{fd}").endswith(".journal"):
                count += 1
        except OSError:
            continue  # closed while we looked
    return count


async def test_fifty_sessions_times_twenty_turns_with_tool_calls(tmp_path: Path) -> None:
    """50 x 20 turns that write, read, run and stream, all on one connection.

    Afterwards no task, file descriptor or child process is left over."""
    home = tmp_path / "home"
    config = _config(home)
    before_tasks = len(asyncio.all_tasks())
    async with connect(home, Editor(fs=False, terminal=False), config) as (editor, server):
        await editor.initialize()
        cwds = [tmp_path / f"w{n}" for n in range(50)]
        for cwd in cwds:
            cwd.mkdir()
        sessions = [await editor.new_session(cwd) for cwd in cwds]

        async def drive(index: int, session: str, turns: range) -> list[str]:
            stops = []
            for turn in turns:
                script = (
                    f"write t{turn}.txt s{index}-t{turn}\n"
                    f"read t{turn}.txt\n"
                    f"run echo s{index}-t{turn}\n"
                    f"stream 5 12\n"
                    f"say [end {index} {turn}]"
                )
                result = await editor.prompt(session, script, timeout=120)
                stops.append(result["stopReason"])
            return stops

        first = await asyncio.gather(*(drive(n, s, range(1)) for n, s in enumerate(sessions)))
        # The journal, the audit log and the ingest thread's connection open with the
        # first turns; the flush waits until the ingest thread has opened it.
        server.store.flush()
        fds_after_first_turns = _fds()
        rest = await asyncio.gather(*(drive(n, s, range(1, 20)) for n, s in enumerate(sessions)))
        assert all(a + b == ["end_turn"] * 20 for a, b in zip(first, rest, strict=True))
        for index, (session, cwd) in enumerate(zip(sessions, cwds, strict=True)):
            text = editor.text(session)
            ends = [f"[end {index} {turn}]" for turn in range(20)]
            positions = [text.index(end) for end in ends]
            assert positions == sorted(positions)  # this session's turns, in order
            others = [f"[end {other} " for other in range(50) if other != index]
            assert not any(marker in text for marker in others)  # no cross-talk
            assert sorted(p.name for p in cwd.glob("*.txt")) == sorted(
                f"t{t}.txt" for t in range(20)
            )
            finals = _final_statuses(editor, session)
            assert len(finals) == 60 and all(status == "completed" for status, _ in finals)
        server.store.flush()
        assert _fds() <= fds_after_first_turns  # every command's pipes and every temp file closed
        assert not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    await asyncio.sleep(0)
    assert len(asyncio.all_tasks()) == before_tasks  # every server task ended
