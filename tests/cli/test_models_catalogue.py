"""`acp-server models` lists live catalogues with each entry's provider and
whether that provider answered, falling back to the cache when it is down."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.support.fake_provider import FakeProvider, closed_port, openai_models

ACP_SERVER = str(Path(sys.executable).with_name("acp-server"))


async def models_json(home: Path) -> tuple[list[dict[str, object]], str]:
    env = {"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home), "HOME": str(home.parent)}
    process = await asyncio.create_subprocess_exec(
        ACP_SERVER, "models", "--json", env=env, stdout=-1, stderr=-1
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err
    return json.loads(out), err.decode()


async def test_models_shows_live_entries_with_provider_then_cache_when_down(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    async with FakeProvider() as fake:
        fake.listings["/v1/models"] = openai_models("served-1")
        (home / "config.yaml").write_text(
            f"providers:\n  boxc:\n    base_url: {fake.base_url}/v1\n"
        )
        rows, _ = await models_json(home)
    live = [r for r in rows if r.get("provider") == "boxc"]
    assert [(r["id"], r["reachable"], r["from_cache"]) for r in live] == [
        ("boxc:served-1", True, False)
    ]
    # Down, with the TTL passed (the cache is aged by hand): the cached list, marked.
    cache = home / "cache" / "models-boxc.json"
    data = json.loads(cache.read_text())
    data["attempted_at"] -= 3600
    cache.write_text(json.dumps(data))
    (home / "config.yaml").write_text(
        f"providers:\n  boxc:\n    base_url: http://127.0.0.1:{closed_port()}/v1\n"
    )
    rows, err = await models_json(home)
    live = [r for r in rows if r.get("provider") == "boxc"]
    assert [(r["id"], r["reachable"], r["from_cache"]) for r in live] == [
        ("boxc:served-1", False, True)
    ]
    assert "boxc" in err
