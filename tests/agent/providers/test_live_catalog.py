"""Live catalogues against loopback servers speaking each listing shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.providers import live_catalog
from agent.providers.catalog import cost_usd, model_info
from tests.support.fake_provider import (
    FakeProvider,
    closed_port,
    ollama_tags,
    openai_models,
    openrouter_models,
)

pytestmark = pytest.mark.asyncio


async def test_openai_compatible_listing_is_fetched_and_cached(tmp_path: Path) -> None:
    async with FakeProvider() as fake:
        fake.listings["/v1/models"] = openai_models("gpt-x", "gpt-y")
        got = await live_catalog.refresh("openai", fake.base_url + "/v1", "sk-test", tmp_path)
        assert [e.id for e in got.entries] == ["openai:gpt-x", "openai:gpt-y"]
        assert got.reachable and not got.stale
        assert fake.listing_requests[0].path == "/v1/models"
        assert fake.listing_requests[0].headers["authorization"] == "Bearer sk-test"
    assert live_catalog.load_cached(tmp_path, "openai") is not None


async def test_openrouter_context_and_prices_feed_the_meter_and_cost(tmp_path: Path) -> None:
    async with FakeProvider() as fake:
        fake.listings["/api/v1/models"] = openrouter_models(
            ("acme/big-7", 333_000, "0.000002", "0.00001")
        )
        await live_catalog.refresh("openrouter", fake.base_url + "/api/v1", None, tmp_path)
    info = model_info("openrouter:acme/big-7")
    assert info.context_window == 333_000
    assert info.input_price_per_mtok == 2.0 and info.output_price_per_mtok == 10.0
    assert cost_usd(info, 1_000_000, 100_000) == pytest.approx(3.0)


async def test_ollama_installed_models_come_from_api_tags(tmp_path: Path) -> None:
    async with FakeProvider() as fake:
        fake.listings["/api/tags"] = ollama_tags("qwen3:8b", "llama3.2:latest")
        got = await live_catalog.refresh("ollama", fake.base_url + "/v1", None, tmp_path)
        assert fake.listing_requests[0].path == "/api/tags"
    assert [e.id for e in got.entries] == ["ollama:qwen3:8b", "ollama:llama3.2:latest"]


async def test_unreachable_provider_without_cache_reports_the_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    got = await live_catalog.refresh("vllm", url, None, tmp_path, timeout=2.0)
    assert got.entries == [] and got.stale and not got.reachable
    assert got.error


async def test_stale_cache_is_used_when_the_provider_is_down(tmp_path: Path) -> None:
    async with FakeProvider() as fake:
        fake.listings["/v1/models"] = openai_models("kept-model")
        base = fake.base_url + "/v1"
        await live_catalog.refresh("lmstudio", base, None, tmp_path, now=1000.0)
    # The server is gone and the TTL has passed: one new attempt, the old list.
    got = await live_catalog.refresh("lmstudio", base, None, tmp_path, ttl=60, now=2000.0)
    assert [e.id for e in got.entries] == ["lmstudio:kept-model"]
    assert got.stale and got.fetched_at == 1000.0 and got.attempted_at == 2000.0


async def test_a_down_provider_is_asked_at_most_once_per_ttl(tmp_path: Path) -> None:
    async with FakeProvider() as fake:
        from tests.support.fake_provider import error

        fake.listings["/v1/models"] = error(503)
        base = fake.base_url + "/v1"
        first = await live_catalog.refresh("llamacpp", base, None, tmp_path, ttl=60, now=100.0)
        again = await live_catalog.refresh("llamacpp", base, None, tmp_path, ttl=60, now=150.0)
        assert first.stale and again.stale
        assert len(fake.listing_requests) == 1
        fake.listings["/v1/models"] = openai_models("later")
        later = await live_catalog.refresh("llamacpp", base, None, tmp_path, ttl=60, now=161.0)
        assert len(fake.listing_requests) == 2 and not later.stale
