"""Anthropic models on Amazon Bedrock and Google Vertex AI, through the SDK's
own `AsyncAnthropicBedrock` / `AsyncAnthropicVertex` clients against local
servers that speak each service's streaming format (see cloud_servers).

Nothing here reaches the network: credentials are test values, the AWS
instance-metadata lookup is switched off, AWS config files point at nothing,
and Google tokens come from a local token endpoint or are given outright.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.events import RetryNotice
from agent.providers import (
    AuthenticationFailed,
    ConnectionFailed,
    ModelClient,
    ModelNotConfigured,
    ProviderConfig,
    RateLimited,
    RetryPolicy,
    StreamEnd,
    StreamToolCall,
    StreamUsage,
    check_model,
    open_model,
)
from tests.agent.providers.cloud_servers import (
    CloudServer,
    anthropic_events,
    bedrock_error,
    bedrock_stream,
    exception_event,
    google_error,
    token_reply,
    vertex_stream,
)
from tests.agent.providers.test_providers import collect, request, text_of
from tests.support.fake_provider import closed_port

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)
BEDROCK_MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
VERTEX_MODEL = "claude-haiku-4-5@20251001"
AWS_KEYS = {
    "AWS_ACCESS_KEY_ID": "AKIATESTTESTTESTTEST",
    "AWS_SECRET_ACCESS_KEY": "test-secret-key-0123456789abcdef",
}
CLOUD_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "ANTHROPIC_BEDROCK_BASE_URL",
    "ANTHROPIC_VERTEX_BASE_URL",
    "ANTHROPIC_VERTEX_PROJECT_ID",
    "CLOUD_ML_REGION",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_OAUTH_ACCESS_TOKEN",
)


@pytest.fixture(autouse=True)
def offline_clouds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No credential chain may find anything real, or ask the network."""
    for name in CLOUD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("GCE_METADATA_HOST", f"127.0.0.1:{closed_port()}")
    monkeypatch.setenv("GCE_METADATA_IP", f"127.0.0.1:{closed_port()}")
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))
    yield


def bedrock(cloud: CloudServer, env: dict[str, str] | None = None, **settings: str) -> ModelClient:
    config = ProviderConfig(base_url=cloud.base_url, region="eu-west-1", **settings)  # type: ignore[arg-type]
    return open_model(
        f"bedrock:{BEDROCK_MODEL}",
        {"bedrock": config},
        retry=FAST,
        env=AWS_KEYS if env is None else env,
    )


def vertex(cloud: CloudServer, env: dict[str, str] | None = None) -> ModelClient:
    config = ProviderConfig(
        base_url=cloud.base_url + "/v1", region="europe-west1", project="proj-1"
    )
    token = {"GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.given-test-token"}
    return open_model(
        f"vertex:{VERTEX_MODEL}", {"vertex": config}, retry=FAST, env=token if env is None else env
    )


TOOL_ANSWER = {"text": "Reading it", "tool_uses": [("toolu_1", "read_file", '{"path": "a.py"}')]}


# ------------------------------------------------------------------ Bedrock


async def test_bedrock_streams_text_and_tool_use_over_the_aws_event_stream_signed_with_sigv4() -> (
    None
):
    async with CloudServer() as cloud:
        cloud.enqueue(bedrock_stream(anthropic_events(**TOOL_ANSWER)))
        events = await collect(bedrock(cloud), request())
    assert text_of(events) == "Reading it"
    call = next(e for e in events if isinstance(e, StreamToolCall))
    assert call.arguments == {"path": "a.py"} and events[-1] == StreamEnd("tool_use")
    assert any(isinstance(e, StreamUsage) and e.output_tokens == 5 for e in events)
    sent = cloud.requests[0]
    assert sent.path == f"/model/{BEDROCK_MODEL}/invoke-with-response-stream"
    assert sent.body["anthropic_version"] and "model" not in sent.body
    auth = sent.headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIATESTTESTTESTTEST/")
    assert "/eu-west-1/bedrock/aws4_request" in auth and "x-amz-date" in sent.headers


async def test_bedrock_throttling_is_retried_after_the_services_retry_hint() -> None:
    async with CloudServer() as cloud:
        cloud.enqueue(
            bedrock_error(429, "ThrottlingException", "Too many requests", retry_after="0.05"),
            bedrock_stream(anthropic_events(text="after the wait")),
        )
        events = await collect(bedrock(cloud), request())
    notice = next(e for e in events if isinstance(e, RetryNotice))
    assert notice.delay == pytest.approx(0.05)
    assert text_of(events) == "after the wait" and len(cloud.requests) == 2


