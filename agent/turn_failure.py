"""What ended a turn that failed, as a `TurnFailure` value.

The engine catches what stops a turn early and turns it into one
`TurnFailure`, so hosts never parse error text:

- `ModelNotConfigured` (no key, unknown provider, SDK not installed) is a
  `configuration` failure whose fix is the hint;
- `AuthenticationFailed` (401/403) is an `authentication` failure;
- a 404 (wrong model name or base URL) is a `configuration` failure;
- any other `ProviderError` (retries spent, or not retryable) is a `provider`
  failure;
- anything else is a bug here: `internal`, with the traceback in the log only.

Messages come from the provider layer, which already masks keys; tracebacks
never enter them.
"""

from __future__ import annotations

from agent.events import FailureKind, TurnFailure
from agent.providers import AuthenticationFailed, BadRequest, ModelNotConfigured, ProviderError


class TurnFailedError(Exception):
    """Raised by `ask()` when the turn failed; `failure` says how."""

    def __init__(self, failure: TurnFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def describe_failure(error: BaseException, model: str) -> TurnFailure:
    """The failure a turn ends with when `error` stopped it while calling `model`."""
    if isinstance(error, ModelNotConfigured):
        return TurnFailure(
            "configuration",
            f"{model or 'the model'} is not usable: {error}",
            error.hint,
            model=model,
        )
    if isinstance(error, ProviderError):
        return _provider_failure(error, model)
    return TurnFailure(
        "internal", f"The turn failed on an internal error ({type(error).__name__}); see the log"
    )


def _provider_failure(error: ProviderError, model: str) -> TurnFailure:
    model = error.model or model
    kind: FailureKind = "provider"
    if isinstance(error, AuthenticationFailed):
        kind = "authentication"
    elif isinstance(error, BadRequest) and error.status == 404:
        kind = "configuration"
    cause = error.message
    if error.provider and cause.startswith(f"{error.provider}: "):
        cause = cause[len(error.provider) + 2 :]
    tries = f" after {error.attempts} attempts" if error.attempts > 1 else ""
    where = f", URL {error.url}" if error.url else ""
    message = f"The model call failed{tries} (provider {error.provider or '?'}, model {model}{where}): {cause}"
    return TurnFailure(
        kind,
        message,
        error.fix,
        provider=error.provider,
        model=model,
        url=error.url,
        attempts=error.attempts,
    )


__all__ = ["TurnFailedError", "describe_failure"]
