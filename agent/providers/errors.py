"""Map the SDKs' exceptions (and transport errors mid-stream) into our
ProviderError tree, so nothing SDK-specific escapes a provider."""

from __future__ import annotations

from agent.providers.base import (
    AuthenticationFailed,
    BadRequest,
    ConnectionFailed,
    MalformedStream,
    ProviderError,
    RateLimited,
    ServerFailed,
)


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


def map_error(error: BaseException, provider: str) -> ProviderError:
    if isinstance(error, ProviderError):
        return error
    status = getattr(error, "status_code", None)
    message = f"{provider}: {getattr(error, 'message', None) or error}"
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
        return MalformedStream(f"{provider}: unexpected stream content: {error}", provider=provider)
    # Connection, timeout and protocol errors from the HTTP layer.
    return ConnectionFailed(f"{provider}: {name}: {error}", retryable=True, provider=provider)
