"""The streaming path: a model's text and thought chunks, from the turn to the
journal and the wire.

`UpdateSink.send_text` writes a chunk without building its update as a dict,
and the journal encodes its records when it is synced rather than on every
append. Neither may change a byte: the stored payload and the frame must be
those `send(text_chunk(...))` produces, whatever the text holds; every delta
arrives once and in order; each chunk is in the journal before its frame is
written, so a kill -9 mid-stream loses nothing the editor was sent; and a
client that did not opt in to notices never gets one in the middle of a stream.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import struct
import subprocess
import sys
from binascii import crc32
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acp_server.opt_ins import GATED_KINDS
from acp_server.server.outbound import TEXT_KINDS, UpdateSink
from acp_server.server.translate import text_chunk
from acp_server.store import SessionStore
from acp_server.store.journal import Journal, decode_records, encode_record
from tests.server.harness import connect
from tests.server.test_failed_turns import config_for
from tests.support.fake_provider import FakeProvider, error, openai_stream

ACP_SERVER = str(Path(sys.executable).with_name("acp-server"))
SESSION = "sess-0123456789"

ODD_TEXTS = [
    "",
    "plain",
    "line\u2028and\u2029paragraph separators",
    "nul\x00and\x01\x1f controls\x7f",
    'quotes " and \\ backslashes \\" and / slashes',
    "\U0001f600 emoji, \u00e9 accents, \ufeff BOM, \ufffd replacement",
    '{"sessionUpdate":"tool_call","terminal":"t1"}',  # looks like what the ledger watches
    "\t\r\n tabs and newlines",
    "x" * (1024 * 1024),  # a 1 MB chunk
    "\u00e9" * (512 * 1024),  # 1 MB of two-byte characters
]


class Recorder:
    """A client link that keeps every frame's params as bytes."""

    def __init__(self) -> None:
        self.params: list[bytes] = []

    async def request(
        self, method: str, params: object = None, *, timeout: float | None = None
    ) -> object:
        raise ConnectionError(method)

    async def notify_encoded(self, method: str, params: list[bytes]) -> None:
        assert method == "session/update"
        self.params.extend(params)


def sink_pair(tmp_path: Path) -> tuple[UpdateSink, UpdateSink, SessionStore]:
    store = SessionStore.open(tmp_path / "sessions.db")
    by_text = UpdateSink(SESSION, Recorder(), store)
    by_dict = UpdateSink(SESSION + "-dict", Recorder(), store)
    return by_text, by_dict, store


def sent(sink: UpdateSink) -> list[bytes]:
    link = sink.link
    assert isinstance(link, Recorder)
    return link.params


def frame_bytes(sink: UpdateSink, params: bytes) -> bytes:
    """The params with the sink's own session id swapped for the shared one."""
    return params.replace(msgspec.json.encode(sink.session_id), msgspec.json.encode(SESSION), 1)


async def send_both(by_text: UpdateSink, by_dict: UpdateSink, text: str, kind: str) -> None:
    await by_text.send_text(text, kind)
    await by_dict.send(text_chunk(text, kind))


