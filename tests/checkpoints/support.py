"""A session store with turns driven the way the server drives them: a turn
row first, then the prompt's updates and history, writes through the capture
port over real local files, usage last."""

from __future__ import annotations

import msgspec

from acp_server.checkpoints import Caps, TurnCapture, open_turn
from acp_server.store import SessionRecord, SessionStore
from agent.checkpoints import RecordingFileSystem
from agent.localhost import LocalFileSystem


def new_session(store: SessionStore, session_id: str = "s1", cwd: str = "/w") -> None:
    store.create(SessionRecord(id=session_id, cwd=cwd))


async def run_turn(
    store: SessionStore,
    prompt: str,
    writes: list[tuple[str, str]],
    *,
    session_id: str = "s1",
    caps: Caps | None = None,
    cost: float = 0.5,
) -> TurnCapture:
    record = store.get(session_id)
    assert record is not None
    capture = open_turn(
        store,
        session_id,
        prompt=prompt,
        history_len=len(record.messages),
        title=record.title,
        caps=caps or Caps(),
    )
    if record.title is None:
        store.update_meta(session_id, title=prompt[:20])
    chunk = {"sessionUpdate": "user_message_chunk", "content": {"type": "text", "text": prompt}}
    store.append_update(session_id, msgspec.json.encode(chunk), capture.turn)
    files = RecordingFileSystem(LocalFileSystem(), capture)
    for path, content in writes:
        await files.write_text(path, content)
    reply = {"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": "ok"}}
    store.append_update(session_id, msgspec.json.encode(reply), capture.turn)
    messages = [
        *record.messages,
        {"role": "user", "content": [{"type": "text", "text": prompt}]},
        {"role": "assistant", "content": "ok"},
    ]
    store.save_history(session_id, messages)
    capture.seal(messages)
    store.record_usage(session_id, capture.turn, "scripted", 10, 5, cost)
    store.flush()
    return capture
