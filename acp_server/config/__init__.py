"""Layered configuration: defaults < config.yaml < .env < environment < flags < session."""

from acp_server.config.defaults import DEFAULT_CONFIG, MAPPING_SETTINGS
from acp_server.config.engine import engine_config
from acp_server.config.loader import ConfigError, config_as_dict, load_config, read_dotenv
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
    "DEFAULT_CONFIG",
    "MAPPING_SETTINGS",
    "AgentSettings",
    "CompressionSettings",
    "Config",
    "ConfigError",
    "LoggingSettings",
    "McpServerSettings",
    "McpSettings",
    "Mode",
    "PermissionSettings",
    "ProviderSettings",
    "SmartRoutingSettings",
    "TimeoutSettings",
    "config_as_dict",
    "engine_config",
    "load_config",
    "read_dotenv",
]
