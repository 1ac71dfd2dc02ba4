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


# Error types that arrive inside a stream (an `error` event, whose HTTP status
# was 200): Anthropic's, and Bedrock's event-stream exceptions as the SDK names
# them. The ones listed are worth a retry; any other is a bad request.
_STREAM_RATE_LIMITS = frozenset({"rate_limit_error", "throttlingException", "ThrottlingException"})
_STREAM_SERVER_FAULTS = frozenset(
    {
        "overloaded_error",
        "api_error",
        "internalServerException",
        "serviceUnavailableException",
        "modelStreamErrorException",
        "modelTimeoutException",
    }
)


def _error_body(error: BaseException) -> dict[str, object]:
    """The `error` object of a JSON error body (Anthropic's, Google's), else {}."""
    body = getattr(error, "body", None)
    if isinstance(body, list) and body:  # Google APIs may wrap the error in a list
        body = body[0]
    inner = body.get("error") if isinstance(body, dict) else None
    return inner if isinstance(inner, dict) else {}


def _retry_info(error: BaseException) -> float | None:
    """Google's retry hint: a `google.rpc.RetryInfo` detail, `"retryDelay": "2.5s"`."""
    details = _error_body(error).get("details")
    for detail in details if isinstance(details, list) else ():
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return float(delay[:-1])
            except ValueError:
                return None
    return None


def _hint(error: BaseException) -> float | None:
    header = _retry_after(error)
    return header if header is not None else _retry_info(error)


def _effective_status(error: BaseException, status: object) -> object:
    """An error event inside a stream comes with the stream's 200: classify it
    by its type instead, as the same fault before the stream would have been."""
    if status != 200:
        return status
    kind = _error_body(error).get("type")
    if kind in _STREAM_RATE_LIMITS:
        return 429
    if kind in _STREAM_SERVER_FAULTS:
        return 503
    return 400


def _map(error: BaseException, provider: str, secrets: tuple[str | None, ...]) -> ProviderError:
    status = _effective_status(error, getattr(error, "status_code", None))
    message = scrub(f"{provider}: {getattr(error, 'message', None) or error}", secrets)
    if status == 429:
        return RateLimited(
            message,
            retryable=True,
            retry_after=_hint(error),
            status=status,
            provider=provider,
        )
    if isinstance(status, int) and (status >= 500 or status == 408):
        return ServerFailed(
            message,
            retryable=True,
            retry_after=_hint(error),
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
