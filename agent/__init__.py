"""The LLM turn engine. It knows no ACP; hosts adapt it through `agent.ports`.

Heavy provider SDKs load only when a model is first called. The names below
load on first use too: a host that only needs `agent.events` or `agent.ports`
(an ACP session before its first prompt) does not pay for the engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.ask import ask
    from agent.config import EngineConfig
    from agent.engine import Engine
    from agent.policy import MODES, Decision, decide
    from agent.providers import (
        ModelInfo,
        ModelNotConfigured,
        ProviderConfig,
        check_model,
        known_models,
        model_info,
    )
    from agent.tools.info import ToolInfo
    from agent.turn_failure import TurnFailedError

_HOME = {
    "ask": "agent.ask",
    "EngineConfig": "agent.config",
    "Engine": "agent.engine",
    "ToolInfo": "agent.tools.info",
    "MODES": "agent.policy",
    "Decision": "agent.policy",
    "decide": "agent.policy",
    "ModelInfo": "agent.providers",
    "ModelNotConfigured": "agent.providers",
    "ProviderConfig": "agent.providers",
    "check_model": "agent.providers",
    "known_models": "agent.providers",
    "model_info": "agent.providers",
    "TurnFailedError": "agent.turn_failure",
}


def __getattr__(name: str) -> object:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'agent' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain module attribute
    return value


__all__ = [
    "MODES",
    "Decision",
    "Engine",
    "EngineConfig",
    "ModelInfo",
    "ModelNotConfigured",
    "ProviderConfig",
    "ToolInfo",
    "TurnFailedError",
    "ask",
    "check_model",
    "decide",
    "known_models",
    "model_info",
]
