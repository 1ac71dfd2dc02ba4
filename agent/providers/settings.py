"""What a host configures for a provider, and what a model id resolves to.

Kept apart from `registry` so the cloud routes can build providers from a
`ResolvedModel` without importing the resolution and retry machinery back.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec


class ProviderConfig(msgspec.Struct, frozen=True):
    """A host's settings for one provider. `env`: the provider's variables
    (see `facts.settings_variables`) read from a file the process environment
    does not hold (`.env`); the environment wins over it."""

    base_url: str | None = None
    api_key: str | None = None
    api_key_env: str | None = None
    region: str | None = None  # cloud routes (bedrock, vertex)
    project: str | None = None  # vertex
    profile: str | None = None  # bedrock: a named AWS profile
    env: Mapping[str, str] = msgspec.field(default_factory=dict)


class ResolvedModel(msgspec.Struct, frozen=True):
    model_id: str
    provider: str
    kind: str  # "openai" | "anthropic" | "bedrock" | "vertex" | "scripted"
    name: str
    base_url: str | None
    api_key: str | None
    key_env: str | None = None  # where the key comes from, named in a failure's fix
    region: str | None = None
    project: str | None = None
    profile: str | None = None
    # Credential variables that are set (name -> value), for the cloud SDKs.
    credentials: Mapping[str, str] = msgspec.field(default_factory=dict)


__all__ = ["ProviderConfig", "ResolvedModel"]
