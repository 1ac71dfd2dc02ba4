"""Local disk under odd files: FIFOs, undecodable names, byte-exact atomic
writes, and reads past the read cap. Real files, real FIFOs, no mocks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.fileio import off_loop
from agent.localhost import AutoPermissionGate, LocalCommandRunner, LocalFileSystem
from agent.ports import FileAccessError, Host, NotEditable
from agent.tools import EditFile, Glob, Grep, ListDir, ReadFile, WriteFile
from agent.tools.api import ToolContext

WAIT = 10.0


def ctx(tmp_path: Path, **extra: int) -> ToolContext:
    host = Host(AutoPermissionGate(), LocalFileSystem(), LocalCommandRunner())
    return ToolContext("c1", str(tmp_path), (str(tmp_path),), host, **extra)  # type: ignore[arg-type]


@contextlib.contextmanager
def fifo_unblocker(fifo: Path, after: float = 5.0) -> Iterator[None]:
    """Opens the write end once after `after` s, so code stuck opening the FIFO
    for reading gets EOF and the test fails instead of hanging the run."""
    done = threading.Event()

    def unblock() -> None:
        if not done.wait(after):
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    thread = threading.Thread(target=unblock, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


async def test_grep_without_ripgrep_skips_a_fifo_and_finds_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no rg: the pure-Python search runs
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.txt").write_text("needle\n")
    os.mkfifo(project / "b.fifo")
    # At once: well before the FIFO would be unblocked for code waiting on it.
    with fifo_unblocker(project / "b.fifo", after=WAIT):
        out = await asyncio.wait_for(Grep().run({"pattern": "needle"}, ctx(project)), WAIT / 3)
        at_root = await asyncio.wait_for(
            Grep().run({"pattern": "needle", "path": "b.fifo"}, ctx(project)), WAIT / 3
        )
    assert out.model_text == "a.txt:1:needle"
    assert at_root.model_text == "(no matches)"


async def test_a_call_stuck_in_the_file_system_times_out_and_the_loop_runs_on(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    with fifo_unblocker(fifo, after=WAIT):
        with pytest.raises(TimeoutError):
            await off_loop(open, str(fifo), timeout=0.3)  # a plain open() waits for a writer
        ticker.cancel()
    assert ticks > 5  # the loop kept running while the thread was stuck


async def test_names_that_are_not_utf8_are_shown_with_replacement_characters(
    tmp_path: Path,
) -> None:
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt"), "wb") as handle:
        handle.write(b"needle\n")
    listed = await ListDir().run({}, ctx(tmp_path))
    found = await Glob().run({"pattern": "*.txt"}, ctx(tmp_path))
    grepped = await Grep().run({"pattern": "needle"}, ctx(tmp_path))
    assert listed.model_text == found.model_text == "caf\ufffd.txt"
    assert grepped.model_text == "caf\ufffd.txt:1:needle"
    for text in (listed.model_text, found.model_text, grepped.model_text):
        text.encode("utf-8")  # encodable: it can go on the wire and into the store


@pytest.mark.parametrize(
    "content",
    ["crlf\r\nline\r\n", "\ufeffbom first\n", "no newline at end", "emoji 🐍 and ü\n", ""],
)
async def test_writes_are_byte_exact(tmp_path: Path, content: str) -> None:
    target = tmp_path / "f.txt"
    await LocalFileSystem().write_text(str(target), content)
    assert target.read_bytes() == content.encode("utf-8")


async def test_a_write_through_a_symlink_keeps_the_link_and_the_mode(tmp_path: Path) -> None:
    real = tmp_path / "real.sh"
    real.write_text("old\n")
    real.chmod(0o750)
    link = tmp_path / "link.sh"
    link.symlink_to(real)
    await LocalFileSystem().write_text(str(link), "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"
    assert real.stat().st_mode & 0o777 == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.sh", "real.sh"]


async def test_a_write_to_a_fifo_is_refused_and_the_fifo_stays(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotEditable):
        await asyncio.wait_for(LocalFileSystem().write_text(str(fifo), "x"), WAIT)
    assert fifo.is_fifo()


async def test_reading_past_the_read_cap_with_line_returns_that_line(tmp_path: Path) -> None:
    lines = [f"line {n}\n" for n in range(400_000)]  # about 4.6 MB
    (tmp_path / "big.txt").write_text("".join(lines))
    out = await ReadFile().run({"path": "big.txt", "line": 399_999, "limit": 2}, ctx(tmp_path))
    whole = await ReadFile().run({"path": "big.txt"}, ctx(tmp_path))
    assert out.model_text == "line 399998\nline 399999\n"
    assert "[file truncated" in await LocalFileSystem().read_text(str(tmp_path / "big.txt"))
    assert "more characters not shown" in whole.content[0].text  # type: ignore[union-attr]


async def test_an_edit_reads_the_whole_file_and_refuses_over_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    text = "".join(f"line {n}\n" for n in range(400_000))
    big.write_text(text)
    args = {"path": "big.txt", "old": "line 399999\n", "new": "last\n"}
    with pytest.raises(NotEditable):
        await EditFile().run(args, ctx(tmp_path, max_edit_bytes=1024 * 1024))
    assert big.read_text() == text
    await EditFile().run(args, ctx(tmp_path))
    assert big.read_text() == text.replace("line 399999\n", "last\n")


async def test_a_whole_file_write_over_a_binary_file_names_it_instead_of_a_lossy_diff(
    tmp_path: Path,
) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x89PNG\x00\xff")
    shown = await WriteFile().preview({"path": "blob.bin", "content": "text"}, ctx(tmp_path))
    assert [type(c).__name__ for c in shown] == ["TextContent"]


async def test_a_missing_file_is_a_file_access_error_for_an_edit(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError):
        await EditFile().run({"path": "nope.txt", "old": "a", "new": "b"}, ctx(tmp_path))
