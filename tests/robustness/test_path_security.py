"""Hostile path forms against the real server: nothing outside the session roots
is written without a permission, in every mode but yolo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from acp_server.config import load_config
from tests.server.harness import Editor, connect

# (form, whether the tool refuses it as input rather than asking)
FORMS = [
    ("../outside/{name}", False),
    ("{outside}/{name}", False),
    ("file://{outside}/{name}", False),
    ("sub/../../outside/{name}", False),
    ("./sub/./../../outside/{name}", False),
    ("link/{name}", False),  # a symlink inside the project pointing out of it
    ("dangling", False),  # a dangling symlink whose target is outside
    ("~/{name}", False),
    ("/mnt/c/Users/someone/{name}", False),  # a WSL view of a Windows drive
    ("C:\\Users\\someone\\{name}", True),
    ("C:/Users/someone/{name}", True),
    ("\\\\server\\share\\{name}", True),
    ("\\\\?\\C:\\{name}", True),
]


@pytest.mark.parametrize("mode", ["ask", "accept-edits", "read-only"])
@pytest.mark.parametrize(("form", "refused_as_input"), FORMS)
async def test_writes_out_of_the_roots_never_happen_without_a_permission(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, form: str, refused_as_input: bool
) -> None:
    project, outside, home = tmp_path / "project", tmp_path / "outside", tmp_path / "userhome"
    for directory in (project / "sub", outside, home):
        directory.mkdir(parents=True)
    (project / "link").symlink_to(outside)
    (project / "dangling").symlink_to(outside / "dangling-target.txt")
    monkeypatch.setenv("HOME", str(home))
    name = f"written-{mode}.txt"
    path = form.format(outside=outside, name=name)
    agent_home = tmp_path / "agent-home"
    agent_home.mkdir(mode=0o700)
    config = load_config(
        agent_home, flags={"model": "scripted", "permissions.default_mode": mode}, env={}
    )
    editor = Editor(fs=False, terminal=False, permission="reject_once")
    async with connect(agent_home, editor, config) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(project)
        result = await editor.prompt(session, f"write {path} pwned\nsay done")
    assert result["stopReason"] == "end_turn" and "done" in editor.text(session)
    written = [
        p
        for p in (*outside.rglob("*"), *home.rglob("*"), *project.rglob("*"))
        if p.is_file() and p.read_text() == "pwned"
    ]
    assert written == [], f"{path!r} was written in {mode} mode"
    finals = [u for u in editor.session_updates(session, "tool_call_update") if u.get("status")]
    assert finals[-1]["status"] == "failed"
    asked = len(editor.permission_requests)
    if refused_as_input or mode == "read-only":
        assert asked == 0  # refused outright
    else:
        assert asked == 1  # asked, and the refusal was honoured


async def test_additional_directories_are_roots_and_a_nul_byte_is_a_clear_error(
    tmp_path: Path,
) -> None:
    project, extra = tmp_path / "project", tmp_path / "extra"
    project.mkdir()
    extra.mkdir()
    agent_home = tmp_path / "agent-home"
    agent_home.mkdir(mode=0o700)
    config = load_config(
        agent_home, flags={"model": "scripted", "permissions.default_mode": "accept-edits"}, env={}
    )
    editor = Editor(fs=False, terminal=False, permission="reject_once")
    async with connect(agent_home, editor, config) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(project, additionalDirectories=[str(extra)])
        await editor.prompt(session, f"write {extra}/ok.txt fine\nwrite bad\0name.txt x\nsay on")
    assert (extra / "ok.txt").read_text() == "fine"
    assert not editor.permission_requests
    finals = [u for u in editor.session_updates(session, "tool_call_update") if u.get("status")]
    assert [u["status"] for u in finals if u["status"] in ("completed", "failed")] == [
        "completed",
        "failed",
    ]
    assert "on" in editor.text(session)
    assert not any(name.startswith("bad") for name in os.listdir(project))
