"""Built-in tools on temp directories, and the permission policy table."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.localhost import AutoPermissionGate, LocalCommandRunner, LocalFileSystem, atomic_write
from agent.policy import decide
from agent.ports import FileAccessError, Host
from agent.tools import Glob, Grep, ListDir, ReadFile, resolve_path, within_roots
from agent.tools.api import Access, ToolContext, ToolInputError


def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(
        "c1",
        str(tmp_path),
        (str(tmp_path),),
        Host(AutoPermissionGate(), LocalFileSystem(), LocalCommandRunner()),
    )


async def test_read_honours_line_and_limit(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("1\n2\n3\n4\n")
    out = await ReadFile().run({"path": "f.txt", "line": 2, "limit": 2}, ctx(tmp_path))
    assert out.model_text == "2\n3\n"


async def test_reading_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match="does not exist"):
        await ReadFile().run({"path": "nope.txt"}, ctx(tmp_path))


@pytest.mark.parametrize("use_rg", [True, False])
async def test_grep_finds_matches_with_and_without_ripgrep(
    tmp_path: Path, use_rg: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.py").write_text("def alpha():\n    return 1\n")
    (tmp_path / "b.txt").write_text("alpha beta\n")
    if not use_rg:
        monkeypatch.setattr(shutil, "which", lambda _name: None)
    elif not shutil.which("rg"):
        pytest.skip("ripgrep is not installed here")
    out = await Grep().run({"pattern": "alph[a]", "glob": "*.py"}, ctx(tmp_path))
    assert out.model_text == "a.py:1:def alpha():"


async def test_glob_and_list_dir_skip_vcs_directories(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_text("")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.py").write_text("")
    assert (await Glob().run({"pattern": "**/*.py"}, ctx(tmp_path))).model_text == "src/m.py"
    assert (await ListDir().run({}, ctx(tmp_path))).model_text == ".git/\nsrc/"


async def test_grep_rejects_an_invalid_regular_expression(tmp_path: Path) -> None:
    with pytest.raises(ToolInputError):
        await Grep().run({"pattern": "("}, ctx(tmp_path))


def test_relative_paths_resolve_against_the_session_directory_not_the_process(
    tmp_path: Path,
) -> None:
    assert resolve_path("a/../b.txt", str(tmp_path)) == str(tmp_path / "b.txt")
    assert resolve_path("/etc/passwd", str(tmp_path)) == "/etc/passwd"
    with pytest.raises(ToolInputError):
        resolve_path("C:\\Windows\\system.ini", str(tmp_path))


def test_symlinks_out_of_the_roots_count_as_outside(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    outside.mkdir(exist_ok=True)
    (tmp_path / "link").symlink_to(outside)
    assert not within_roots(str(tmp_path / "link" / "f.txt"), [str(tmp_path)])
    assert within_roots(str(tmp_path / "real.txt"), [str(tmp_path)])


def test_atomic_write_leaves_no_temp_files_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "t.sh"
    target.write_text("old")
    os.chmod(target, 0o755)
    atomic_write(str(target), "new")
    assert target.read_text() == "new" and os.stat(target).st_mode & 0o777 == 0o755
    assert [p.name for p in tmp_path.iterdir()] == ["t.sh"]


ROOT = "/work/project"


@pytest.mark.parametrize(
    ("mode", "access", "expected"),
    [
        ("ask", Access("read", (f"{ROOT}/a.py",)), "allow"),
        ("ask", Access("write", (f"{ROOT}/a.py",)), "ask"),
        ("ask", Access("execute", command="ls"), "ask"),
        ("accept-edits", Access("write", (f"{ROOT}/a.py",)), "allow"),
        ("accept-edits", Access("execute", command="ls"), "ask"),
        ("accept-edits", Access("write", ("/tmp/elsewhere.txt",)), "ask"),
        ("accept-edits", Access("write", (f"{ROOT}/.env",)), "ask"),
        ("accept-edits", Access("read", (f"{ROOT}/.ssh/id_rsa",)), "ask"),
        ("read-only", Access("write", (f"{ROOT}/a.py",)), "deny"),
        ("read-only", Access("write", (f"{ROOT}/.env",)), "deny"),
        ("read-only", Access("execute", command="ls"), "deny"),
        ("read-only", Access("external"), "deny"),
        ("read-only", Access("external", read_only_hint=True), "allow"),
        ("ask", Access("external"), "ask"),
        ("yolo", Access("write", ("/etc/hosts",)), "allow"),
        ("yolo", Access("write", (f"{ROOT}/.git/config",)), "allow"),
    ],
)
def test_policy_table(mode: str, access: Access, expected: str) -> None:
    assert decide("tool", access, mode=mode, roots=[ROOT]).action == expected


def test_deny_rules_win_over_allow_rules_and_yolo() -> None:
    access = Access("execute", command="git push --force")
    assert (
        decide(
            "run_command",
            access,
            mode="yolo",
            roots=[ROOT],
            allow=("run_command:git *",),
            deny=("run_command:git push*",),
        ).action
        == "deny"
    )
    assert (
        decide(
            "run_command",
            Access("execute", command="git status"),
            mode="ask",
            roots=[ROOT],
            allow=("run_command:git *",),
        ).action
        == "allow"
    )
    assert (
        decide(
            "mcp__github__search",
            Access("external"),
            mode="ask",
            roots=[ROOT],
            allow=("mcp__github__*",),
        ).action
        == "allow"
    )


@pytest.mark.parametrize("use_rg", [True, False])
async def test_grep_on_a_single_file_still_names_the_file(
    tmp_path: Path, use_rg: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "one.txt").write_text("x\nneedle here\n")
    if not use_rg:
        monkeypatch.setattr(shutil, "which", lambda _name: None)
    elif not shutil.which("rg"):
        pytest.skip("ripgrep is not installed here")
    out = await Grep().run({"pattern": "needle", "path": "one.txt"}, ctx(tmp_path))
    assert out.model_text == "one.txt:2:needle here"


_paths = st.sampled_from(
    ["/work/p/a.py", "/work/p/.env", "/work/p/.git/config", "/elsewhere/x.txt", "/work/p/k.pem"]
)
_accesses = st.builds(
    Access,
    st.sampled_from(["read", "write", "execute", "external", "none"]),
    st.tuples(_paths) | st.just(()),
    st.sampled_from([None, "git status", "rm -rf build"]),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(
    access=_accesses,
    mode=st.sampled_from(["ask", "accept-edits", "read-only", "yolo"]),
    allow=st.lists(st.sampled_from(["write_file", "run_command:git *", "*"]), max_size=2),
    deny=st.lists(st.sampled_from(["write_file", "run_command:rm *"]), max_size=1),
)
def test_policy_invariants_hold_for_any_call(
    access: Access, mode: str, allow: list[str], deny: list[str]
) -> None:
    decision = decide("write_file", access, mode=mode, roots=["/work/p"], allow=allow, deny=deny)
    if "write_file" in deny:
        assert decision.action == "deny"  # deny wins over everything, yolo included
    elif mode == "yolo":
        assert decision.action == "allow"
    changes = access.kind in ("write", "execute") or (
        access.kind == "external" and not access.read_only_hint
    )
    if mode == "read-only" and changes:
        assert decision.action == "deny"
    if mode != "yolo" and decision.action == "allow" and not decision.by.startswith("rule:"):
        # Without a rule, nothing sensitive or outside the roots slips through unasked.
        assert all(p.startswith("/work/p/") for p in access.paths)
        assert not any(p.endswith((".env", ".pem")) or "/.git/" in p for p in access.paths)


async def test_many_edits_apply_together_or_not_at_all(tmp_path: Path) -> None:
    from agent.tools import EditFile

    target = tmp_path / "m.txt"
    target.write_text("one two three two")
    edit = EditFile()
    with pytest.raises(ToolInputError):
        await edit.run(
            {"path": "m.txt", "edits": [{"old": "one", "new": "1"}, {"old": "nine", "new": "9"}]},
            ctx(tmp_path),
        )
    assert target.read_text() == "one two three two"
    await edit.run(
        {
            "path": "m.txt",
            "edits": [{"old": "one", "new": "1"}, {"old": "two", "new": "2", "replace_all": True}],
        },
        ctx(tmp_path),
    )
    assert target.read_text() == "1 2 three 2"