async def test_a_throttling_exception_inside_the_bedrock_stream_is_retried() -> None:
    cut = bedrock_stream(anthropic_events(text="partial answer"))
    cut.chunks = [*cut.chunks[:3], exception_event("throttlingException", "slow down")]
    async with CloudServer() as cloud:
        cloud.enqueue(cut, bedrock_stream(anthropic_events(text="whole answer")))
        events = await collect(bedrock(cloud), request())
    after = events[next(i for i, e in enumerate(events) if isinstance(e, RetryNotice)) + 1 :]
    assert text_of(after) == "whole answer" and events[-1] == StreamEnd("end_turn")


async def test_bedrock_refusing_the_credentials_fails_at_once_naming_the_aws_settings() -> None:
    async with CloudServer() as cloud:
        cloud.enqueue(
            bedrock_error(403, "UnrecognizedClientException", "The security token is invalid")
        )
        with pytest.raises(AuthenticationFailed) as refused:
            await collect(bedrock(cloud), request())
    assert len(cloud.requests) == 1 and refused.value.status == 403
    assert "AWS_PROFILE" in refused.value.fix and refused.value.model.startswith("bedrock:")
    assert AWS_KEYS["AWS_SECRET_ACCESS_KEY"] not in str(refused.value)


async def test_a_bedrock_stream_dropped_in_the_middle_of_a_message_is_retried() -> None:
    async with CloudServer() as cloud:
        cloud.enqueue(
            bedrock_stream(anthropic_events(text="first attempt"), drop_after=4),
            bedrock_stream(anthropic_events(text="second attempt")),
        )
        events = await collect(bedrock(cloud), request())
    notice = next(i for i, e in enumerate(events) if isinstance(e, RetryNotice))
    assert "first attempt".startswith(text_of(events[:notice]))
    assert text_of(events[notice + 1 :]) == "second attempt"


async def test_a_bedrock_stream_dropped_on_every_attempt_fails_naming_the_attempts() -> None:
    async with CloudServer() as cloud:
        for _ in range(FAST.max_attempts):
            cloud.enqueue(bedrock_stream(anthropic_events(text="never whole"), drop_after=3))
        with pytest.raises(ConnectionFailed) as dropped:
            await collect(bedrock(cloud), request())
    assert dropped.value.retryable and dropped.value.attempts == FAST.max_attempts
    assert dropped.value.url.endswith("/invoke-with-response-stream")


async def test_no_aws_credentials_anywhere_is_an_authentication_failure_before_any_request() -> (
    None
):
    async with CloudServer() as cloud:
        with pytest.raises(AuthenticationFailed) as missing:
            await collect(bedrock(cloud, env={}), request())
    assert cloud.requests == [] and "AWS_ACCESS_KEY_ID" in missing.value.fix


def test_bedrock_without_any_region_source_is_a_configuration_error_naming_the_setting() -> None:
    with pytest.raises(ModelNotConfigured) as missing:
        check_model(f"bedrock:{BEDROCK_MODEL}", {}, env=AWS_KEYS)
    assert "AWS_REGION" in missing.value.hint and "providers.bedrock.region" in missing.value.hint
    check_model(f"bedrock:{BEDROCK_MODEL}", {}, env={**AWS_KEYS, "AWS_REGION": "us-east-1"})


async def test_a_profile_named_in_the_settings_signs_with_its_keys_over_keys_in_the_environment(
    tmp_path: Path,
) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[work]\naws_access_key_id = AKIAPROFILEPROFILE12\n"
        "aws_secret_access_key = profile-secret-0123456789\n"
    )
    # Keys in the environment too: the profile named in the settings wins.
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(credentials), **AWS_KEYS}
    async with CloudServer() as cloud:
        cloud.enqueue(bedrock_stream(anthropic_events(text="hello")))
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
            events = await collect(bedrock(cloud, env=env, profile="work"), request())
    assert text_of(events) == "hello"
    assert "Credential=AKIAPROFILEPROFILE12/" in cloud.requests[0].headers["authorization"]


# ------------------------------------------------------------------ Vertex


async def test_vertex_streams_anthropic_sse_with_the_given_access_token() -> None:
    async with CloudServer() as cloud:
        cloud.enqueue(vertex_stream(anthropic_events(**TOOL_ANSWER)))
        events = await collect(vertex(cloud), request())
    assert text_of(events) == "Reading it" and events[-1] == StreamEnd("tool_use")
    sent = cloud.requests[0]
    assert sent.path == (
        f"/v1/projects/proj-1/locations/europe-west1/publishers/anthropic/models/"
        f"{VERTEX_MODEL}:streamRawPredict"
    )
    assert sent.headers["authorization"] == "Bearer ya29.given-test-token"
    assert sent.body["anthropic_version"] and "model" not in sent.body


