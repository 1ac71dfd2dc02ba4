"""A failed turn says that it failed: through the real protocol, against real
provider SDKs talking to a local fake provider.

A turn whose model call fails for good answers `session/prompt` with a JSON-RPC
error after all of its updates (-32000 when the user must fix something,
-32603 otherwise), and the session stores it as a failure, never as text the
agent said. Transient faults mid-stream are retried and the turn completes.
`usage_update` reports the latest request's context in the answering model's
window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from acp_server.config import load_config
from protocol import RpcError
from tests.server.harness import Editor, connect
from tests.support.fake_provider import FakeProvider, Reply, error, mid_stream, openai_stream

META_KEY = "acpServer.turnFailure"  # where a stored update carries a turn's failure
KEY = "sk-proj-FAILFAILFAIL0123456789abcdef"


def config_for(home: Path, fake: FakeProvider, model: str = "openai:gpt-4.1", **flags: Any) -> Any:
    """`openai` pointed at the fake, its key in the environment, as a user sets it up."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    (home / "config.yaml").write_text(f"providers:\n  openai:\n    base_url: {fake.base_url}/v1\n")
    return load_config(home, flags={"model": model, **flags}, env={"OPENAI_API_KEY": KEY})


async def failed_prompt(editor: Editor, session: str, text: str = "hi") -> RpcError:
    with pytest.raises(RpcError) as failed:
        await editor.prompt(session, text, timeout=30)
    return failed.value


def prompt_reply_index(editor: Editor) -> int:
    """Where the agent's last reply (here: to the prompt) is among the frames."""
    return max(
        i
        for i, (side, f) in enumerate(editor.frames)
        if side == "agent" and "id" in f and "method" not in f
    )


def agent_text_frames(editor: Editor) -> list[dict[str, Any]]:
    return [
        f
        for side, f in editor.frames
        if side == "agent"
        and f.get("method") == "session/update"
        and f["params"]["update"]["sessionUpdate"] == "agent_message_chunk"
    ]


