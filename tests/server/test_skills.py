"""Skills as a user edits them, with real files: a new session offers what is
on disk now (an edit, a new or removed skill shows up without a restart),
while unchanged folders are not read again; and nothing in a skills folder
(a FIFO, an unreadable file, a name that is not UTF-8) breaks session/new."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import pytest

from acp_server.server.skills import Skill, discover_skills
from tests.server.test_stdio_process import Proc, spawn


def skill_text(name: str, description: str, body: str = "body") -> str:
    return f"---\nname: {name}\ndescription: {description}\n---\n{body}\n"


def write_skill(root: Path, folder: str, text: str) -> Path:
    (root / folder).mkdir(parents=True, exist_ok=True)
    path = root / folder / "SKILL.md"
    path.write_text(text)
    return path


def described(skills: list[Skill]) -> dict[str, str]:
    return {s.name: s.description for s in skills}


def settled(home: Path, cwd: Path, timeout: float = 10) -> list[Skill]:
    """The skills once a scan is trusted: a file changed within the last
    timestamp tick keeps the folder from being trusted, so the list is
    built again until then (bounded)."""
    deadline = time.monotonic() + timeout
    while (found := discover_skills(home, str(cwd))) is not discover_skills(home, str(cwd)):
        assert time.monotonic() < deadline, "the skills were never taken from the cache"
        time.sleep(0.05)
    return found


def test_unchanged_skills_folders_give_the_same_list_until_a_skill_changes(
    tmp_path: Path,
) -> None:
    home, project = tmp_path / "home", tmp_path / "project"
    write_skill(home / "skills", "mine", skill_text("mine", "From home"))
    greet = write_skill(project / ".agents" / "skills", "greet", skill_text("greet", "Hello"))
    first = settled(home, project)
    old = greet.stat()
    greet.write_text(skill_text("greet", "Howdy"))  # same size, old mtime put back
    os.utime(greet, ns=(old.st_atime_ns, old.st_mtime_ns))
    edited = discover_skills(home, str(project))
    write_skill(project / ".agents" / "skills", "lint", skill_text("lint", "Lint it"))
    added = discover_skills(home, str(project))
    (home / "skills" / "mine" / "SKILL.md").unlink()
    removed = discover_skills(home, str(project))
    assert described(first) == {"greet": "Hello", "mine": "From home"}
    assert described(edited) == {"greet": "Howdy", "mine": "From home"}
    assert described(added) == {"greet": "Howdy", "lint": "Lint it", "mine": "From home"}
    assert described(removed) == {"greet": "Howdy", "lint": "Lint it"}


def test_a_skills_folder_replaced_by_another_is_read_again(tmp_path: Path) -> None:
    project = tmp_path / "project"
    root = project / ".agents" / "skills"
    write_skill(root, "greet", skill_text("greet", "Hello"))
    before = settled(tmp_path / "home", project)
    root.rename(project / ".agents" / "old")
    write_skill(root, "greet", skill_text("greet", "Bye!!"))
    after = discover_skills(tmp_path / "home", str(project))
    assert described(before) == {"greet": "Hello"} and described(after) == {"greet": "Bye!!"}


def test_the_project_skill_wins_over_the_home_one_of_the_same_name(tmp_path: Path) -> None:
    home, project = tmp_path / "home", tmp_path / "project"
    write_skill(home / "skills", "greet", skill_text("greet", "From home"))
    write_skill(project / ".agents" / "skills", "greet", skill_text("greet", "From project"))
    assert described(discover_skills(home, str(project))) == {"greet": "From project"}


@asynccontextmanager
async def server(tmp_path: Path) -> AsyncIterator[Proc]:
    proc = await (await spawn(tmp_path / "home")).started()
    try:
        yield proc
    finally:
        if proc.process.returncode is None:
            with suppress(ProcessLookupError):
                proc.process.kill()
            await proc.process.wait()


async def commands_after_new_session(proc: Proc, cwd: Path) -> dict[str, str]:
    """The command list that follows a session/new reply, name -> description."""
    opened = await proc.call("session/new", {"cwd": str(cwd), "mcpServers": []})
    session_id = opened["result"]["sessionId"]
    while True:
        frame = await proc.frame(timeout=10)
        params = frame.get("params", {})
        update = params.get("update", {}) if isinstance(params, dict) else {}
        if params.get("sessionId") == session_id and (
            update.get("sessionUpdate") == "available_commands_update"
        ):
            return {c["name"]: c["description"] for c in update["availableCommands"]}


async def test_a_skill_edited_in_place_with_its_old_mtime_is_offered_by_the_next_session(
    tmp_path: Path,
) -> None:
    greet = write_skill(tmp_path / ".agents" / "skills", "greet", skill_text("greet", "Hello"))
    async with server(tmp_path) as proc:
        first = await commands_after_new_session(proc, tmp_path)
        old = greet.stat()
        greet.write_text(skill_text("greet", "Howdy"))  # same size, same mtime
        os.utime(greet, ns=(old.st_atime_ns, old.st_mtime_ns))
        second = await commands_after_new_session(proc, tmp_path)
        _, stderr, returncode = await proc.finish()
    assert first["greet"] == "Hello" and second["greet"] == "Howdy"
    assert returncode == 0 and b"Traceback" not in stderr


async def test_a_skill_file_that_is_a_fifo_neither_blocks_nor_breaks_session_new(
    tmp_path: Path,
) -> None:
    root = tmp_path / ".agents" / "skills"
    write_skill(root, "greet", skill_text("greet", "Hello"))
    (root / "pipe").mkdir()
    os.mkfifo(root / "pipe" / "SKILL.md")
    async with server(tmp_path) as proc:
        first = await commands_after_new_session(proc, tmp_path)
        second = await commands_after_new_session(proc, tmp_path)
        _, stderr, returncode = await proc.finish()
    assert first["greet"] == "Hello" and second["greet"] == "Hello"
    assert "help" in first and "pipe" not in first
    assert returncode == 0 and b"Traceback" not in stderr


async def test_a_skills_folder_that_is_a_fifo_or_a_file_offers_the_built_in_commands(
    tmp_path: Path,
) -> None:
    (tmp_path / ".agents").mkdir()
    os.mkfifo(tmp_path / ".agents" / "skills")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "skills").write_text("not a folder")
    async with server(tmp_path) as proc:
        offered = await commands_after_new_session(proc, tmp_path)
        _, stderr, returncode = await proc.finish()
    assert {"help", "model", "rewind"} <= set(offered)
    assert returncode == 0 and b"Traceback" not in stderr


async def test_skills_that_cannot_be_read_are_skipped_and_the_others_offered(
    tmp_path: Path,
) -> None:
    root = tmp_path / ".agents" / "skills"
    write_skill(root, "greet", skill_text("greet", "Hello"))
    (root / "folder" / "SKILL.md").mkdir(parents=True)  # a folder where the file should be
    (root / "latin1").mkdir()
    (root / "latin1" / "SKILL.md").write_bytes(skill_text("latin", "Caf\xe9").encode("latin-1"))
    (root / "dangling").mkdir()
    (root / "dangling" / "SKILL.md").symlink_to(tmp_path / "nowhere")
    odd = os.path.join(os.fsencode(root), b"caf\xe9-skill")  # a folder name that is not UTF-8
    os.mkdir(odd)
    with open(os.path.join(odd, b"SKILL.md"), "w", encoding="utf-8") as file:
        file.write(skill_text("odd", "Oddly named folder"))
    async with server(tmp_path) as proc:
        offered = await commands_after_new_session(proc, tmp_path)
        _, stderr, returncode = await proc.finish()
    assert offered["greet"] == "Hello" and offered["odd"] == "Oddly named folder"
    assert "latin" not in offered and "folder" not in offered
    assert returncode == 0 and b"Traceback" not in stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
async def test_an_unreadable_skill_file_or_folder_is_skipped(tmp_path: Path) -> None:
    root = tmp_path / ".agents" / "skills"
    write_skill(root, "greet", skill_text("greet", "Hello"))
    write_skill(root, "locked", skill_text("locked", "Locked")).chmod(0)
    home_root = tmp_path / "home" / "skills"
    write_skill(home_root, "mine", skill_text("mine", "Mine"))
    home_root.chmod(0)
    try:
        async with server(tmp_path) as proc:
            offered = await commands_after_new_session(proc, tmp_path)
            _, stderr, returncode = await proc.finish()
    finally:
        home_root.chmod(0o700)
    assert offered["greet"] == "Hello" and "locked" not in offered and "mine" not in offered
    assert returncode == 0 and b"Traceback" not in stderr


async def test_a_new_session_offers_skills_created_while_the_server_runs(tmp_path: Path) -> None:
    async with server(tmp_path) as proc:
        before = await commands_after_new_session(proc, tmp_path)
        write_skill(tmp_path / "home" / "skills", "mine", skill_text("mine", "Mine"))
        write_skill(tmp_path / ".agents" / "skills", "greet", skill_text("greet", "Hello"))
        after = await commands_after_new_session(proc, tmp_path)
        await asyncio.wait_for(proc.call("session/list", {}), 10)
        _, stderr, returncode = await proc.finish()
    assert "greet" not in before and "mine" not in before
    assert after["greet"] == "Hello" and after["mine"] == "Mine"
    assert returncode == 0 and b"Traceback" not in stderr