async def test_vertex_quota_exhaustion_is_retried_after_googles_retry_info_delay() -> None:
    async with CloudServer() as cloud:
        cloud.enqueue(
            google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", retry_delay="0.05s"),
            vertex_stream(anthropic_events(text="within quota")),
        )
        events = await collect(vertex(cloud), request())
    notice = next(e for e in events if isinstance(e, RetryNotice))
    assert notice.delay == pytest.approx(0.05) and text_of(events) == "within quota"


async def test_vertex_quota_exhaustion_on_every_attempt_is_a_rate_limit_failure() -> None:
    async with CloudServer() as cloud:
        for _ in range(FAST.max_attempts):
            cloud.enqueue(google_error(429, "RESOURCE_EXHAUSTED", retry_delay="0s"))
        with pytest.raises(RateLimited) as limited:
            await collect(vertex(cloud), request())
    assert limited.value.status == 429 and len(cloud.requests) == FAST.max_attempts


async def test_vertex_permission_denied_fails_at_once_naming_the_google_settings() -> None:
    async with CloudServer() as cloud:
        cloud.enqueue(google_error(403, "PERMISSION_DENIED", "caller lacks aiplatform access"))
        with pytest.raises(AuthenticationFailed) as refused:
            await collect(vertex(cloud), request())
    assert len(cloud.requests) == 1 and "GOOGLE_APPLICATION_CREDENTIALS" in refused.value.fix
    assert "ya29.given-test-token" not in str(refused.value)


async def test_a_vertex_stream_dropped_mid_event_is_retried() -> None:
    async with CloudServer() as cloud:
        cloud.enqueue(
            vertex_stream(anthropic_events(text="first attempt"), drop_after=4),
            vertex_stream(anthropic_events(text="second attempt")),
        )
        events = await collect(vertex(cloud), request())
    notice = next(i for i, e in enumerate(events) if isinstance(e, RetryNotice))
    assert text_of(events[notice + 1 :]) == "second attempt"


def service_account_file(tmp_path: Path, cloud: CloudServer) -> Path:
    """A service-account key file, with its token endpoint on the local server."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "proj-1",
        "private_key_id": "key-1",
        "private_key": pem,
        "client_email": "agent@proj-1.iam.example",
        "client_id": "1",
        "token_uri": f"{cloud.base_url}/token",
    }
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(info))
    return path


async def test_vertex_gets_its_token_from_a_service_account_file_named_in_the_settings(
    tmp_path: Path,
) -> None:
    async with CloudServer() as cloud:
        cloud.token_replies.append(token_reply("ya29.minted-locally"))
        cloud.enqueue(vertex_stream(anthropic_events(text="signed in")))
        env = {"GOOGLE_APPLICATION_CREDENTIALS": str(service_account_file(tmp_path, cloud))}
        events = await collect(vertex(cloud, env=env), request())
    assert text_of(events) == "signed in" and len(cloud.token_requests) == 1
    assert b"grant_type=urn" in cloud.token_requests[0].raw  # a signed JWT grant
    assert cloud.requests[0].headers["authorization"] == "Bearer ya29.minted-locally"


async def test_a_revoked_google_credential_is_an_authentication_failure_without_a_model_call(
    tmp_path: Path,
) -> None:
    async with CloudServer() as cloud:
        cloud.token_replies.append(token_reply(status=400))
        env = {"GOOGLE_APPLICATION_CREDENTIALS": str(service_account_file(tmp_path, cloud))}
        with pytest.raises(AuthenticationFailed):
            await collect(vertex(cloud, env=env), request())
    assert cloud.requests == [] and len(cloud.token_requests) == 1


def test_vertex_needs_a_region_and_a_project_and_says_which_setting_is_missing() -> None:
    token = {"GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.x"}
    with pytest.raises(ModelNotConfigured) as no_region:
        check_model(f"vertex:{VERTEX_MODEL}", {}, env=token)
    assert "CLOUD_ML_REGION" in no_region.value.hint
    with pytest.raises(ModelNotConfigured) as no_project:
        check_model(f"vertex:{VERTEX_MODEL}", {}, env={**token, "CLOUD_ML_REGION": "us-east5"})
    assert "ANTHROPIC_VERTEX_PROJECT_ID" in no_project.value.hint
    config = {"vertex": ProviderConfig(region="us-east5", project="p")}
    check_model(f"vertex:{VERTEX_MODEL}", config, env=token)