async def test_a_rejected_key_answers_the_prompt_with_32000_and_the_fix_after_its_updates(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(error(401, "invalid api key"))
        async with connect(home, config=config_for(home, fake)) as (editor, server):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            failure = await failed_prompt(editor, session)
            stored = [bytes(p) for p in server.store.updates(session)]
    assert failure.code == -32000
    assert failure.data["kind"] == "authentication" and "OPENAI_API_KEY" in failure.data["fix"]
    reply = prompt_reply_index(editor)
    updates = [
        i for i, (side, f) in enumerate(editor.frames) if f.get("method") == "session/update"
    ]
    assert max(updates) < reply, "an update of the turn went out after its response"
    # Shown to the user as a failure, not as something the agent said.
    assert agent_text_frames(editor) == []
    assert not any(b'"agent_message_chunk"' in p for p in stored)
    assert any(META_KEY.encode() in p for p in stored)
    assert all(KEY.encode() not in p for p in stored)


async def test_spent_retries_answer_32603_naming_provider_model_and_url(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(*[error(503, "overloaded", headers={"retry-after": "0"}) for _ in range(4)])
        async with connect(home, config=config_for(home, fake)) as (editor, _):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            failure = await failed_prompt(editor, session)
            # The session lives on: the next prompt is answered normally.
            fake.enqueue(openai_stream(text="back again"))
            again = await editor.prompt(session, "hi again")
        url = f"{fake.base_url}/v1/chat/completions"
    assert failure.code == -32603
    assert (failure.data["provider"], failure.data["model"], failure.data["url"]) == (
        "openai",
        "openai:gpt-4.1",
        url,
    )
    assert failure.data["attempts"] == 4 and "Traceback" not in failure.message
    assert again["stopReason"] == "end_turn" and editor.text(session).endswith("back again")


async def test_a_failed_turn_is_replayed_as_a_failure_and_not_as_agent_text(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(error(400, "context too long"))
        config = config_for(home, fake)
        async with connect(home, config=config) as (editor, server):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            assert (await failed_prompt(editor, session)).code == -32603
            history = list(server.sessions[session].messages)
        async with connect(home, config=config) as (editor, _):
            await editor.initialize()
            await editor.call(
                "session/load", {"sessionId": session, "cwd": str(tmp_path), "mcpServers": []}
            )
    replayed = editor.session_updates(session)
    kinds = [u["sessionUpdate"] for u in replayed]
    assert "user_message_chunk" in kinds and "agent_message_chunk" not in kinds
    failures = [u["_meta"][META_KEY] for u in replayed if META_KEY in u.get("_meta", {})]
    assert [f["code"] for f in failures] == [-32603]
    assert [m["role"] for m in history] == ["user"], "the error is not an assistant message"


async def test_a_reset_mid_stream_is_retried_and_the_turn_completes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(
            mid_stream(openai_stream(text="The first attempt"), reset_after=4),
            openai_stream(text="The whole answer"),
        )
        async with connect(home, config=config_for(home, fake)) as (editor, server):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            result = await editor.prompt(session, "hi", timeout=30)
            history = list(server.sessions[session].messages)
    assert result["stopReason"] == "end_turn"
    chunks = [u["content"]["text"] for u in editor.session_updates(session, "agent_message_chunk")]
    notice = next(i for i, c in enumerate(chunks) if "Retrying" in c)
    # What streamed before the fault stays; the retried step streams in full after the notice.
    assert "The first attempt".startswith("".join(chunks[:notice])) and chunks[:notice]
    assert "".join(chunks[notice + 1 :]) == "The whole answer"
    assert [m.get("content") for m in history if m["role"] == "assistant"] == ["The whole answer"]


async def test_a_stall_mid_stream_is_retried_after_the_inactivity_timeout(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(
            mid_stream(openai_stream(text="silence follows"), stall_after=3),
            openai_stream(text="answered"),
        )
        config = config_for(home, fake, **{"timeouts.provider_inactivity": 0.5})
        async with connect(home, config=config) as (editor, _):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            result = await editor.prompt(session, "hi", timeout=30)
    assert result["stopReason"] == "end_turn" and editor.text(session).endswith("answered")
    assert len(fake.requests) == 2


def usage_updates(editor: Editor, session: str) -> list[dict[str, Any]]:
    return editor.session_updates(session, "usage_update")


async def test_usage_keeps_the_last_known_context_when_a_call_reports_no_usage(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(
            openai_stream(text="one", usage=(1200, 34)), openai_stream(text="two", usage=None)
        )
        async with connect(home, config=config_for(home, fake)) as (editor, _):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            await editor.prompt(session, "first")
            await editor.prompt(session, "second")
    used = [(u["used"], u["size"]) for u in usage_updates(editor, session)]
    assert used == [(1234, 1_047_576), (1234, 1_047_576)]


async def test_usage_size_is_the_window_of_the_model_that_answered(tmp_path: Path) -> None:
    """The primary (a 1M window) refuses the request; the fallback (128k) answers."""
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(error(400, "unsupported"), openai_stream(text="from the fallback"))
        config = config_for(home, fake, fallback_providers=["openai:gpt-4o"])
        async with connect(home, config=config) as (editor, _):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            result = await editor.prompt(session, "hi")
    assert result["stopReason"] == "end_turn"
    assert [u["size"] for u in usage_updates(editor, session)] == [128_000]


async def test_an_unscripted_fault_never_reaches_the_editor_as_a_traceback(
    tmp_path: Path,
) -> None:
    """A stream that is not the provider's format is a provider failure, named."""
    home = tmp_path / "home"
    garbage = Reply(200, {"content-type": "text/event-stream"}, ["data: {oops\n\n"])
    async with FakeProvider() as fake:
        fake.enqueue(garbage)
        async with connect(home, config=config_for(home, fake)) as (editor, _):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            failure = await failed_prompt(editor, session)
    assert failure.code == -32603 and failure.data["kind"] == "provider"
    assert "Traceback" not in failure.message and agent_text_frames(editor) == []
