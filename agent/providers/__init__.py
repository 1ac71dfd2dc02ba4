"""Model backends. Each SDK is imported only when its provider is first used.

The names below load on first use too, so a module that needs only the
provider table (`agent.providers.facts`) does not pay for the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.providers.base import (
        AuthenticationFailed,
        BadRequest,
        ConnectionFailed,
        MalformedStream,
        Message,
        ModelNotConfigured,
        ModelRequest,
        Provider,
        ProviderError,
        ProviderSdkMissing,
        RateLimited,
        ServerFailed,
        StreamEnd,
        StreamEvent,
        StreamPlan,
        StreamStalled,
        StreamText,
        StreamThought,
        StreamToolCall,
        StreamUsage,
        ToolSchema,
    )
    from agent.providers.catalog import (
        ModelInfo,
        cost_usd,
        known_models,
        model_info,
    )
    from agent.providers.facts import (
        PROVIDERS,
        ProviderFacts,
    )
    from agent.providers.registry import (
        BUILTIN_PROVIDERS,
        BreakerBoard,
        ModelClient,
        ModelEvent,
        RetryPolicy,
        check_model,
        check_sdk,
        open_model,
        resolve,
    )
    from agent.providers.sdk import (
        require_sdk,
    )
    from agent.providers.settings import (
        ProviderConfig,
        ResolvedModel,
    )

_HOME = {
    "AuthenticationFailed": "agent.providers.base",
    "BUILTIN_PROVIDERS": "agent.providers.registry",
    "BadRequest": "agent.providers.base",
    "BreakerBoard": "agent.providers.registry",
    "ConnectionFailed": "agent.providers.base",
    "MalformedStream": "agent.providers.base",
    "Message": "agent.providers.base",
    "ModelClient": "agent.providers.registry",
    "ModelEvent": "agent.providers.registry",
    "ModelInfo": "agent.providers.catalog",
    "ModelNotConfigured": "agent.providers.base",
    "ModelRequest": "agent.providers.base",
    "PROVIDERS": "agent.providers.facts",
    "Provider": "agent.providers.base",
    "ProviderConfig": "agent.providers.settings",
    "ProviderError": "agent.providers.base",
    "ProviderFacts": "agent.providers.facts",
    "ProviderSdkMissing": "agent.providers.base",
    "RateLimited": "agent.providers.base",
    "ResolvedModel": "agent.providers.settings",
    "RetryPolicy": "agent.providers.registry",
    "ServerFailed": "agent.providers.base",
    "StreamEnd": "agent.providers.base",
    "StreamEvent": "agent.providers.base",
    "StreamPlan": "agent.providers.base",
    "StreamStalled": "agent.providers.base",
    "StreamText": "agent.providers.base",
    "StreamThought": "agent.providers.base",
    "StreamToolCall": "agent.providers.base",
    "StreamUsage": "agent.providers.base",
    "ToolSchema": "agent.providers.base",
    "check_model": "agent.providers.registry",
    "check_sdk": "agent.providers.registry",
    "cost_usd": "agent.providers.catalog",
    "known_models": "agent.providers.catalog",
    "model_info": "agent.providers.catalog",
    "open_model": "agent.providers.registry",
    "require_sdk": "agent.providers.sdk",
    "resolve": "agent.providers.registry",
}


def __getattr__(name: str) -> object:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'agent.providers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "BUILTIN_PROVIDERS",
    "PROVIDERS",
    "AuthenticationFailed",
    "BadRequest",
    "BreakerBoard",
    "ConnectionFailed",
    "MalformedStream",
    "Message",
    "ModelClient",
    "ModelEvent",
    "ModelInfo",
    "ModelNotConfigured",
    "ModelRequest",
    "Provider",
    "ProviderConfig",
    "ProviderError",
    "ProviderFacts",
    "ProviderSdkMissing",
    "RateLimited",
    "ResolvedModel",
    "RetryPolicy",
    "ServerFailed",
    "StreamEnd",
    "StreamEvent",
    "StreamPlan",
    "StreamStalled",
    "StreamText",
    "StreamThought",
    "StreamToolCall",
    "StreamUsage",
    "ToolSchema",
    "check_model",
    "check_sdk",
    "cost_usd",
    "known_models",
    "model_info",
    "open_model",
    "require_sdk",
    "resolve",
]
