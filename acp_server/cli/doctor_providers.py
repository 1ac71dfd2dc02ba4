"""The doctor's provider checks: each cloud route the configuration uses
(bedrock, vertex) has its SDK extra installed, its region (and project) set,
and some source of credentials present.

Credentials are looked for, never tried (that is `doctor --online`): which
variables are set, whether the named profile or key file exists. Nothing here
imports boto3 or google-auth, and nothing reaches the network.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from agent.providers.facts import BY_NAME, CLOUD_KINDS

if TYPE_CHECKING:
    from agent.providers import ProviderConfig

Check = tuple[str, str, str, str]  # (status, name, detail, fix), as in doctor


def check_providers(home: Path) -> list[Check]:
    from acp_server.config import ConfigError, load_config, provider_configs

    try:
        config = load_config(home)
    except ConfigError:
        return []  # the config check reports it
    named = (
        config.model,
        *config.fallback_providers,
        config.smart_routing.cheap_model,
        config.routing.long_context_model,
    )
    used = {m.partition(":")[0] for m in named if m} | set(config.providers)
    configs = provider_configs(config)
    return [
        _check_route(name, configs, os.environ)
        for name in sorted(used)
        if name in BY_NAME and BY_NAME[name].kind in CLOUD_KINDS
    ]


def _check_route(name: str, configs: Mapping[str, ProviderConfig], env: Mapping[str, str]) -> Check:
    from agent.providers import ModelNotConfigured, resolve

    label = f"cloud:{name}"
    try:
        resolved = resolve(f"{name}:doctor-probe", configs, env)
    except ModelNotConfigured as error:  # no SDK extra, no region or project
        return ("fail", label, str(error), error.hint)
    where = f"region {resolved.region or '(from the AWS profile)'}"
    if resolved.project:
        where += f", project {resolved.project}"
    source = (_aws_source if resolved.kind == "bedrock" else _google_source)(
        resolved.credentials, resolved.profile, resolved.api_key, env
    )
    if source is None:
        missing = (
            f"profile {resolved.profile!r} is in neither AWS config file"
            if resolved.profile
            else "no credentials found"
        )
        return ("warn", label, f"{where}; {missing}", BY_NAME[name].credentials_fix)
    return ("ok", label, f"{where}; credentials: {source}", "")


def _aws_source(
    creds: Mapping[str, str], profile: str | None, api_key: str | None, env: Mapping[str, str]
) -> str | None:
    if creds.get("AWS_BEARER_TOKEN_BEDROCK"):
        return "Bedrock API key (AWS_BEARER_TOKEN_BEDROCK)"
    if creds.get("AWS_ACCESS_KEY_ID") and creds.get("AWS_SECRET_ACCESS_KEY"):
        return "access key (AWS_ACCESS_KEY_ID)"
    if profile:
        return f"profile {profile!r}" if profile in _aws_profiles(env) else None
    if env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") or env.get(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI"
    ):
        return "container credentials"
    if env.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        return "web identity token"
    return "the default profile" if "default" in _aws_profiles(env) else None


def _aws_profiles(env: Mapping[str, str]) -> set[str]:
    """Profile names in the AWS config and credentials files."""
    from agent.providers.cloud import aws_config_file

    names: set[str] = set()
    credentials = env.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.expanduser("~/.aws/credentials")
    for path, prefix in ((aws_config_file(env), "profile "), (credentials, "")):
        parser = configparser.ConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError):
            continue
        names |= {s.removeprefix(prefix) for s in parser.sections()}
        if parser.has_section("default") or parser.defaults():
            names.add("default")
    return names


def _google_source(
    creds: Mapping[str, str], profile: str | None, api_key: str | None, env: Mapping[str, str]
) -> str | None:
    if api_key:
        return "access token (GOOGLE_OAUTH_ACCESS_TOKEN)"
    key_file = creds.get("GOOGLE_APPLICATION_CREDENTIALS")
    if key_file:
        return f"key file {key_file}" if os.path.isfile(key_file) else None
    gcloud = env.get("CLOUDSDK_CONFIG") or os.path.expanduser("~/.config/gcloud")
    adc = Path(gcloud) / "application_default_credentials.json"
    return "gcloud application-default credentials" if adc.is_file() else None


__all__ = ["check_providers"]
