"""The one translation from the server's configuration to the engine's settings.

The engine knows no config file: it takes an `agent.EngineConfig`. Every
setting the config tree has for the engine is carried over here, and a test
holds the two sets of defaults equal, so a default changed on one side only
shows up as a failure rather than as a server that behaves unlike the docs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from acp_server.config.schema import Config

if TYPE_CHECKING:
    from agent import EngineConfig, ProviderConfig


def provider_configs(config: Config) -> dict[str, ProviderConfig]:
    """The configured providers as the agent reads them."""
    from agent import ProviderConfig

    return {
        name: ProviderConfig(p.base_url, p.api_key, p.api_key_env)
        for name, p in config.providers.items()
    }


def engine_config(config: Config) -> EngineConfig:
    # The engine (and its provider registry) loads with the first prompt, not
    # with the configuration.
    from agent import EngineConfig

    providers = provider_configs(config)
    return EngineConfig(
        fallback_models=config.fallback_providers,
        providers=providers,
        max_turns=config.agent.max_turns,
        max_budget_usd=config.agent.max_budget_usd,
        tool_concurrency=config.agent.tool_concurrency,
        command_timeout=config.agent.command_timeout,
        max_edit_bytes=config.agent.max_edit_bytes,
        provider_inactivity_timeout=config.timeouts.provider_inactivity,
        compression_enabled=config.compression.enabled,
        compression_threshold=config.compression.threshold,
        protect_last_n=config.compression.protect_last_n,
        allow=config.permissions.allow,
        deny=config.permissions.deny,
        prices=config.prices,
        smart_routing=config.smart_routing.enabled,
        cheap_model=config.smart_routing.cheap_model,
        smart_routing_max_chars=config.smart_routing.max_prompt_chars,
        long_context_model=config.routing.long_context_model,
    )


__all__ = ["engine_config", "provider_configs"]
