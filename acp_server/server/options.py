"""Session config options (model, mode, thought level) and legacy modes.

Both views describe one state; the session sends `current_mode_update` and
`config_option_update` together whenever the mode changes.
"""

from __future__ import annotations

import functools
import os

from acp_server.config import Config
from agent import known_models
from agent.policy import MODE_INFO
from agent.providers import BUILTIN_PROVIDERS

# The editor's mode picker, from the one list of modes (agent/policy.py).
MODES: list[dict[str, str]] = [
    {"id": m.id, "name": m.name, "description": m.description} for m in MODE_INFO
]
THOUGHT_LEVELS = ("off", "low", "medium", "high")
# Sent in every session/new reply and option change; encoded, never changed.
_MODE_OPTIONS = [
    {"value": m["id"], "name": m["name"], "description": m["description"]} for m in MODES
]
_THOUGHT_OPTIONS = [{"value": level, "name": level.capitalize()} for level in THOUGHT_LEVELS]


def model_choices(current: str | None, config: Config) -> list[str]:
    """The current model first, then configured ones, then catalog models of providers with keys."""
    return list(_choices(current, config))


def _choices(current: str | None, config: Config) -> tuple[str, ...]:
    from acp_server.server.catalogues import live_models

    global _choices_for
    live = live_models()
    key = (current, config, live)
    if _choices_for is not None and _choices_for[0] == key:
        return _choices_for[1]
    offered = list(dict.fromkeys([*_offered(config), *live]))
    choices = tuple(dict.fromkeys([current, *offered]) if current else offered or ["scripted"])
    _choices_for = (key, choices)
    return choices


# The last answer of `_choices`: every session/new asks with the same model,
# config object and catalogue (tuples that change only on reload or refresh).
_choices_for: tuple[tuple[str | None, Config, tuple[str, ...]], tuple[str, ...]] | None = None

# The models a loaded config offers, worked out once per config object (they
# are frozen, and a reload makes a new one); the environment holding provider
# keys does not change under a running process.
_offered_by: tuple[Config, list[str]] | None = None


def _offered(config: Config) -> list[str]:
    global _offered_by
    if _offered_by is not None and _offered_by[0] is config:
        return _offered_by[1]
    choices: list[str] = [m for m in (config.model, *config.fallback_providers) if m]
    for provider, builtin in BUILTIN_PROVIDERS.items():
        settings = config.providers.get(provider)
        key_env = (settings.api_key_env if settings else None) or builtin.key_env
        has_key = bool(settings and settings.api_key) or bool(key_env and os.environ.get(key_env))
        if has_key:
            choices += [f"{provider}:{name}" for name in known_models(provider)]
    offered = list(dict.fromkeys(choices))
    _offered_by = (config, offered)
    return offered


def config_options(
    model: str | None, mode: str, thought_level: str | None, config: Config
) -> list[dict[str, object]]:
    """The three options a session in this state is offered: a new list each
    time, whose entries are shared and never changed (built once per state)."""
    return list(_built_options(model, mode, thought_level, _choices(model, config)))


@functools.lru_cache(maxsize=64)
def _built_options(
    model: str | None, mode: str, thought_level: str | None, choices: tuple[str, ...]
) -> tuple[dict[str, object], ...]:
    current_model = model or choices[0]
    return (
        {
            "id": "model",
            "name": "Model",
            "category": "model",
            "type": "select",
            "currentValue": current_model,
            "options": _model_options(list(dict.fromkeys([current_model, *choices]))),
        },
        {
            "id": "mode",
            "name": "Mode",
            "category": "mode",
            "type": "select",
            "currentValue": mode,
            "options": _MODE_OPTIONS,
        },
        {
            "id": "thought_level",
            "name": "Thinking",
            "category": "thought_level",
            "type": "select",
            "currentValue": thought_level or "medium",
            "options": _THOUGHT_OPTIONS,
        },
    )


def _model_options(models: list[str]) -> list[dict[str, object]]:
    """Flat while one provider is offered; grouped by provider (in first-seen
    order, so the current model's group leads) once a catalogue adds others."""
    providers = list(dict.fromkeys(m.partition(":")[0] for m in models))
    if len(providers) <= 1:
        return [{"value": m, "name": m} for m in models]
    return [
        {
            "group": provider,
            "name": provider,
            "options": [
                {"value": m, "name": m.partition(":")[2] or m}
                for m in models
                if m.partition(":")[0] == provider
            ],
        }
        for provider in providers
    ]


def mode_state(current: str) -> dict[str, object]:
    return {"currentModeId": current, "availableModes": MODES}


def checked_option(config_id: str, value: object) -> str:
    """`value` as the setting of option `config_id`, or -32602 naming what is wrong."""
    from protocol import RpcError

    if config_id == "mode":
        if value not in [m["id"] for m in MODES]:
            raise RpcError.invalid_params(f"unknown mode {value!r}")
    elif config_id == "model":
        if not isinstance(value, str) or not value:
            raise RpcError.invalid_params("model must be a model id")
    elif config_id == "thought_level":
        if value not in THOUGHT_LEVELS:
            raise RpcError.invalid_params(f"unknown thought level {value!r}")
    else:
        raise RpcError.invalid_params(f"unknown config option {config_id!r}")
    return str(value)
