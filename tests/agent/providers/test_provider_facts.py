"""One table of provider facts (agent.providers.facts) drives resolution,
secret masking, setup and the config loader; these tests hold them to it."""

from __future__ import annotations

import pytest

from agent.providers import BUILTIN_PROVIDERS, check_model
from agent.providers.facts import BY_NAME, LOCAL_PROVIDERS, PROVIDERS, SECRET_VARIABLES
from agent.redaction import REDACTED, scrub


def test_values_of_the_tables_secret_variables_are_masked_wherever_scrub_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"  # an AWS secret key has no shape
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjEXAMPLETOKEN")
    text = f"signature for {secret} with IQoJb3JpZ2luX2VjEXAMPLETOKEN failed"
    assert scrub(text) == f"signature for {REDACTED} with {REDACTED} failed"
    ids = "key AKIAIOSFODNN7EXAMPLE token ya29.a0AfH6SMBexample-token"
    assert scrub(ids) == f"key {REDACTED} token {REDACTED}"
    assert {"AWS_SECRET_ACCESS_KEY", "GOOGLE_OAUTH_ACCESS_TOKEN"} <= set(SECRET_VARIABLES)


def test_every_providers_suggested_model_resolves_with_its_own_settings() -> None:
    for facts in PROVIDERS:
        env = {v: "test-value-123456" for v in (facts.key_env, *facts.region_envs) if v}
        env.update({v: "proj-1" for v in facts.project_envs})
        check_model(facts.default_model, {}, env=env)
        assert facts.default_model.startswith(facts.name + ":")


def test_the_hosts_read_their_provider_facts_from_the_table() -> None:
    from acp_server.cli import settings
    from acp_server.config.defaults import SECRET_ENV_VARS
    from agent.providers.catalog import LOCAL_PROVIDERS as PRICED_FREE

    assert BUILTIN_PROVIDERS is BY_NAME and PRICED_FREE is LOCAL_PROVIDERS
    assert {p.key_env: p.name for p in PROVIDERS if p.key_env} == SECRET_ENV_VARS
    offered = {*settings.PROVIDER_KEYS, *settings.LOCAL, *settings.CLOUD}
    assert offered == {p.name for p in PROVIDERS}
