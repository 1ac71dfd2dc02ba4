"""Anthropic models through the clouds: `bedrock:MODEL` (Amazon Bedrock) and
`vertex:MODEL` (Google Vertex AI). Resolution only: no SDK is imported here.

Each setting is taken from config.yaml (`providers.bedrock.region`, ...),
else the environment, else `$ACP_SERVER_HOME/.env` (the host passes those in
`ProviderConfig.env`), with the variable names from `facts`. What cannot work
without a setting (Vertex without a region or project, Bedrock without any
region source) is refused here, with the setting to add, before any request.
Credentials are left to each cloud's own chain (AWS: keys, profile, SSO,
instance role; Google: application default credentials), because only the
SDK can tell whether they are valid: a refusal comes back as
`AuthenticationFailed` from the first call, and `doctor` checks that some
source is present.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from agent.providers.base import ModelNotConfigured, Provider
from agent.providers.facts import ProviderFacts
from agent.providers.sdk import require_sdk
from agent.providers.settings import ProviderConfig, ResolvedModel

_AWS_KEY_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def _lookup(configured: ProviderConfig, env: Mapping[str, str]) -> Callable[[str], str | None]:
    def value(name: str) -> str | None:
        return env.get(name) or configured.env.get(name) or None

    return value


def _first(value: Callable[[str], str | None], names: tuple[str, ...]) -> str | None:
    return next((v for v in map(value, names) if v), None)


def aws_config_file(env: Mapping[str, str]) -> str:
    """Where boto3 reads profiles (and their regions) from."""
    return env.get("AWS_CONFIG_FILE") or os.path.expanduser("~/.aws/config")


def resolve_cloud(
    model_id: str, facts: ProviderFacts, configured: ProviderConfig, env: Mapping[str, str]
) -> ResolvedModel:
    value = _lookup(configured, env)
    name = model_id.partition(":")[2]
    region = configured.region or _first(value, facts.region_envs)
    project = configured.project or _first(value, facts.project_envs)
    profile = configured.profile or (value(facts.profile_env) if facts.profile_env else None)
    names = (*((facts.key_env,) if facts.key_env else ()), *facts.credential_envs)
    credentials = {n: v for n in names if (v := value(n))}
    if configured.profile:
        # A profile named in config.yaml is the most explicit choice: keys in
        # the environment do not override it (as with the AWS tools' --profile).
        credentials = {n: v for n, v in credentials.items() if n not in _AWS_KEY_VARIABLES}
    base_url = configured.base_url or (value(facts.base_url_env) if facts.base_url_env else None)
    require_sdk(facts.kind, model_id)
    _require_settings(facts, region, project, env)
    api_key = configured.api_key or (credentials.get(facts.key_env) if facts.key_env else None)
    return ResolvedModel(
        model_id,
        facts.name,
        facts.kind,
        name,
        base_url,
        api_key,
        facts.key_env,
        region=region,
        project=project,
        profile=profile,
        credentials=credentials,
    )


def _require_settings(
    facts: ProviderFacts, region: str | None, project: str | None, env: Mapping[str, str]
) -> None:
    setup = f"or run `acp-server setup-provider --provider {facts.name}`"
    # Bedrock may still find a region in the AWS profile's config file.
    if not region and (facts.kind == "vertex" or not os.path.exists(aws_config_file(env))):
        raise ModelNotConfigured(
            f"no region for provider {facts.name!r}",
            f"set providers.{facts.name}.region in config.yaml or "
            f"{facts.region_envs[0]} (environment or .env), {setup}",
        )
    if facts.kind == "vertex" and not project:
        raise ModelNotConfigured(
            f"no Google Cloud project for provider {facts.name!r}",
            f"set providers.{facts.name}.project in config.yaml or "
            f"{facts.project_envs[0]} (environment or .env), {setup}",
        )


def build_cloud_provider(resolved: ResolvedModel) -> Provider:
    # The SDK (and boto3 or google-auth with it) loads here, on the first call.
    from agent.providers.anthropic_cloud import BedrockProvider, VertexProvider

    if resolved.kind == "bedrock":
        return BedrockProvider(resolved)
    return VertexProvider(resolved)


__all__ = ["aws_config_file", "build_cloud_provider", "resolve_cloud"]
