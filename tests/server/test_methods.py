"""Each ACP method through the real protocol, against the scripted model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from protocol import ErrorCode, RpcError
from tests.server.harness import Editor, connect


async def test_initialize_answers_version_one_even_for_two_with_honest_capabilities(
    tmp_path: Path,
) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        result = await editor.call("initialize", {"protocolVersion": 2})
    assert result["protocolVersion"] == 1
    caps = result["agentCapabilities"]
    assert caps["loadSession"] is True
    assert set(caps["sessionCapabilities"]) >= {
        "list",
        "resume",
        "close",
        "delete",
        "fork",
        "additionalDirectories",
    }
    assert result["agentInfo"]["name"] == "acp-server"
    assert all(m.get("type") != "terminal" for m in result["authMethods"])


async def test_terminal_auth_method_is_offered_only_when_the_client_advertises_it(
    tmp_path: Path,
) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        result = await editor.initialize(auth={"terminal": True})
    terminal = [m for m in result["authMethods"] if m.get("type") == "terminal"]
    assert terminal and terminal[0]["args"] == ["setup-provider"]


async def test_new_session_answers_before_any_update_then_announces_commands(
    tmp_path: Path,
) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        await editor.wait_for(
            lambda: editor.session_updates(session_id, "available_commands_update")
        )
        order = [
            (d, f.get("id"), f.get("method"))
            for d, f in editor.frames
            if f.get("method") == "session/update" or "result" in f
        ]
    response_at = next(
        i
        for i, (d, _id, m) in enumerate(order)
        if d == "agent" and m is None and _id is not None and _id >= 2
    )
    first_update = next(i for i, (_, _, m) in enumerate(order) if m == "session/update")
    assert response_at < first_update


async def test_relative_cwd_is_invalid_params(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        with pytest.raises(RpcError) as info:
            await editor.call("session/new", {"cwd": "relative/dir", "mcpServers": []})
    assert info.value.code == ErrorCode.INVALID_PARAMS


async def test_prompt_streams_text_thoughts_and_plan_before_the_response(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        result = await editor.prompt(session_id, "think pondering\nplan A; B\nsay hello there")
        response_index = len(editor.frames) - 1
    assert result["stopReason"] == "end_turn"
    assert editor.text(session_id).endswith("hello there")
    assert editor.session_updates(session_id, "agent_thought_chunk")
    plan = editor.session_updates(session_id, "plan")[-1]["entries"]
    assert [e["content"] for e in plan] == ["A", "B"] and plan[0]["status"] == "in_progress"
    last_update = max(
        i for i, (_, f) in enumerate(editor.frames) if f.get("method") == "session/update"
    )
    assert last_update < response_index
    assert "usage" not in result  # behind the prompt_usage flag, off by default


async def test_every_tool_call_reaches_a_final_status_and_writes_go_through_the_editor(
    tmp_path: Path,
) -> None:
    async with connect(tmp_path / "home", mode="yolo") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        await editor.prompt(session_id, "write notes.txt hello\nread notes.txt\nrun echo ran")
    assert (tmp_path / "notes.txt").read_text() == "hello"
    assert "fs/write_text_file" in editor.calls and "terminal/create" in editor.calls
    statuses: dict[str, str] = {}
    for update in editor.session_updates(session_id):
        if update["sessionUpdate"] in ("tool_call", "tool_call_update") and "status" in update:
            statuses[update["toolCallId"]] = update["status"]
    assert len(statuses) == 3 and set(statuses.values()) == {"completed"}
    diff = next(
        c
        for u in editor.session_updates(session_id, "tool_call_update")
        for c in u.get("content", [])
        if c["type"] == "diff"
    )
    assert diff["path"] == str(tmp_path / "notes.txt") and diff["oldText"] is None
    assert editor.released and not editor.terminals


async def test_denied_permission_fails_the_call_and_the_model_continues(tmp_path: Path) -> None:
    editor = Editor(permission="reject_once")
    async with connect(tmp_path / "home", editor) as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        result = await editor.prompt(session_id, "write secret.txt x\nsay after")
    assert result["stopReason"] == "end_turn"
    assert not (tmp_path / "secret.txt").exists()
    request = editor.permission_requests[0]
    assert {o["optionId"] for o in request["options"]} == {
        "allow_once",
        "allow_always",
        "reject_once",
        "reject_always",
    }
    assert any(c["type"] == "diff" for c in request["toolCall"]["content"])
    finals = [
        u
        for u in editor.session_updates(session_id, "tool_call_update")
        if u.get("status") == "failed"
    ]
    assert finals and editor.text(session_id).endswith("after")


async def test_allow_always_is_remembered_for_the_session(tmp_path: Path) -> None:
    editor = Editor(permission="allow_always")
    async with connect(tmp_path / "home", editor) as (editor, server):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        await editor.prompt(session_id, "write a.txt 1")
        await editor.prompt(session_id, "write b.txt 2")
        grants = server.store.get(session_id).grants
    assert len(editor.permission_requests) == 1
    assert (tmp_path / "b.txt").read_text() == "2" and grants == ["allow:write_file"]


async def test_set_config_option_returns_the_full_list_and_mode_changes_send_both_updates(
    tmp_path: Path,
) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        result = await editor.call(
            "session/set_config_option",
            {"sessionId": session_id, "configId": "mode", "value": "read-only"},
        )
        await editor.wait_for(lambda: editor.session_updates(session_id, "config_option_update"))
        await editor.call("session/set_mode", {"sessionId": session_id, "modeId": "yolo"})
        await editor.wait_for(
            lambda: len(editor.session_updates(session_id, "current_mode_update")) == 2
        )
    assert {o["id"] for o in result["configOptions"]} == {"model", "mode", "thought_level"}
    assert {o["category"] for o in result["configOptions"]} == {"model", "mode", "thought_level"}
    modes = [u["currentModeId"] for u in editor.session_updates(session_id, "current_mode_update")]
    assert modes == ["read-only", "yolo"]


async def test_read_only_mode_refuses_writes_with_a_message_to_the_model(tmp_path: Path) -> None:
    async with connect(tmp_path / "home", mode="read-only") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        await editor.prompt(session_id, "write x.txt no")
    assert not (tmp_path / "x.txt").exists() and not editor.permission_requests


async def test_first_prompt_sets_a_title_and_list_shows_it(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        await editor.prompt(session_id, "say Refactor the parser")
        listed = await editor.call("session/list", {"cwd": str(tmp_path) + "/"})
    assert (
        editor.session_updates(session_id, "session_info_update")[0]["title"]
        == "say Refactor the parser"
    )
    assert listed["sessions"][0]["sessionId"] == session_id and listed["sessions"][0]["title"]


async def test_list_filters_on_cwd_and_pages_with_an_opaque_cursor(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        ids = {await editor.new_session(tmp_path) for _ in range(55)}
        await editor.new_session(other)
        first = await editor.call("session/list", {"cwd": str(tmp_path)})
        second = await editor.call(
            "session/list", {"cwd": str(tmp_path), "cursor": first["nextCursor"]}
        )
        empty = await editor.call("session/list", {"cwd": str(tmp_path / "nowhere")})
        with pytest.raises(RpcError) as info:
            await editor.call("session/list", {"cursor": "!!not-a-cursor!!"})
    seen = {s["sessionId"] for s in first["sessions"] + second["sessions"]}
    assert seen == ids and "nextCursor" not in second
    assert empty == {"sessions": []}
    assert info.value.code == ErrorCode.INVALID_PARAMS


async def test_delete_of_an_unknown_session_succeeds_and_deleted_sessions_vanish(
    tmp_path: Path,
) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        assert await editor.call("session/delete", {"sessionId": "sess_unknown"}) == {}
        await editor.call("session/delete", {"sessionId": session_id})
        listed = await editor.call("session/list", {})
    assert listed["sessions"] == []


async def test_load_replays_history_before_responding_and_resume_does_not(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with connect(home, mode="yolo") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        await editor.prompt(session_id, "think first\nplan one\nwrite f.txt data\nsay done")
    async with connect(home) as (editor, _):
        await editor.initialize()
        await editor.call(
            "session/load", {"sessionId": session_id, "cwd": str(tmp_path), "mcpServers": []}
        )
        replayed = [f for _, f in editor.frames if f.get("method") == "session/update"]
        load_index = next(
            i for i, (_, f) in enumerate(editor.frames) if f.get("id") == 2 and "result" in f
        )
        kinds = [u["update"]["sessionUpdate"] for u in editor.updates]
        before = [
            i
            for i, (_, f) in enumerate(editor.frames)
            if f.get("method") == "session/update"
            and f["params"]["update"]["sessionUpdate"] != "available_commands_update"
        ]
    assert {
        "user_message_chunk",
        "agent_thought_chunk",
        "plan",
        "tool_call",
        "tool_call_update",
        "agent_message_chunk",
    } <= set(kinds)
    assert replayed and max(before) < load_index
    async with connect(home) as (editor, _):
        await editor.initialize()
        await editor.call(
            "session/resume", {"sessionId": session_id, "cwd": str(tmp_path), "mcpServers": []}
        )
        await editor.wait_for(lambda: editor.updates)
        kinds = {u["update"]["sessionUpdate"] for u in editor.updates}
    assert kinds == {"available_commands_update"}


async def test_loading_an_unknown_session_is_resource_not_found(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        with pytest.raises(RpcError) as info:
            await editor.call(
                "session/load", {"sessionId": "sess_nope", "cwd": str(tmp_path), "mcpServers": []}
            )
    assert info.value.code == ErrorCode.RESOURCE_NOT_FOUND


async def test_fork_copies_history_into_a_new_session(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, server):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        await editor.prompt(session_id, "say original")
        forked = await editor.call(
            "session/fork", {"sessionId": session_id, "cwd": str(tmp_path), "mcpServers": []}
        )
        new_id = forked["sessionId"]
        await editor.prompt(new_id, "say branch")
        fork_messages = server.store.get(new_id).messages
        source_messages = server.store.get(session_id).messages
        counts = server.store.update_count(new_id), server.store.update_count(session_id)
    assert new_id != session_id
    assert fork_messages[: len(source_messages)] == source_messages and len(fork_messages) > len(
        source_messages
    )
    assert counts[0] > counts[1]


async def test_prompt_without_a_usable_provider_is_auth_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with connect(tmp_path / "home", model="openai:gpt-4.1") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        with pytest.raises(RpcError) as info:
            await editor.prompt(session_id, "say hi")
    assert info.value.code == ErrorCode.AUTH_REQUIRED and "OPENAI_API_KEY" in info.value.message


async def test_slash_commands_are_answered_locally(tmp_path: Path) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        result = await editor.prompt(session_id, "/context")
        await editor.prompt(session_id, "/mode yolo")
        await editor.prompt(session_id, "/unknownword stays text")
    assert result["stopReason"] == "end_turn"
    text = editor.text(session_id)
    assert "Context:" in text and "Mode set to `yolo`" in text and "/unknownword stays text" in text


async def test_skills_become_commands_that_inject_their_body(tmp_path: Path) -> None:
    skill = tmp_path / ".agents" / "skills" / "greet"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text(
        "---\nname: greet\ndescription: Say a greeting\n---\nsay skill body ran\n"
    )
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        session_id = await editor.new_session(tmp_path)
        await editor.wait_for(
            lambda: editor.session_updates(session_id, "available_commands_update")
        )
        names = {
            c["name"]
            for c in editor.session_updates(session_id, "available_commands_update")[0][
                "availableCommands"
            ]
        }
        await editor.prompt(session_id, "/greet")
    assert "greet" in names and "help" in names
    assert "skill body ran" in editor.text(session_id)


async def test_skills_edited_between_sessions_show_up_in_the_next_one(tmp_path: Path) -> None:
    skills = tmp_path / ".agents" / "skills"
    (skills / "greet").mkdir(parents=True)
    greet = skills / "greet" / "SKILL.md"
    greet.write_text("---\nname: greet\ndescription: Say a greeting\n---\nsay first body\n")

    def commands_of(editor: Editor, session_id: str) -> dict[str, str]:
        update = editor.session_updates(session_id, "available_commands_update")[0]
        return {c["name"]: c["description"] for c in update["availableCommands"]}

    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        first = await editor.new_session(tmp_path)
        await editor.wait_for(lambda: editor.session_updates(first, "available_commands_update"))
        # Same size, so only the modification time tells the edit apart.
        greet.write_text("---\nname: greet\ndescription: Say a farewell\n---\nsay other body\n")
        os.utime(greet, ns=(greet.stat().st_mtime_ns + 10**9,) * 2)
        (skills / "lint").mkdir()
        (skills / "lint" / "SKILL.md").write_text("---\nname: lint\ndescription: Lint it\n---\nx\n")
        second = await editor.new_session(tmp_path)
        await editor.wait_for(lambda: editor.session_updates(second, "available_commands_update"))
        await editor.prompt(second, "/greet")
        (skills / "lint" / "SKILL.md").unlink()
        third = await editor.new_session(tmp_path)
        await editor.wait_for(lambda: editor.session_updates(third, "available_commands_update"))
    assert commands_of(editor, first)["greet"] == "Say a greeting"
    assert "lint" not in commands_of(editor, first)
    assert commands_of(editor, second)["greet"] == "Say a farewell"
    assert commands_of(editor, second)["lint"] == "Lint it"
    assert "other body" in editor.text(second)
    assert "lint" not in commands_of(editor, third)
