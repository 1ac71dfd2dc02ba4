"""The built-in providers: one table of what each one is and where its settings live.

Everything that needs to know a provider reads it here: model resolution
(`registry`), the local-server rule of the price table (`catalog`), which
environment variables are secrets (`agent.redaction`), and the host's setup,
doctor and `initialize` texts. Adding a provider is a row here (and, for a new
`kind`, a provider class).

A row names variables, never values: the values come from config.yaml, the
environment or `$ACP_SERVER_HOME/.env`, in that order of precedence.

This module imports nothing of ours, so any module may read it.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Kind = Literal["openai", "anthropic", "bedrock", "vertex"]


class ProviderFacts(msgspec.Struct, frozen=True):
    name: str  # the prefix of a model id: "openai" in "openai:gpt-4.1"
    kind: Kind  # which provider class speaks to it
    display_name: str
    default_model: str  # a full model id, suggested by setup
    key_env: str | None = None  # the API key's variable (None: no key, or a credential chain)
    base_url: str | None = None  # None: the SDK's own default endpoint
    base_url_env: str | None = None  # a variable that overrides `base_url`
    local: bool = False  # a server on this machine: no key, no price
    # Cloud routes: variables tried in order, first one set wins.
    region_envs: tuple[str, ...] = ()
    project_envs: tuple[str, ...] = ()
    profile_env: str | None = None
    # Credential variables besides `key_env` (read by the SDK or passed to it).
    credential_envs: tuple[str, ...] = ()
    # Those of `key_env` and `credential_envs` whose values must never be shown.
    secret_envs: tuple[str, ...] = ()
    # The optional install extra its SDK needs beyond the base dependencies.
    extra: str | None = None
    # What to check when the service refuses the credentials.
    credentials_fix: str = ""


_AWS_SECRETS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK")

PROVIDERS: tuple[ProviderFacts, ...] = (
    ProviderFacts(
        "openai",
        "openai",
        "OpenAI",
        "openai:gpt-4.1",
        key_env="OPENAI_API_KEY",
        base_url_env="OPENAI_BASE_URL",
        secret_envs=("OPENAI_API_KEY",),
    ),
    ProviderFacts(
        "anthropic",
        "anthropic",
        "Anthropic",
        "anthropic:claude-sonnet-4-5",
        key_env="ANTHROPIC_API_KEY",
        base_url_env="ANTHROPIC_BASE_URL",
        secret_envs=("ANTHROPIC_API_KEY",),
    ),
    ProviderFacts(
        "openrouter",
        "openai",
        "OpenRouter",
        "openrouter:anthropic/claude-sonnet-4.5",
        key_env="OPENROUTER_API_KEY",
        base_url="https://openrouter.ai/api/v1",
        secret_envs=("OPENROUTER_API_KEY",),
    ),
    ProviderFacts(
        "bedrock",
        "bedrock",
        "Amazon Bedrock (Anthropic models)",
        "bedrock:us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        base_url_env="ANTHROPIC_BEDROCK_BASE_URL",
        region_envs=("AWS_REGION", "AWS_DEFAULT_REGION"),
        profile_env="AWS_PROFILE",
        credential_envs=("AWS_ACCESS_KEY_ID", *_AWS_SECRETS),
        secret_envs=_AWS_SECRETS,
        extra="bedrock",
        credentials_fix=(
            "check the AWS credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, in the environment or .env), that they are not "
            "expired, and that the account has access to this model in its region"
        ),
    ),
    ProviderFacts(
        "vertex",
        "vertex",
        "Google Vertex AI (Anthropic models)",
        "vertex:claude-sonnet-4-5@20250929",
        key_env="GOOGLE_OAUTH_ACCESS_TOKEN",
        base_url_env="ANTHROPIC_VERTEX_BASE_URL",
        region_envs=("CLOUD_ML_REGION",),
        project_envs=("ANTHROPIC_VERTEX_PROJECT_ID", "GOOGLE_CLOUD_PROJECT"),
        credential_envs=("GOOGLE_APPLICATION_CREDENTIALS",),
        secret_envs=("GOOGLE_OAUTH_ACCESS_TOKEN",),
        extra="vertex",
        credentials_fix=(
            "check the Google credentials (GOOGLE_APPLICATION_CREDENTIALS, "
            "`gcloud auth application-default login`, or GOOGLE_OAUTH_ACCESS_TOKEN) and "
            "that the project has the model enabled in its region"
        ),
    ),
    ProviderFacts(
        "ollama",
        "openai",
        "Ollama",
        "ollama:qwen3",
        base_url="http://localhost:11434/v1",
        local=True,
    ),
    ProviderFacts(
        "lmstudio",
        "openai",
        "LM Studio",
        "lmstudio:qwen3",
        base_url="http://localhost:1234/v1",
        local=True,
    ),
    ProviderFacts(
        "llamacpp",
        "openai",
        "llama.cpp server",
        "llamacpp:default",
        base_url="http://localhost:8080/v1",
        local=True,
    ),
    ProviderFacts(
        "vllm", "openai", "vLLM", "vllm:default", base_url="http://localhost:8000/v1", local=True
    ),
)

BY_NAME: dict[str, ProviderFacts] = {p.name: p for p in PROVIDERS}
LOCAL_PROVIDERS = frozenset(p.name for p in PROVIDERS if p.local)
CLOUD_KINDS = frozenset({"bedrock", "vertex"})
# Secret variable -> the provider it belongs to.
SECRET_VARIABLES: dict[str, str] = {v: p.name for p in PROVIDERS for v in p.secret_envs}


def facts(name: str) -> ProviderFacts | None:
    return BY_NAME.get(name)


def key_providers() -> list[ProviderFacts]:
    """Providers reached with one API key (what `setup-provider` asks for)."""
    return [p for p in PROVIDERS if p.key_env and p.kind in ("openai", "anthropic")]


def sign_in_text() -> str:
    """What the `initialize` reply's key sign-in method tells the user to set."""
    keys = [p.key_env for p in key_providers() if p.key_env]
    cloud = " or ".join(p.name for p in PROVIDERS if p.kind in CLOUD_KINDS)
    return (
        f"Set {', '.join(keys[:-1])} or {keys[-1]} (environment or $ACP_SERVER_HOME/.env), "
        f"or the region and credentials of {cloud} (`acp-server setup-provider`), and a "
        "model (`acp-server models set ID`), then authenticate."
    )


def settings_variables(p: ProviderFacts) -> tuple[str, ...]:
    """Every variable a provider reads, in the order the docs list them."""
    key = (p.key_env,) if p.key_env else ()
    profile = (p.profile_env,) if p.profile_env else ()
    url = (p.base_url_env,) if p.base_url_env else ()
    return (*key, *p.credential_envs, *profile, *p.region_envs, *p.project_envs, *url)


__all__ = [
    "BY_NAME",
    "CLOUD_KINDS",
    "LOCAL_PROVIDERS",
    "PROVIDERS",
    "SECRET_VARIABLES",
    "Kind",
    "ProviderFacts",
    "facts",
    "key_providers",
    "settings_variables",
    "sign_in_text",
]
