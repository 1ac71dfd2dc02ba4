"""The engine's settings from the configuration: one mapping, read when a
session's engine is built (so a key set after `session/new` counts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from acp_server.config import Config
    from agent import EngineConfig, ProviderConfig


def provider_configs(c: Config) -> dict[str, ProviderConfig]:
    """The configured providers as the agent reads them."""
    from agent import ProviderConfig

    return {
        name: ProviderConfig(p.base_url, p.api_key, p.api_key_env)
        for name, p in c.providers.items()
    }


def engine_config(c: Config) -> EngineConfig:
    from agent import EngineConfig

    return EngineConfig(
        fallback_models=c.fallback_providers,
        providers=provider_configs(c),
        max_turns=c.agent.max_turns,
        max_budget_usd=c.agent.max_budget_usd,
        tool_concurrency=c.agent.tool_concurrency,
        command_timeout=c.agent.command_timeout,
        max_edit_bytes=c.agent.max_edit_bytes,
        provider_inactivity_timeout=c.timeouts.provider_inactivity,
        compression_enabled=c.compression.enabled,
        compression_threshold=c.compression.threshold,
        protect_last_n=c.compression.protect_last_n,
        allow=c.permissions.allow,
        deny=c.permissions.deny,
        prices=c.prices,
        smart_routing=c.smart_routing.enabled,
        cheap_model=c.smart_routing.cheap_model,
        smart_routing_max_chars=c.smart_routing.max_prompt_chars,
        long_context_model=c.routing.long_context_model,
    )


__all__ = ["engine_config", "provider_configs"]
