"""The tool runner on its own: settings, a tool lookup and the host ports are
all it needs, and the mode it decides with is the settings' current one."""

from __future__ import annotations

from pathlib import Path

from agent import events as ev
from agent.localhost import AutoPermissionGate, LocalCommandRunner, LocalFileSystem
from agent.ports import Host
from agent.providers import StreamToolCall
from agent.tools import builtin_tools
from agent.tools.api import Tool
from agent.tools.runner import ToolRunner, ToolSettings


def _runner(tmp_path: Path, settings: ToolSettings) -> tuple[ToolRunner, list[ev.Event]]:
    tools = {tool.spec.name: tool for tool in builtin_tools()}
    seen: list[ev.Event] = []

    def lookup(name: str) -> Tool | None:
        return tools.get(name)

    host = Host(AutoPermissionGate("deny"), LocalFileSystem(), LocalCommandRunner())
    return ToolRunner(settings, lookup, host, seen.append), seen


async def test_a_runner_built_from_settings_and_a_lookup_runs_a_read(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    runner, seen = _runner(tmp_path, ToolSettings(str(tmp_path), (str(tmp_path),)))
    results = await runner.run_all([StreamToolCall("c1", "read_file", {"path": "a.txt"})])
    assert results[0]["role"] == "tool" and results[0]["is_error"] is False
    assert "hello" in results[0]["content"]
    finished = [e for e in seen if isinstance(e, ev.ToolCallFinished)]
    assert [(e.call_id, e.status) for e in finished] == [("c1", "completed")]


async def test_a_mode_changed_in_the_shared_settings_decides_the_next_call(
    tmp_path: Path,
) -> None:
    settings = ToolSettings(str(tmp_path), (str(tmp_path),), mode="yolo")
    runner, seen = _runner(tmp_path, settings)
    write = {"path": "b.txt", "content": "x"}
    await runner.run_all([StreamToolCall("w1", "write_file", write)])
    settings.mode = "read-only"
    denied = await runner.run_all([StreamToolCall("w2", "write_file", write)])
    assert denied[0]["is_error"] is True
    decided = [(e.call_id, e.allowed, e.by) for e in seen if isinstance(e, ev.PermissionDecided)]
    assert decided == [("w1", True, "mode:yolo"), ("w2", False, "mode:read-only")]


async def test_a_name_the_lookup_does_not_know_fails_its_call_only(tmp_path: Path) -> None:
    runner, seen = _runner(tmp_path, ToolSettings(str(tmp_path), (str(tmp_path),)))
    results = await runner.run_all([StreamToolCall("u1", "no_such_tool", {})])
    assert results[0]["is_error"] is True
    assert [e.status for e in seen if isinstance(e, ev.ToolCallFinished)] == ["failed"]
