"""The model option offers a provider's live catalogue, through the protocol:
session/new answers from what is known, and a config_option_update follows
once the listing arrives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from acp_server.config import load_config
from tests.server.harness import connect
from tests.support.fake_provider import FakeProvider, ollama_tags, openai_models


def _values(option: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for item in option["options"]:
        out += [o["value"] for o in item["options"]] if "group" in item else [item["value"]]
    return out


def _model_option(options: list[dict[str, Any]]) -> dict[str, Any]:
    return next(o for o in options if o["id"] == "model")


async def test_session_new_answers_first_then_offers_the_live_catalogue(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    async with FakeProvider() as fake:
        fake.listings["/v1/models"] = openai_models("box-small", "box-large")
        (home / "config.yaml").write_text(
            f"providers:\n  boxa:\n    base_url: {fake.base_url}/v1\n"
        )
        config = load_config(home, flags={"model": "boxa:box-small"}, env={})
        async with connect(home, config=config) as (editor, _):
            await editor.initialize()
            result = await editor.call("session/new", {"cwd": str(tmp_path), "mcpServers": []})
            first = _values(_model_option(result["configOptions"]))
            session = result["sessionId"]
            await editor.wait_for(
                lambda: editor.session_updates(session, "config_option_update"), timeout=10
            )
            update = editor.session_updates(session, "config_option_update")[0]
    assert "boxa:box-large" not in first  # the reply did not wait for the network
    assert {"boxa:box-small", "boxa:box-large"} <= set(
        _values(_model_option(update["configOptions"]))
    )
    assert (home / "cache" / "models-boxa.json").exists()


async def test_catalogues_of_two_providers_are_grouped_by_provider(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    async with FakeProvider() as fake_a, FakeProvider() as fake_b:
        fake_a.listings["/v1/models"] = openai_models("alpha")
        fake_b.listings["/api/tags"] = ollama_tags("beta:7b")
        (home / "config.yaml").write_text(
            f"providers:\n  boxb:\n    base_url: {fake_a.base_url}/v1\n"
            f"  ollama:\n    base_url: {fake_b.base_url}/v1\n"
        )
        config = load_config(home, flags={"model": "boxb:alpha"}, env={})
        async with connect(home, config=config) as (editor, _):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            await editor.wait_for(
                lambda: editor.session_updates(session, "config_option_update"), timeout=10
            )
            update = editor.session_updates(session, "config_option_update")[-1]
    groups = {g["group"]: g for g in _model_option(update["configOptions"])["options"]}
    assert {"boxb", "ollama"} <= set(groups)
    assert "ollama:beta:7b" in [o["value"] for o in groups["ollama"]["options"]]


async def test_a_model_offered_inside_a_provider_group_can_be_chosen(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    async with FakeProvider() as fake_a, FakeProvider() as fake_b:
        fake_a.listings["/v1/models"] = openai_models("alpha")
        fake_b.listings["/api/tags"] = ollama_tags("gamma:3b")
        (home / "config.yaml").write_text(
            f"providers:\n  boxc:\n    base_url: {fake_a.base_url}/v1\n"
            f"  ollama:\n    base_url: {fake_b.base_url}/v1\n"
        )
        config = load_config(home, flags={"model": "boxc:alpha"}, env={})
        async with connect(home, config=config) as (editor, _):
            await editor.initialize()
            session = await editor.new_session(tmp_path)
            await editor.wait_for(
                lambda: editor.session_updates(session, "config_option_update"), timeout=10
            )
            result = await editor.call(
                "session/set_config_option",
                {"sessionId": session, "configId": "model", "value": "ollama:gamma:3b"},
            )
    assert _model_option(result["configOptions"])["currentValue"] == "ollama:gamma:3b"
