"""Engine settings. Hosts build this from their own configuration."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from agent.ports import MAX_EDIT_BYTES
from agent.providers.registry import ProviderConfig


class EngineConfig(msgspec.Struct, frozen=True):
    model: str | None = None  # default model id ("provider:model"); Engine(model=...) wins
    fallback_models: tuple[str, ...] = ()
    providers: Mapping[str, ProviderConfig] = msgspec.field(default_factory=dict)
    max_turns: int = 90  # model requests per prompt
    max_budget_usd: float | None = None  # per session
    tool_concurrency: int = 4
    command_timeout: float = 120.0
    max_edit_bytes: int = MAX_EDIT_BYTES  # largest file edit_file changes
    provider_inactivity_timeout: float = 600.0
    max_output_tokens: int = 8192
    compression_enabled: bool = True
    compression_threshold: float = 0.5
    protect_last_n: int = 20
    context_window_override: int | None = None  # tests and small local models
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    prices: Mapping[str, tuple[float, float]] = msgspec.field(default_factory=dict)
    smart_routing: bool = False
    cheap_model: str | None = None
    smart_routing_max_chars: int = 160
    # Where a request goes when its history will not fit the model's window
    # even after compression; None: such a request fails the turn instead.
    long_context_model: str | None = None
    thought_level: str | None = None
    retry_attempts: int = 4
    retry_base_delay: float = 1.0
