"""The seam between the engine and a model: one streaming call, provider-neutral.

History messages are the typed, JSON-able union of `agent.messages`.

The system prompt is passed separately in `ModelRequest.system`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Literal, Protocol

import msgspec

from agent.messages import Message as Message  # re-exported: the history type providers take

FinishReason = Literal["end_turn", "tool_use", "max_tokens", "refusal"]


class ToolSchema(msgspec.Struct, frozen=True):
    name: str
    description: str
    parameters: Mapping[str, object]  # JSON schema of the arguments object


class ModelRequest(msgspec.Struct, frozen=True):
    model: str  # the provider's own model name, without the "provider:" prefix
    system: str
    messages: Sequence[Message]
    tools: Sequence[ToolSchema] = ()
    max_tokens: int = 8192
    thought_level: str | None = None  # "off" | "low" | "medium" | "high"; None = provider default
    inactivity_timeout: float = 600.0


# ---------------------------------------------------------------- stream events


class StreamText(msgspec.Struct, frozen=True):
    text: str


class StreamThought(msgspec.Struct, frozen=True):
    text: str
    signature: str | None = None


class StreamToolCall(msgspec.Struct, frozen=True):
    """A complete tool call. `arguments` is None when the model sent invalid JSON;
    then `raw_arguments` holds what it sent, and the engine reports the error to it."""

    id: str
    name: str
    arguments: Mapping[str, object] | None
    raw_arguments: str = ""


class StreamUsage(msgspec.Struct, frozen=True):
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int = 0
    thought_tokens: int = 0


class StreamPlan(msgspec.Struct, frozen=True):
    """Only the scripted model emits this directly (its `plan` directive)."""

    entries: tuple[str, ...]


class StreamEnd(msgspec.Struct, frozen=True):
    reason: FinishReason


StreamEvent = StreamText | StreamThought | StreamToolCall | StreamUsage | StreamPlan | StreamEnd


class Provider(Protocol):
    """One backend (OpenAI-compatible, Anthropic, scripted). Streams one model call.

    The stream ends with exactly one `StreamEnd`. Errors are raised as
    `ProviderError` subclasses; the SDKs' own exceptions never escape.
    Cancelling the consuming task must close the underlying HTTP stream.
    """

    name: str

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]: ...


# ---------------------------------------------------------------- errors


class ProviderError(Exception):
    """A model call failed; `retryable` says whether trying again may help.

    The resilience layer fills in what the provider alone does not know, so a
    failure that ends a turn can name everything the user needs: `model` (the
    id that was called), `url` (the endpoint tried, without query or
    credentials), `attempts` (how many calls were made) and `fix` (what to
    change, for a failure that retrying cannot cure)."""

    def __init__(
        self,
        message: str,
        retryable: bool = False,
        retry_after: float | None = None,  # seconds, from Retry-After when given
        status: int | None = None,
        provider: str = "",
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        self.provider = provider
        self.extra = extra if extra is not None else {}
        self.model = ""
        self.url = ""
        self.attempts = 1
        self.fix = ""

    def __str__(self) -> str:
        return self.message


class RateLimited(ProviderError):
    """429."""


class ServerFailed(ProviderError):
    """5xx."""


class ConnectionFailed(ProviderError):
    """Could not connect, or the connection dropped mid-stream."""


class StreamStalled(ProviderError):
    """No byte within the inactivity timeout."""


class AuthenticationFailed(ProviderError):
    """401/403: the key is missing, wrong or lacks access."""


class BadRequest(ProviderError):
    """4xx other than 401/403/429: retrying will not help."""


class ContextTooLong(BadRequest):
    """The history does not fit the model's window: found before sending, so
    the provider never sees a request it would reject for length."""


class MalformedStream(ProviderError):
    """The provider sent something that is not its documented streaming format."""


class ModelNotConfigured(Exception):
    """No usable provider for the model; `hint` tells the user what to set."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


class ProviderSdkMissing(ModelNotConfigured):
    """The provider's SDK is not installed; `hint` is the command that installs it."""
