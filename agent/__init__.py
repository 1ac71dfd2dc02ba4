"""The LLM turn engine. It knows no ACP; hosts adapt it through `agent.ports`.

Heavy provider SDKs load only when a model is first called.
"""

from agent.ask import ask
from agent.config import EngineConfig
from agent.engine import Engine, ToolInfo
from agent.policy import MODES, Decision, decide
from agent.providers import (
    ModelInfo,
    ModelNotConfigured,
    ProviderConfig,
    check_model,
    known_models,
    model_info,
)

__all__ = [
    "MODES",
    "Decision",
    "Engine",
    "EngineConfig",
    "ModelInfo",
    "ModelNotConfigured",
    "ProviderConfig",
    "ToolInfo",
    "ask",
    "check_model",
    "decide",
    "known_models",
    "model_info",
]
