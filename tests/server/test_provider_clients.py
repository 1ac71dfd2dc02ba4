"""Sessions on the same provider share one SDK client and its connections.

Through the real protocol, against the real `openai` SDK and a local fake
provider that notes the TCP connection each request came on: a new session must not
build a client of its own (a new SSL context and a new handshake for each
session's first prompt), while providers at other addresses keep their own.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from acp_server.config import load_config
from tests.server.harness import connect
from tests.support.fake_provider import FakeProvider, openai_stream


class CountingProvider(FakeProvider):
    """The fake provider, noting which connection each completions request
    came on (model listings, fetched by another client, are not counted)."""

    def __init__(self) -> None:
        super().__init__()
        self.completion_connections: set[int] = set()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        before = len(self.requests)
        more = await super()._one(reader, writer)
        if len(self.requests) > before:
            self.completion_connections.add(id(writer))
        return more


def pointed_at(home: Path, fake: FakeProvider, key: str = "sk-x") -> Any:
    """`openai` pointed at `fake`, as a user sets it up."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    (home / "config.yaml").write_text(f"providers:\n  openai:\n    base_url: {fake.base_url}/v1\n")
    return load_config(home, flags={"model": "openai:gpt-4.1"}, env={"OPENAI_API_KEY": key})


async def test_sessions_on_the_same_provider_share_one_client_and_its_connection(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    async with CountingProvider() as fake:
        fake.enqueue(*(openai_stream(text=f"answer {n}") for n in range(3)))
        async with connect(home, config=pointed_at(home, fake)) as (editor, _):
            await editor.initialize()
            for _ in range(3):
                session = await editor.new_session(tmp_path)
                reply = await editor.prompt(session, "hi", timeout=30)
                assert reply["stopReason"] == "end_turn"
    assert len(fake.requests) == 3
    assert len(fake.completion_connections) == 1


async def test_a_provider_at_another_address_or_with_another_key_gets_its_own_client(
    tmp_path: Path,
) -> None:
    async with CountingProvider() as fake, CountingProvider() as other:
        fake.enqueue(openai_stream(text="one"), openai_stream(text="two"))
        other.enqueue(openai_stream(text="three"))
        setups = [(fake, "sk-first"), (other, "sk-first"), (fake, "sk-second")]
        for index, (provider, key) in enumerate(setups):
            home = tmp_path / f"home-{index}"
            async with connect(home, config=pointed_at(home, provider, key)) as (editor, _):
                await editor.initialize()
                session = await editor.new_session(tmp_path)
                reply = await editor.prompt(session, "hi", timeout=30)
                assert reply["stopReason"] == "end_turn"
    assert [len(fake.requests), len(other.requests)] == [2, 1]
    keys = [seen.headers["authorization"] for seen in fake.requests]
    assert keys == ["Bearer sk-first", "Bearer sk-second"]
    assert len(fake.completion_connections) == 2
