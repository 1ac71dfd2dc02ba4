"""The local host: real subprocesses and real files; and `ask()` one-shot."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from agent import ModelNotConfigured, ask
from agent.localhost import LocalCommandRunner, LocalFileSystem
from agent.ports import FileAccessError

WAIT = 10.0


def alive(pid: int) -> bool:
    """Running, not a zombie (an orphan may wait a moment to be reaped by init)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


async def wait_for_file(path: Path) -> str:
    async def poll() -> str:
        while not path.exists() or not path.read_text().strip():
            await asyncio.sleep(0.01)
        return path.read_text().strip()

    return await asyncio.wait_for(poll(), WAIT)


async def test_a_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    result = await LocalCommandRunner().run(
        f"sleep 60 & echo $! > {pidfile}; wait", cwd=str(tmp_path), timeout=0.5
    )
    assert result.timed_out and result.exit_code is None
    child = int(await wait_for_file(pidfile))

    async def gone() -> None:
        while alive(child):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(gone(), WAIT)


async def test_cancel_kills_the_group_before_returning(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    task = asyncio.create_task(
        LocalCommandRunner().run(
            f"sleep 60 & echo $! > {pidfile}; wait", cwd=str(tmp_path), timeout=60
        )
    )
    child = int(await wait_for_file(pidfile))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, WAIT)

    async def gone() -> None:
        while alive(child):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(gone(), WAIT)


async def test_output_keeps_only_the_tail_and_says_so(tmp_path: Path) -> None:
    runner = LocalCommandRunner(tail_bytes=100)
    result = await runner.run(
        "for i in $(seq 1000); do echo line$i; done", cwd=str(tmp_path), timeout=WAIT
    )
    assert result.truncated and result.exit_code == 0
    assert result.output.endswith("line1000\n") and len(result.output) <= 100


async def test_commands_run_in_the_given_directory_and_report_exit_codes(tmp_path: Path) -> None:
    result = await LocalCommandRunner().run("pwd; exit 4", cwd=str(tmp_path), timeout=WAIT)
    assert result.exit_code == 4 and result.output.strip() == str(tmp_path.resolve())


async def test_reading_a_directory_or_missing_file_is_a_file_access_error(tmp_path: Path) -> None:
    fs = LocalFileSystem()
    for path in (tmp_path, tmp_path / "missing.txt"):
        with pytest.raises(FileAccessError):
            await fs.read_text(str(path))


async def test_ask_returns_the_model_text(tmp_path: Path) -> None:
    answer = await asyncio.wait_for(
        ask("say the answer is 42", model="scripted", cwd=str(tmp_path)), WAIT
    )
    assert answer == "the answer is 42"


async def test_ask_refuses_an_unconfigured_model_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelNotConfigured) as caught:
        await ask("hi", model="openai:gpt-4o", cwd=str(tmp_path))
    assert caught.value.hint
