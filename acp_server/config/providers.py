"""The configured providers as the engine takes them: the one conversion from
`providers.NAME` settings (with their .env values) to `agent.ProviderConfig`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from acp_server.config.schema import Config
    from agent.providers import ProviderConfig


def provider_configs(config: Config) -> dict[str, ProviderConfig]:
    from agent.providers import ProviderConfig

    return {
        name: ProviderConfig(
            base_url=p.base_url,
            api_key=p.api_key,
            api_key_env=p.api_key_env,
            region=p.region,
            project=p.project,
            profile=p.profile,
            env=dict(p.env),
        )
        for name, p in config.providers.items()
    }


__all__ = ["provider_configs"]
