"""Map the SDKs' exceptions (and transport errors mid-stream) into our
ProviderError tree, so nothing SDK-specific escapes a provider."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from agent.providers.base import (
    AuthenticationFailed,
    BadRequest,
    ConnectionFailed,
    MalformedStream,
    ProviderError,
    RateLimited,
    ServerFailed,
)
from agent.redaction import scrub


def _retry_after(error: BaseException) -> float | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    try:
        return float(value) if value else None
    except ValueError:
        return None


def public_url(url: object) -> str:
    """`url` without credentials, query or fragment: what a message may show."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", "")) if parts.scheme else ""


def request_url(error: BaseException, fallback: str) -> str:
    """The URL the failed request went to (the SDKs and httpx carry it), else `fallback`."""
    try:
        url = getattr(getattr(error, "request", None), "url", None)
    except RuntimeError:  # httpx raises when an error has no request attached
        url = None
    return public_url(url if url is not None else fallback)


def map_error(
    error: BaseException,
    provider: str,
    secrets: Iterable[str | None] = (),
    url: str = "",
) -> ProviderError:
    """`secrets`: values to mask in the message (the provider's key: some error
    bodies echo it, and the message is shown to the user and logged). `url`:
    the endpoint called, named in the error when the exception does not say."""
    if isinstance(error, ProviderError):
        return error
    mapped = _map(error, provider, tuple(secrets))
    mapped.url = request_url(error, url)
    return mapped


def _map(error: BaseException, provider: str, secrets: tuple[str | None, ...]) -> ProviderError:
    status = getattr(error, "status_code", None)
    message = scrub(f"{provider}: {getattr(error, 'message', None) or error}", secrets)
    if status == 429:
        return RateLimited(
            message,
            retryable=True,
            retry_after=_retry_after(error),
            status=status,
            provider=provider,
        )
    if isinstance(status, int) and status >= 500:
        return ServerFailed(
            message,
            retryable=True,
            retry_after=_retry_after(error),
            status=status,
            provider=provider,
        )
    if status in (401, 403):
        return AuthenticationFailed(message, status=status, provider=provider)
    if isinstance(status, int):
        return BadRequest(message, status=status, provider=provider)
    name = type(error).__name__
    if isinstance(error, (ValueError, KeyError)) and "JSON" in name + str(error)[:40]:
        return MalformedStream(message, provider=provider)
    if isinstance(error, (ValueError, KeyError, TypeError)):
        return MalformedStream(
            scrub(f"{provider}: unexpected stream content: {error}", secrets), provider=provider
        )
    # Connection, timeout and protocol errors from the HTTP layer.
    return ConnectionFailed(
        scrub(f"{provider}: {name}: {error}", secrets), retryable=True, provider=provider
    )
