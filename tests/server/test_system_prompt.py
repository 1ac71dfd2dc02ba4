"""A client-provided `systemPrompt` (unstable schema), behind the
`session_system_prompt` flag, through the real protocol against a real SDK
talking to a local fake provider.

With the flag on, `sessionCapabilities.systemPrompt` is advertised (append
mode only) and the text given on new, load, resume or fork is appended to the
model's system prompt after the agent's own instructions and AGENTS.md. It is
not stored with the session: the schema lets an agent use its default
instructions when a later request sends none, and asks clients to send the
same value on every lifecycle request.
What cannot be applied is refused with -32602 before any session exists: an
unadvertised mode, a non-text block, an empty list. With the flag off nothing
is advertised and a `systemPrompt` is refused, never silently dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from protocol import ErrorCode, RpcError
from tests.server.harness import connect
from tests.server.test_failed_turns import config_for
from tests.support.fake_provider import FakeProvider, openai_stream

FLAG = "session_system_prompt"


def appended(text: str, mode: str = "append") -> dict[str, Any]:
    return {"systemPrompt": {"mode": mode, "content": [{"type": "text", "text": text}]}}


def system_text(fake: FakeProvider, index: int = -1) -> str:
    messages = fake.requests[index].body["messages"]
    assert messages[0]["role"] in ("system", "developer")
    content = messages[0]["content"]
    return content if isinstance(content, str) else "".join(p["text"] for p in content)


def with_flag(home: Path, fake: FakeProvider, on: bool) -> Any:
    """`openai` pointed at the fake, with the flag as config.yaml would set it."""
    return msgspec.structs.replace(config_for(home, fake), features={FLAG: on})


async def test_the_appended_prompt_follows_the_agents_own_and_agents_md(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (tmp_path / "AGENTS.md").write_text("Project rule: tabs, never spaces.")
    async with FakeProvider() as fake:
        fake.enqueue(openai_stream(text="ok"))
        async with connect(home, config=with_flag(home, fake, True)) as (editor, _):
            init = await editor.initialize()
            session = await editor.new_session(tmp_path, **appended("Client rule: be brief."))
            await editor.prompt(session, "hi", timeout=30)
    assert init["agentCapabilities"]["sessionCapabilities"]["systemPrompt"] == {}
    system = system_text(fake)
    assert system.index("coding agent") < system.index("Project rule") < system.index("Client rule")
    assert system.rstrip().endswith("Client rule: be brief.")


@pytest.mark.parametrize("method", ["session/load", "session/resume", "session/fork"])
async def test_load_resume_and_fork_apply_the_prompt_they_carry_and_none_otherwise(
    tmp_path: Path, method: str
) -> None:
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(*[openai_stream(text="ok") for _ in range(2)])
        config = with_flag(home, fake, True)
        async with connect(home, config=config) as (editor, _):
            await editor.initialize()
            session = await editor.new_session(tmp_path, **appended("First rule."))
        params = {"sessionId": session, "cwd": str(tmp_path), "mcpServers": []}
        async with connect(home, config=config) as (editor, _):
            await editor.initialize()
            kept = await editor.call(method, params)
            await editor.prompt(kept.get("sessionId", session), "hi", timeout=30)
        async with connect(home, config=config) as (editor, _):
            await editor.initialize()
            changed = await editor.call(method, {**params, **appended("Second rule.")})
            await editor.prompt(changed.get("sessionId", session), "hi", timeout=30)
    assert "First rule." not in system_text(fake, 0)  # not stored: the default instructions
    assert "Second rule." in system_text(fake, 1) and "First rule." not in system_text(fake, 1)


@pytest.mark.parametrize(
    "bad",
    [
        appended("x", mode="override"),
        appended("x", mode="_custom"),
        {"systemPrompt": {"mode": "append", "content": []}},
        {"systemPrompt": {}},
        {
            "systemPrompt": {
                "mode": "append",
                "content": [{"type": "image", "data": "", "mimeType": "image/png"}],
            }
        },
    ],
    ids=["override", "unknown-mode", "empty", "no-mode", "image"],
)
async def test_a_system_prompt_that_cannot_be_applied_is_refused_before_a_session_exists(
    tmp_path: Path, bad: dict[str, Any]
) -> None:
    home = tmp_path / "home"
    async with (
        FakeProvider() as fake,
        connect(home, config=with_flag(home, fake, True)) as (editor, server),
    ):
        await editor.initialize()
        with pytest.raises(RpcError) as refused:
            await editor.new_session(tmp_path, **bad)
        listed = await editor.call("session/list", {})
    assert refused.value.code == ErrorCode.INVALID_PARAMS
    assert listed["sessions"] == [] and not server.sessions


async def test_with_the_flag_off_nothing_is_advertised_and_a_system_prompt_is_refused(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with (
        FakeProvider() as fake,
        connect(home, config=with_flag(home, fake, False)) as (editor, _),
    ):
        init = await editor.initialize()
        with pytest.raises(RpcError) as refused:
            await editor.new_session(tmp_path, **appended("Client rule."))
        plain = await editor.new_session(tmp_path)
    assert "systemPrompt" not in init["agentCapabilities"]["sessionCapabilities"]
    assert refused.value.code == ErrorCode.INVALID_PARAMS
    assert plain.startswith("sess_")
