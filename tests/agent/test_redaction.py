"""Secrets masked in text that leaves the process."""

from __future__ import annotations

from agent.providers.base import AuthenticationFailed, ConnectionFailed
from agent.providers.errors import map_error
from agent.redaction import REDACTED, scrub


def test_known_values_and_secret_shapes_are_masked_and_short_values_are_not() -> None:
    text = "key=plain-local-key-42 auth=Bearer abcdefgh12345 gh=ghp_0123456789abcdefXYZ none"
    masked = scrub(text, known=["plain-local-key-42", "none", None])
    assert masked == f"key={REDACTED} auth={REDACTED} gh={REDACTED} none"


class _SdkError(Exception):
    def __init__(self, message: str, status_code: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def test_provider_errors_never_carry_the_providers_own_key() -> None:
    key = "local-9f8e7d6c5b4a"  # not secret-shaped: only the known value can catch it
    auth = map_error(_SdkError(f"Incorrect API key provided: {key}", 401), "mybox", [key])
    assert isinstance(auth, AuthenticationFailed) and key not in str(auth)
    dropped = map_error(OSError(f"reset while sending {key}"), "mybox", [key])
    assert isinstance(dropped, ConnectionFailed) and key not in str(dropped)
    assert "mybox" in str(auth) and "Incorrect API key" in str(auth)
