"""The settings tree. Attribute paths match the documented config keys
(`agent.max_turns` is `config.agent.max_turns`); `DEFAULT_CONFIG` in
`acp_server.config.defaults` documents each one. Loading and validation live in
`acp_server.config.loader`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["ask", "accept-edits", "read-only", "yolo"]


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    base_url: str | None = None
    api_key_env: str | None = None
    api_key: str | None = None  # from .env or config; never printed


@dataclass(frozen=True, slots=True)
class AgentSettings:
    max_turns: int = 90
    max_budget_usd: float | None = None
    tool_concurrency: int = 4
    command_timeout: float = 120.0


@dataclass(frozen=True, slots=True)
class TimeoutSettings:
    client_request: float = 300.0  # how long to wait for the editor to answer
    provider_inactivity: float = 600.0


@dataclass(frozen=True, slots=True)
class CompressionSettings:
    enabled: bool = True
    threshold: float = 0.5
    protect_last_n: int = 20


@dataclass(frozen=True, slots=True)
class PermissionSettings:
    default_mode: Mode = "ask"
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class McpServerSettings:
    """stdio when `command` is set, else http/sse at `url`."""

    command: str | None = None
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    transport: Literal["stdio", "http", "sse"] = "stdio"


@dataclass(frozen=True, slots=True)
class McpSettings:
    connect_timeout: float = 10.0
    call_timeout: float = 120.0


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    level: str = "WARNING"


@dataclass(frozen=True, slots=True)
class SmartRoutingSettings:
    enabled: bool = False
    cheap_model: str | None = None
    max_prompt_chars: int = 160


@dataclass(frozen=True, slots=True)
class Config:
    model: str | None = None
    fallback_providers: tuple[str, ...] = ()
    providers: dict[str, ProviderSettings] = field(default_factory=dict)
    agent: AgentSettings = field(default_factory=AgentSettings)
    timeouts: TimeoutSettings = field(default_factory=TimeoutSettings)
    compression: CompressionSettings = field(default_factory=CompressionSettings)
    permissions: PermissionSettings = field(default_factory=PermissionSettings)
    mcp_servers: dict[str, McpServerSettings] = field(default_factory=dict)
    mcp: McpSettings = field(default_factory=McpSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    smart_routing: SmartRoutingSettings = field(default_factory=SmartRoutingSettings)
    keepalive_interval: float = 0.0  # seconds; 0 = off
    # USD per million tokens, (input, output), merged over the built-in table.
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)
