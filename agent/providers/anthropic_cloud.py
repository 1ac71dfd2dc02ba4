"""Anthropic Messages on Amazon Bedrock and Google Vertex AI, through the
official SDK's `AsyncAnthropicBedrock` and `AsyncAnthropicVertex` clients.

Requests and streams are Anthropic's (`AnthropicProvider`); only the client,
the endpoint a failure names and the credential failures differ. The SDK
loads here, on the first call; boto3/botocore (Bedrock) and google-auth
(Vertex) load later still, when the SDK signs the first request.

Credential failures are raised by the clouds' libraries before any HTTP
status exists (no AWS credentials, a profile that does not exist, a Google
token that cannot be refreshed). They are `AuthenticationFailed` (not worth a
retry; the fix names the settings), except a transport failure while fetching
a token, which is a `ConnectionFailed` and retried.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import Any

from agent.providers.anthropic_messages import AnthropicProvider
from agent.providers.base import (
    AuthenticationFailed,
    ConnectionFailed,
    ModelNotConfigured,
    ModelRequest,
    ProviderError,
    StreamEvent,
)
from agent.providers.errors import map_error
from agent.providers.facts import BY_NAME
from agent.providers.sdk import missing_sdk
from agent.providers.settings import ResolvedModel
from agent.redaction import scrub

_CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
_AWS_CREDENTIAL_ERRORS = (
    "NoCredentialsError",
    "PartialCredentialsError",
    "CredentialRetrievalError",
    "TokenRetrievalError",
    "ProfileNotFound",
)


class _CloudProvider(AnthropicProvider):
    """The client is built on the first call, in a worker thread: the SDK,
    boto3 or google-auth imports and reading key files take 0.1-1 s, which
    the event loop (other sessions' streams) must not wait for."""

    def __init__(self, resolved: ResolvedModel) -> None:
        self.name = resolved.provider
        self._resolved = resolved
        facts = BY_NAME[resolved.provider]
        self._secrets = (
            resolved.api_key,
            *(v for k, v in resolved.credentials.items() if k in facts.secret_envs),
        )
        self._client = None
        self._building = asyncio.Lock()

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        async with self._building:
            if self._client is None:
                self._client = await asyncio.to_thread(self._build)
        async for event in super().stream(request):
            yield event

    def _build(self) -> Any:
        resolved = self._resolved
        try:
            client = self._make_client(resolved)
            self._warm()
        except ImportError:
            raise missing_sdk(resolved.kind, resolved.model_id) from None
        except ValueError as error:  # a setting the SDK could not find
            raise ModelNotConfigured(
                f"{resolved.provider}: {error}",
                f"run `acp-server setup-provider --provider {resolved.provider}`",
            ) from None
        return client

    def _make_client(self, resolved: ResolvedModel) -> Any:
        raise NotImplementedError

    def _warm(self) -> None:
        """Load, off the event loop, what the SDK would load on it later."""

    def _map(self, error: Exception, request: ModelRequest) -> ProviderError:
        mapped = self._credential_failure(error)
        if mapped is None:
            return map_error(error, self.name, self._secrets, self._endpoint(request))
        mapped.url = self._endpoint(request)
        return mapped

    def _credential_failure(self, error: Exception) -> ProviderError | None:
        message = scrub(f"{self.name}: {type(error).__name__}: {error}", self._secrets)
        # The SDK's own words for "the credential chain found nothing".
        if type(error) is RuntimeError:
            return AuthenticationFailed(message, provider=self.name)
        return None


class BedrockProvider(_CloudProvider):
    def _make_client(self, resolved: ResolvedModel) -> Any:
        import anthropic

        creds = resolved.credentials
        bearer = creds.get("AWS_BEARER_TOKEN_BEDROCK")  # a Bedrock API key: nothing to sign
        keys = not bearer and bool(creds.get("AWS_ACCESS_KEY_ID"))
        # Keys win over AWS_PROFILE, as in the AWS tools (resolution already
        # dropped them for a profile named in config.yaml); with neither,
        # boto3 walks its own chain (SSO, instance role, ...).
        return anthropic.AsyncAnthropicBedrock(
            api_key=bearer,
            aws_access_key=creds.get("AWS_ACCESS_KEY_ID") if keys else None,
            aws_secret_key=creds.get("AWS_SECRET_ACCESS_KEY") if keys else None,
            aws_session_token=creds.get("AWS_SESSION_TOKEN") if keys else None,
            aws_profile=resolved.profile if not bearer and not keys else None,
            aws_region=resolved.region,
            base_url=resolved.base_url,
            max_retries=0,
            timeout=None,
        )

    def _warm(self) -> None:
        # The event-stream decoder's parser and Bedrock's service model (a JSON
        # file botocore reads) are loaded by the first stream, on the loop.
        import importlib

        importlib.import_module("boto3")  # the first signature would import it
        try:  # the SDK's own module: warming is a saving, never a requirement
            from anthropic.lib.bedrock._stream_decoder import get_response_stream_shape

            get_response_stream_shape()
        except (ImportError, AttributeError):
            pass

    def _endpoint(self, request: ModelRequest) -> str:
        base = f"{self._client.base_url}".rstrip("/")
        return f"{base}/model/{request.model}/invoke-with-response-stream"

    def _credential_failure(self, error: Exception) -> ProviderError | None:
        aws = sys.modules.get("botocore.exceptions")  # loaded if the error is one of its
        known = tuple(getattr(aws, n) for n in _AWS_CREDENTIAL_ERRORS if hasattr(aws, n))
        if known and isinstance(error, known):
            message = scrub(f"{self.name}: {error}", self._secrets)
            return AuthenticationFailed(message, provider=self.name)
        return super()._credential_failure(error)


class VertexProvider(_CloudProvider):
    def _make_client(self, resolved: ResolvedModel) -> Any:
        import anthropic

        path = resolved.credentials.get("GOOGLE_APPLICATION_CREDENTIALS")
        credentials = _key_file(path) if path and not resolved.api_key else None
        return anthropic.AsyncAnthropicVertex(
            region=resolved.region or "",
            project_id=resolved.project or "",
            access_token=resolved.api_key,
            credentials=credentials,
            base_url=resolved.base_url,
            max_retries=0,
            timeout=None,
        )

    def _endpoint(self, request: ModelRequest) -> str:
        base = f"{self._client.base_url}".rstrip("/")
        where = f"projects/{self._client.project_id}/locations/{self._client.region}"
        return f"{base}/{where}/publishers/anthropic/models/{request.model}:streamRawPredict"

    def _credential_failure(self, error: Exception) -> ProviderError | None:
        google = sys.modules.get("google.auth.exceptions")
        transport = getattr(google, "TransportError", None)
        base = getattr(google, "GoogleAuthError", None)
        message = scrub(f"{self.name}: {error}", self._secrets)
        if transport is not None and isinstance(error, transport):
            return ConnectionFailed(message, retryable=True, provider=self.name)
        if base is not None and isinstance(error, base):
            if getattr(error, "retryable", False):
                return ConnectionFailed(message, retryable=True, provider=self.name)
            return AuthenticationFailed(message, provider=self.name)
        return super()._credential_failure(error)


def _key_file(path: str) -> Any:
    """The credentials of a key file named in the settings (perhaps only in
    .env, which google-auth's own lookup cannot see). Service-account keys and
    gcloud's user credentials are read here; any other kind is left to
    google-auth's default chain, which finds it when the variable is exported."""
    import json

    try:
        with open(path, encoding="utf-8") as file:
            kind = json.load(file).get("type")
    except (OSError, ValueError, AttributeError) as error:
        raise ModelNotConfigured(
            f"vertex: cannot read GOOGLE_APPLICATION_CREDENTIALS {path!r}: {error}",
            "point GOOGLE_APPLICATION_CREDENTIALS at a readable key file",
        ) from None
    if kind == "service_account":
        from google.oauth2 import service_account

        return service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
            path, scopes=[_CLOUD_PLATFORM]
        )
    if kind == "authorized_user":
        from google.oauth2 import credentials

        return credentials.Credentials.from_authorized_user_file(  # type: ignore[no-untyped-call]
            path, scopes=[_CLOUD_PLATFORM]
        )
    return None


__all__ = ["BedrockProvider", "VertexProvider"]