@pytest.mark.parametrize("kind", TEXT_KINDS)
@pytest.mark.parametrize("text", ODD_TEXTS, ids=lambda t: repr(t[:24]))
async def test_a_text_chunk_is_stored_and_sent_as_the_exact_bytes_of_its_dict_form(
    tmp_path: Path, text: str, kind: str
) -> None:
    by_text, by_dict, store = sink_pair(tmp_path)
    await send_both(by_text, by_dict, text, kind)
    assert store.updates(SESSION) == store.updates(SESSION + "-dict")
    assert store.updates(SESSION) == [msgspec.json.encode(text_chunk(text, kind))]
    assert [frame_bytes(by_dict, p) for p in sent(by_dict)] == sent(by_text)
    store.close()


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(), min_size=1, max_size=8))
def test_any_text_chunks_are_stored_and_sent_as_their_dict_forms(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    by_text, by_dict, store = sink_pair(tmp_path_factory.mktemp("store"))

    async def run() -> None:
        for index, text in enumerate(texts):
            await send_both(by_text, by_dict, text, TEXT_KINDS[index % 2])

    asyncio.run(run())
    assert store.updates(SESSION) == store.updates(SESSION + "-dict")
    assert [frame_bytes(by_dict, p) for p in sent(by_dict)] == sent(by_text)
    store.close()


@pytest.mark.parametrize("text", ["\ud800", "half \udfff of a pair", "\ud83d"])
async def test_a_lone_surrogate_is_refused_as_the_dict_form_is_and_nothing_is_stored_or_sent(
    tmp_path: Path, text: str
) -> None:
    by_text, by_dict, store = sink_pair(tmp_path)
    with pytest.raises(UnicodeEncodeError):
        await by_dict.send(text_chunk(text))
    with pytest.raises(UnicodeEncodeError):
        await by_text.send_text(text)
    assert store.updates(SESSION) == [] and store.updates(SESSION + "-dict") == []
    assert sent(by_text) == [] and sent(by_dict) == []
    store.close()


def test_no_opt_in_gates_the_kinds_the_text_path_sends_ungated() -> None:
    assert not set(TEXT_KINDS) & GATED_KINDS.keys()


async def test_a_sink_without_opt_ins_sends_text_chunks_around_gated_updates_but_never_those(
    tmp_path: Path,
) -> None:
    store = SessionStore.open(tmp_path / "sessions.db")
    sink = UpdateSink(SESSION, Recorder(), store)
    notice = {"sessionUpdate": "notice", "severity": "info", "title": "t", "description": "d"}
    compaction = {
        "sessionUpdate": "compaction_update",
        "compactionId": "c1",
        "status": "in_progress",
    }
    for n in range(3):
        await sink.send_text(f"chunk {n}")
        await sink.send(notice, persist=False)
        await sink.send_text(f"thought {n}", "agent_thought_chunk")
        await sink.send(compaction)
    updates = [msgspec.json.decode(p)["update"] for p in sent(sink)]
    assert [u["sessionUpdate"] for u in updates] == [
        "agent_message_chunk",
        "agent_thought_chunk",
    ] * 3
    assert [u["content"]["text"] for u in updates[::2]] == ["chunk 0", "chunk 1", "chunk 2"]
    stored = [msgspec.json.decode(p)["sessionUpdate"] for p in store.updates(SESSION)]
    assert stored == ["agent_message_chunk", "agent_thought_chunk", "compaction_update"] * 3
    store.close()


def _reference_record(sid: str, seq: int, turn: int, ts: float, payload: bytes) -> bytes:
    """The documented record layout, built independently of the journal module."""
    raw = sid.encode()
    body = struct.pack("<IIIId", len(raw), len(payload), seq, turn, ts) + raw + payload
    return struct.pack("<I", crc32(body)) + body


def test_a_deferred_journal_writes_each_record_once_in_order_in_the_documented_layout(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path, deferred=True)
    rows = [("s1" if n % 3 else "s\u00e9", n, 1, 1.5 + n, b'{"n":%d}' % n) for n in range(1, 8)]
    for row in rows[:3]:
        journal.append(*row)
    assert journal.path.read_bytes() == b""  # nothing written before the sync
    journal.sync()
    journal.sync()  # nothing new: nothing written twice
    for row in rows[3:]:
        journal.append(*row)
    journal.sync()
    data = journal.path.read_bytes()
    assert data == b"".join(_reference_record(*row) for row in rows)
    assert data == b"".join(encode_record(*row) for row in rows)
    assert decode_records(data).rows == rows
    journal.close()


async def test_every_delta_of_a_long_stream_arrives_once_and_in_order_and_replays_so(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with connect(home) as (editor, _):
        await editor.initialize()
        session = await editor.new_session(tmp_path)
        result = await editor.prompt(session, "think one two three\nstream 2000 12\nsay a b c")
        live = [u for u in editor.session_updates(session) if u["sessionUpdate"] in TEXT_KINDS]
    assert result["stopReason"] == "end_turn"
    thoughts = [u["content"]["text"] for u in live if u["sessionUpdate"] == "agent_thought_chunk"]
    chunks = [u["content"]["text"] for u in live if u["sessionUpdate"] == "agent_message_chunk"]
    assert "".join(thoughts) == "one two three"
    assert [int(c[:7]) for c in chunks[:2000]] == list(range(2000))
    assert "".join(chunks[2000:]) == "a b c"
    async with connect(home) as (again, _):
        await again.initialize()
        await again.call(
            "session/load", {"sessionId": session, "cwd": str(tmp_path), "mcpServers": []}
        )
        replayed = [u for u in again.session_updates(session) if u["sessionUpdate"] in TEXT_KINDS]
    assert replayed == live


@pytest.mark.parametrize("seed", range(3))
def test_a_kill_9_mid_stream_loses_no_chunk_the_editor_was_sent(tmp_path: Path, seed: int) -> None:
    home = tmp_path / "home"
    env = {"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home)}
    process = subprocess.Popen(
        [ACP_SERVER, "--model", "scripted"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    assert process.stdin and process.stdout
    try:

        def call(request_id: int, method: str, params: dict[str, Any]) -> None:
            frame = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
            process.stdin.write(json.dumps(frame).encode() + b"\n")  # type: ignore[union-attr]
            process.stdin.flush()  # type: ignore[union-attr]

        def next_frame() -> dict[str, Any]:
            line = process.stdout.readline()  # type: ignore[union-attr]
            assert line, "the server closed stdout before the kill"
            frame: dict[str, Any] = json.loads(line)
            return frame

        call(1, "initialize", {"protocolVersion": 1})
        call(2, "session/new", {"cwd": str(tmp_path), "mcpServers": []})
        session = None
        while session is None:
            frame = next_frame()
            session = (frame.get("result") or {}).get("sessionId") if frame.get("id") == 2 else None
        prompt = [{"type": "text", "text": "stream 400000 12"}]
        call(3, "session/prompt", {"sessionId": session, "prompt": prompt})
        seen: list[str] = []
        wanted = random.Random(seed).randint(1000, 100000)
        while len(seen) < wanted:
            update = next_frame().get("params", {}).get("update", {})
            if update.get("sessionUpdate") == "agent_message_chunk":
                seen.append(update["content"]["text"])
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    stored = [
        u["content"]["text"]
        for u in _load_updates(home, tmp_path, session)
        if u["sessionUpdate"] == "agent_message_chunk"
    ]
    assert stored[: len(seen)] == seen  # everything sent was journaled first
    assert [int(c[:7]) for c in stored] == list(range(len(stored)))  # and in order


def _load_updates(home: Path, cwd: Path, session: str) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        from editor_clients.client import ClientConnection

        client = await ClientConnection.spawn(
            [ACP_SERVER, "--model", "scripted"],
            cwd=str(cwd),
            env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home)},
        )
        try:
            await client.initialize()
            await client.load_session(session)
            return list(client.sessions[session].updates)
        finally:
            await client.close()

    return asyncio.run(run())


MODEL_TEXT = 'a\u2028b\x00c \U0001f600 "quoted" \\ back' * 40


async def test_a_client_without_the_notices_opt_in_gets_no_notice_mid_stream_and_every_chunk(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with FakeProvider() as fake:
        fake.enqueue(error(503, "overloaded", headers={"retry-after": "0"}))
        fake.enqueue(openai_stream(text=MODEL_TEXT, reasoning="thinking \u2029 hard", split=3))
        config = config_for(home, fake)
        async with connect(home, config=config) as (editor, server):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            result = await editor.prompt(session, "hi", timeout=30)
            stored = [msgspec.json.decode(p) for p in server.store.updates(session)]
    kinds = {u["sessionUpdate"] for u in editor.session_updates(session)}
    assert result["stopReason"] == "end_turn"
    assert "notice" not in kinds
    assert editor.text(session).endswith(MODEL_TEXT)  # the retry's text stand-in comes first
    thoughts = editor.session_updates(session, "agent_thought_chunk")
    assert "".join(u["content"]["text"] for u in thoughts) == "thinking \u2029 hard"
    model_chunks = [u for u in stored if u["sessionUpdate"] in TEXT_KINDS]
    assert (
        model_chunks
        == [u for u in editor.session_updates(session) if u["sessionUpdate"] in TEXT_KINDS][
            -len(model_chunks) :
        ]
    )
