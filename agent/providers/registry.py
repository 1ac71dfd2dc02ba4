"""Model ids (`provider:model`) to providers, plus the resilient call around them:
retries with backoff and jitter, a circuit breaker per provider, and the
ordered fallback chain. Every retry and fallback is an event the user sees.

A retryable fault is retried whether or not output has started: a reset or a
stall mid-stream restarts the call from the beginning. The `RetryNotice` (or
`FallbackNotice`) in the stream is the consumer's cue that what it collected
of the failed attempt is void; what it already showed stays shown.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Mapping, Sequence

import msgspec

from agent.events import FallbackNotice, RetryNotice
from agent.providers.base import (
    AuthenticationFailed,
    BadRequest,
    ModelNotConfigured,
    ModelRequest,
    Provider,
    ProviderError,
    StreamEvent,
)
from agent.providers.facts import BY_NAME, CLOUD_KINDS, LOCAL_PROVIDERS, ProviderFacts
from agent.providers.pump import pumped
from agent.providers.sdk import missing_sdk, require_sdk

# Re-exported: their home moved to settings, importers of the registry keep working.
from agent.providers.settings import ProviderConfig as ProviderConfig
from agent.providers.settings import ResolvedModel as ResolvedModel

#: What a model call streams: the provider's events and the resilience layer's notices.
ModelEvent = StreamEvent | RetryNotice | FallbackNotice

# Kept under its old name: hosts read `kind`, `key_env` and `base_url` from it.
BUILTIN_PROVIDERS: dict[str, ProviderFacts] = BY_NAME


def resolve(
    model_id: str, providers: Mapping[str, ProviderConfig], env: Mapping[str, str] | None = None
) -> ResolvedModel:
    """Find the provider for `model_id`, or raise ModelNotConfigured with a hint
    (also when the provider's SDK is not installed)."""
    env = os.environ if env is None else env
    if model_id == "scripted":
        return ResolvedModel("scripted", "scripted", "scripted", "scripted", None, None)
    provider, sep, name = model_id.partition(":")
    if not sep or not provider or not name:
        raise ModelNotConfigured(
            f"model id {model_id!r} is not of the form provider:model",
            "use an id like openai:gpt-4.1, anthropic:claude-sonnet-4-5 or ollama:qwen3",
        )
    builtin = BUILTIN_PROVIDERS.get(provider)
    configured = providers.get(provider, ProviderConfig())
    if builtin is None and configured.base_url is None:
        raise ModelNotConfigured(
            f"unknown provider {provider!r}",
            f"set providers.{provider}.base_url in config.yaml for an OpenAI-compatible server, "
            f"or use one of: {', '.join(sorted(BUILTIN_PROVIDERS))}",
        )
    if builtin is not None and builtin.kind in CLOUD_KINDS:
        from agent.providers.cloud import resolve_cloud

        return resolve_cloud(model_id, builtin, configured, env)
    kind = builtin.kind if builtin else "openai"
    key_env = configured.api_key_env or (builtin.key_env if builtin else None)
    api_key = configured.api_key or (env.get(key_env) if key_env else None)
    base_url = configured.base_url or (
        env.get(builtin.base_url_env) if builtin and builtin.base_url_env else None
    )
    base_url = base_url or (builtin.base_url if builtin else None)
    require_sdk(kind, model_id)
    if not api_key and key_env and provider not in LOCAL_PROVIDERS:
        raise ModelNotConfigured(
            f"no API key for provider {provider!r}",
            f"set {key_env} (in the environment or $ACP_SERVER_HOME/.env), or run `acp-server setup-provider`",
        )
    return ResolvedModel(model_id, provider, kind, name, base_url, api_key or "not-needed", key_env)


def check_model(
    model_id: str | None,
    providers: Mapping[str, ProviderConfig],
    env: Mapping[str, str] | None = None,
) -> None:
    if not model_id:
        raise ModelNotConfigured(
            "no model is configured",
            "set a model: `acp-server models set openai:gpt-4.1` (with OPENAI_API_KEY set), "
            "ACP_SERVER_MODEL=anthropic:claude-sonnet-4-5, or --model scripted for the offline test model",
        )
    resolve(model_id, providers, env)


def check_sdk(model_id: str | None, providers: Mapping[str, object]) -> None:
    """Raise ProviderSdkMissing when `model_id`'s provider needs an SDK that is
    not installed. Nothing else is checked (a missing key is for the prompt to
    report), so a host can call this when a model is chosen."""
    provider, sep, _ = (model_id or "").partition(":")
    builtin = BUILTIN_PROVIDERS.get(provider)
    if not sep or (builtin is None and providers.get(provider) is None):
        return
    require_sdk(builtin.kind if builtin else "openai", model_id or "")


def build_provider(resolved: ResolvedModel) -> Provider:
    # SDKs load here, on the first model call, never at import time.
    if resolved.kind == "scripted":
        from agent.providers.scripted import ScriptedProvider

        return ScriptedProvider()
    try:
        if resolved.kind in CLOUD_KINDS:
            from agent.providers.cloud import build_cloud_provider

            return build_cloud_provider(resolved)
        if resolved.kind == "anthropic":
            from agent.providers.anthropic_messages import AnthropicProvider

            return AnthropicProvider(resolved.provider, resolved.api_key, resolved.base_url)
        from agent.providers.openai_compat import OpenAICompatProvider

        return OpenAICompatProvider(resolved.provider, resolved.api_key, resolved.base_url)
    except ImportError:
        # Found by require_sdk but broken on import (half-removed, wrong build):
        # still a configuration problem, named as one.
        raise missing_sdk(resolved.kind, resolved.model_id) from None


class RetryPolicy(msgspec.Struct, frozen=True):
    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        # Full jitter: spreads out clients that failed together.
        import random  # here: only a retry needs it, and it costs ~1 ms to import

        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


class BreakerBoard(msgspec.Struct):
    """Per-provider circuit breakers: open after `threshold` consecutive failures,
    let one call through (half-open) after `cooldown` seconds."""

    threshold: int = 5
    cooldown: float = 30.0
    _failures: dict[str, int] = msgspec.field(default_factory=dict)
    _opened_at: dict[str, float] = msgspec.field(default_factory=dict)

    def allows(self, provider: str) -> bool:
        opened = self._opened_at.get(provider)
        return opened is None or time.monotonic() - opened >= self.cooldown

    def success(self, provider: str) -> None:
        self._failures.pop(provider, None)
        self._opened_at.pop(provider, None)

    def failure(self, provider: str) -> None:
        count = self._failures.get(provider, 0) + 1
        self._failures[provider] = count
        if count >= self.threshold:
            self._opened_at[provider] = time.monotonic()


class ModelClient:
    """One logical model: the primary plus its fallbacks, with retries."""

    def __init__(
        self,
        chain: Sequence[ResolvedModel],
        retry: RetryPolicy,
        breakers: BreakerBoard,
        unusable: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.chain = list(chain)
        self.retry = retry
        self.breakers = breakers
        self.model_id = chain[0].model_id
        self._providers: dict[str, Provider] = {}
        self._unusable = list(unusable)

    def _provider(self, resolved: ResolvedModel) -> Provider:
        if resolved.model_id not in self._providers:
            self._providers[resolved.model_id] = build_provider(resolved)
        return self._providers[resolved.model_id]

    async def stream(
        self, request: ModelRequest
    ) -> AsyncIterator[StreamEvent | RetryNotice | FallbackNotice]:
        """The events of `stream_batches`, one at a time."""
        async for batch in self.stream_batches(request):
            for event in batch:
                yield event

    async def stream_batches(self, request: ModelRequest) -> AsyncIterator[Sequence[ModelEvent]]:
        """The call's events in order, in batches of what arrived together (see
        agent.providers.pump): the first event of each attempt alone, and the
        provider is read on only when the caller asks for the next batch."""
        last: ProviderError | None = None
        for index, resolved in enumerate(self.chain):
            if self.breakers.allows(resolved.provider):
                try:
                    async for batch in self._attempts(resolved, request):
                        yield batch
                    self.model_id = resolved.model_id
                    return
                except ProviderError as error:
                    last = error
            else:
                last = ProviderError(
                    f"circuit open for {resolved.provider} after repeated failures",
                    provider=resolved.provider,
                )
                _annotate(last, resolved, 0)
            if index + 1 < len(self.chain):
                notice = FallbackNotice(
                    resolved.model_id, self.chain[index + 1].model_id, str(last)
                )
                yield [notice]
        assert last is not None
        raise last

    async def _attempts(
        self, resolved: ResolvedModel, request: ModelRequest
    ) -> AsyncIterator[Sequence[ModelEvent]]:
        provider = self._provider(resolved)
        attempt = 0
        while True:
            try:
                stream = provider.stream(msgspec.structs.replace(request, model=resolved.name))
                async for batch in pumped(stream, request.inactivity_timeout, resolved.provider):
                    yield batch
                self.breakers.success(resolved.provider)
                return
            except ProviderError as error:
                self.breakers.failure(resolved.provider)
                _annotate(error, resolved, attempt + 1)
                # Also after output has started (a reset or a stall mid-stream):
                # the RetryNotice tells the consumer that the step starts over.
                if not error.retryable or attempt + 1 >= self.retry.max_attempts:
                    raise
                delay = self.retry.delay(attempt, error.retry_after)
                attempt += 1
                yield [RetryNotice(resolved.model_id, attempt, delay, str(error))]
                await asyncio.sleep(delay)


def _annotate(error: ProviderError, resolved: ResolvedModel, attempts: int) -> None:
    """Fill in what only the resilience layer knows (see ProviderError)."""
    error.model = error.model or resolved.model_id
    error.url = error.url or resolved.base_url or ""
    error.attempts = attempts
    if error.fix:
        return
    builtin = BUILTIN_PROVIDERS.get(resolved.provider)
    if isinstance(error, AuthenticationFailed) and builtin and builtin.credentials_fix:
        error.fix = builtin.credentials_fix
    elif isinstance(error, AuthenticationFailed):
        where = f"{resolved.key_env} (environment or .env)" if resolved.key_env else "the config"
        error.fix = (
            f"check the API key for {resolved.provider!r} in {where}; "
            "`acp-server setup-provider` stores a new one"
        )
    elif isinstance(error, BadRequest) and error.status == 404:
        error.fix = (
            f"check the model name {resolved.name!r} and the base URL of {resolved.provider!r}"
        )


def open_model(
    model_id: str,
    providers: Mapping[str, ProviderConfig],
    *,
    fallback: Sequence[str] = (),
    retry: RetryPolicy | None = None,
    breakers: BreakerBoard | None = None,
    env: Mapping[str, str] | None = None,
) -> ModelClient:
    """The primary must resolve (else ModelNotConfigured); unusable fallbacks are skipped."""
    chain = [resolve(model_id, providers, env)]
    skipped: list[tuple[str, str]] = []
    for candidate in fallback:
        try:
            chain.append(resolve(candidate, providers, env))
        except ModelNotConfigured as error:
            skipped.append((candidate, str(error)))
    return ModelClient(chain, retry or RetryPolicy(), breakers or BreakerBoard(), skipped)
