"""The start-up scan of config.yaml's `features:` table reads what YAML reads.

`scan_config_features` runs before the initialize reply, without a YAML
parser; whatever form the table is written in, it must agree with the full
loader (PyYAML plus `check_table`), or the flags advertised at `initialize`
would differ from the ones the server later enforces."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from acp_server.features import check_table, resolve_for_home, scan_config_features

FORMS = {
    "block": "features:\n  session_title: true\n  session_fork: false\n",
    "flow": "features: {session_title: true, session_fork: false}\n",
    "flow without spaces": "features: {session_title: true,session_fork: off}\n",
    "flow over lines": "model: scripted\nfeatures: {\n  session_title: yes,\n  session_fork: no\n}\n",
    "flow with a comment": "features: {session_title: true}  # try it\n",
    "quoted names": "features: {'session_title': true, \"prompt_usage\": True}\n",
    "block with a trailing comment": "features:\n  session_title: true # mine\nmodel: scripted\n",
    "empty flow": "features: {}\n",
    "odd cases": "features: {session_title: TRUE, session_fork: Off}\n",
    "after other keys": "agent:\n  max_turns: 5\nfeatures: {prompt_usage: true}\n",
}


@pytest.mark.parametrize("body", FORMS.values(), ids=FORMS.keys())
def test_the_start_up_scan_agrees_with_the_yaml_loader(tmp_path: Path, body: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(body)
    loaded = check_table(yaml.safe_load(body).get("features") or {}, str(path))
    assert scan_config_features(path) == loaded


@pytest.mark.parametrize("value", ["1", "0", "tRUE", "maybe"])
def test_the_start_up_scan_ignores_what_yaml_does_not_read_as_a_boolean(
    tmp_path: Path, value: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"features: {{session_title: {value}}}\n")
    assert not isinstance(yaml.safe_load(path.read_text())["features"]["session_title"], bool)
    assert scan_config_features(path) == {}


def test_a_flow_style_features_table_switches_the_flags(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("features: {session_title: true, session_fork: false}\n")
    states = resolve_for_home(tmp_path, env={})
    assert states["session_title"] is True and states["session_fork"] is False


async def test_a_flow_style_features_table_reaches_initialize_of_the_real_process(
    tmp_path: Path,
) -> None:
    from tests.server.test_stdio_process import spawn

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "config.yaml").write_text("features: {session_title: true, session_fork: false}\n")
    proc = await spawn(home)
    reply = await proc.call("initialize", {"protocolVersion": 1})
    _, _, code = await proc.finish()
    caps = reply["result"]["agentCapabilities"]["sessionCapabilities"]
    assert code == 0
    assert "title" in caps and "fork" not in caps
