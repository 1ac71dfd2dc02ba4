"""The settings tree. Attribute paths match the documented config keys
(`agent.max_turns` is `config.agent.max_turns`); `DEFAULT_CONFIG` in
`acp_server.config.defaults` documents each one. Loading and validation live in
`acp_server.config.loader`.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from agent.policy import Mode as Mode  # the config names the policy's modes


class ProviderSettings(msgspec.Struct, frozen=True):
    base_url: str | None = None
    api_key_env: str | None = None
    api_key: str | None = None  # from .env or config; never printed


class AgentSettings(msgspec.Struct, frozen=True):
    max_turns: int = 90
    max_budget_usd: float | None = None
    tool_concurrency: int = 4
    command_timeout: float = 120.0
    max_edit_bytes: int = 8 * 1024 * 1024


class TimeoutSettings(msgspec.Struct, frozen=True):
    client_request: float = 300.0  # how long to wait for the editor to answer
    provider_inactivity: float = 600.0


class CompressionSettings(msgspec.Struct, frozen=True):
    enabled: bool = True
    threshold: float = 0.5
    protect_last_n: int = 20


class PermissionSettings(msgspec.Struct, frozen=True):
    default_mode: Mode = "ask"
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


class McpServerSettings(msgspec.Struct, frozen=True):
    """stdio when `command` is set, else http/sse at `url`."""

    command: str | None = None
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    transport: Literal["stdio", "http", "sse"] = "stdio"


class McpSettings(msgspec.Struct, frozen=True):
    connect_timeout: float = 10.0
    call_timeout: float = 120.0


class LoggingSettings(msgspec.Struct, frozen=True):
    level: str = "WARNING"


class SmartRoutingSettings(msgspec.Struct, frozen=True):
    enabled: bool = False
    cheap_model: str | None = None
    max_prompt_chars: int = 160


class RoutingSettings(msgspec.Struct, frozen=True):
    long_context_model: str | None = None


class Config(msgspec.Struct, frozen=True):
    model: str | None = None
    fallback_providers: tuple[str, ...] = ()
    providers: dict[str, ProviderSettings] = msgspec.field(default_factory=dict)
    agent: AgentSettings = msgspec.field(default_factory=AgentSettings)
    timeouts: TimeoutSettings = msgspec.field(default_factory=TimeoutSettings)
    compression: CompressionSettings = msgspec.field(default_factory=CompressionSettings)
    permissions: PermissionSettings = msgspec.field(default_factory=PermissionSettings)
    mcp_servers: dict[str, McpServerSettings] = msgspec.field(default_factory=dict)
    mcp: McpSettings = msgspec.field(default_factory=McpSettings)
    logging: LoggingSettings = msgspec.field(default_factory=LoggingSettings)
    smart_routing: SmartRoutingSettings = msgspec.field(default_factory=SmartRoutingSettings)
    routing: RoutingSettings = msgspec.field(default_factory=RoutingSettings)
    # USD per million tokens, (input, output), merged over the built-in table.
    prices: dict[str, tuple[float, float]] = msgspec.field(default_factory=dict)
    # Feature flags set in config.yaml (see acp_server.features); unset ones keep
    # their defaults.
    features: dict[str, bool] = msgspec.field(default_factory=dict)
