"""Layered configuration: defaults < config.yaml < .env < environment < flags < session."""

from acp_server.config.schema import (
    AgentSettings,
    CompressionSettings,
    Config,
    LoggingSettings,
    McpServerSettings,
    McpSettings,
    Mode,
    PermissionSettings,
    ProviderSettings,
    SmartRoutingSettings,
    TimeoutSettings,
)

__all__ = [
    "AgentSettings",
    "CompressionSettings",
    "Config",
    "LoggingSettings",
    "McpServerSettings",
    "McpSettings",
    "Mode",
    "PermissionSettings",
    "ProviderSettings",
    "SmartRoutingSettings",
    "TimeoutSettings",
]
