"""A failed turn on the wire and in the store.

ACP has no stop reason for "the turn could not be done", so a turn that ended
`failed` answers `session/prompt` with a JSON-RPC error, after all of its
updates:

- -32000 (auth required) for a configuration or authentication failure: the
  message ends with the fix, so an editor that shows only the message still
  tells the user what to change;
- -32603 (internal error) for everything else, the message naming the
  provider, model, URL and cause.

`data` carries the same facts as fields (kind, provider, model, url, fix,
attempts), never a traceback; messages were masked for keys where they were
made, in the provider layer.

A model whose provider SDK is not installed is refused before any turn, when
it is chosen (`session/new`), with the same -32000 and the install command.

In the session's stored history the failure is a `session_info_update` whose
`_meta` holds it: replay shows the prompt and whatever the model streamed, and
the failure stays a failure, never text the agent said.
"""

from __future__ import annotations

from collections.abc import Mapping

from agent.events import TurnFailure
from protocol import ErrorCode, RpcError

META_KEY = "acpServer.turnFailure"
_NEEDS_THE_USER = ("configuration", "authentication")


def prompt_error(failure: TurnFailure) -> RpcError:
    """The error that answers the prompt of a turn that failed."""
    code, message, data = _error_parts(failure)
    return RpcError(code, message, data)


def failure_update(failure: TurnFailure) -> dict[str, object]:
    """The update that records the failure in the session's history."""
    code, message, data = _error_parts(failure)
    record = {"code": code, "message": message, **data}
    return {"sessionUpdate": "session_info_update", "_meta": {META_KEY: record}}


def require_model_sdk(model: str | None, providers: Mapping[str, object]) -> None:
    """Raise -32000, with the install command, when `model` needs a missing SDK."""
    from agent.providers import ProviderSdkMissing, check_sdk

    try:
        check_sdk(model, providers)
    except ProviderSdkMissing as error:
        data = {"kind": "configuration", "model": model, "fix": error.hint}
        raise RpcError(ErrorCode.AUTH_REQUIRED, f"{error}. Fix: {error.hint}", data) from None


def audit_fields(failure: TurnFailure) -> dict[str, object]:
    """What the audit log records of a failed turn."""
    return {
        "failure": failure.kind,
        "provider": failure.provider,
        "model": failure.model,
        "url": failure.url,
        "message": failure.message,
    }


def _error_parts(failure: TurnFailure) -> tuple[int, str, dict[str, object]]:
    data: dict[str, object] = {
        "kind": failure.kind,
        "provider": failure.provider,
        "model": failure.model,
        "url": failure.url,
        "attempts": failure.attempts,
    }
    if failure.kind not in _NEEDS_THE_USER:
        return ErrorCode.INTERNAL_ERROR, failure.message, data
    data["fix"] = failure.fix
    message = f"{failure.message}. Fix: {failure.fix}" if failure.fix else failure.message
    return ErrorCode.AUTH_REQUIRED, message, data


__all__ = ["META_KEY", "audit_fields", "failure_update", "prompt_error", "require_model_sdk"]
