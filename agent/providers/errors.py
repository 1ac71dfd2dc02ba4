"""Map the SDKs' exceptions (and transport errors mid-stream) into our
ProviderError tree, so nothing SDK-specific escapes a provider."""

from __future__ import annotations

from collections.abc import Iterable

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


def map_error(
    error: BaseException, provider: str, secrets: Iterable[str | None] = ()
) -> ProviderError:
    """`secrets`: values to mask in the message (the provider's key: some error
    bodies echo it, and the message is shown to the user and logged)."""
    if isinstance(error, ProviderError):
        return error
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
