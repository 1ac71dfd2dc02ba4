"""The server's configuration and the engine agree on every default, and
`engine_config` carries each engine setting of the config tree over."""

from __future__ import annotations

from pathlib import Path

import msgspec

from acp_server.config import Config, load_config
from acp_server.config.engine import engine_config
from agent import EngineConfig


def _differences(left: EngineConfig, right: EngineConfig) -> dict[str, tuple[object, object]]:
    return {
        name: (getattr(left, name), getattr(right, name))
        for name in EngineConfig.__struct_fields__
        if getattr(left, name) != getattr(right, name)
    }


def test_the_default_config_gives_the_engine_its_own_defaults() -> None:
    assert _differences(engine_config(Config()), EngineConfig()) == {}


def test_a_config_loaded_from_an_empty_home_gives_the_engine_its_own_defaults(
    tmp_path: Path,
) -> None:
    assert _differences(engine_config(load_config(tmp_path, env={})), EngineConfig()) == {}


def test_every_engine_setting_follows_a_changed_config_value() -> None:
    config = msgspec.structs.replace(
        Config(),
        agent=msgspec.structs.replace(Config().agent, max_turns=7, tool_concurrency=2),
        permissions=msgspec.structs.replace(Config().permissions, deny=("run_command",)),
    )
    engine = engine_config(config)
    assert (engine.max_turns, engine.tool_concurrency, engine.deny) == (7, 2, ("run_command",))


def test_the_start_up_mode_check_knows_exactly_the_policy_modes() -> None:
    # main.py spells the modes out so the policy is not loaded before initialize.
    from acp_server.server import main
    from agent.policy import MODES

    assert main._MODES == MODES
