"""`DEFAULT_CONFIG`: every scalar setting, its default, and what it does.

docs/configuration.md is written from this table; the loader validates keys
and value types against it. Mappings (`providers`, `mcp_servers`, `prices`)
are described in `MAPPING_SETTINGS`.
"""

from __future__ import annotations

from agent.policy import MODES

DEFAULT_CONFIG: dict[str, tuple[object, str]] = {
    "model": (None, "Default model id, `provider:model` (e.g. openai:gpt-4.1), or `scripted`"),
    "fallback_providers": ((), "Model ids tried in order when the primary fails after its retries"),
    "agent.max_turns": (
        90,
        "Model requests allowed per prompt before stopping with max_turn_requests",
    ),
    "agent.max_budget_usd": (
        None,
        "Spending limit per session in USD (from the price table); none when unset",
    ),
    "agent.tool_concurrency": (4, "Tool calls from one model response that run at once"),
    "agent.command_timeout": (120.0, "Seconds a command may run before it is killed"),
    "agent.max_edit_bytes": (
        8 * 1024 * 1024,
        "Largest file (bytes) edit_file changes; a larger file is refused, never cut",
    ),
    "timeouts.client_request": (
        300.0,
        "Seconds to wait for the editor to answer a request (permission, fs, terminal)",
    ),
    "timeouts.provider_inactivity": (
        600.0,
        "Seconds without a byte from the model before the call is retried",
    ),
    "compression.enabled": (True, "Summarise older history when the context fills up"),
    "compression.threshold": (
        0.5,
        "Fraction of the model's context window that triggers compression",
    ),
    "compression.protect_last_n": (20, "Most recent messages always kept verbatim"),
    "permissions.default_mode": (
        "ask",
        f"Mode for new sessions: {', '.join(MODES[:-1])} or {MODES[-1]}",
    ),
    "permissions.allow": (
        (),
        "Patterns `tool` or `tool:argument-glob` always allowed (e.g. `run_command:git *`)",
    ),
    "permissions.deny": ((), "Patterns always refused; deny wins over allow and over every mode"),
    "mcp.connect_timeout": (10.0, "Seconds session/new waits for MCP servers before answering"),
    "mcp.call_timeout": (120.0, "Seconds an MCP tool call may take"),
    "logging.level": ("WARNING", "Log level for the log file and stderr (quiet by default)"),
    "smart_routing.enabled": (False, "Send short, tool-free prompts to a cheaper model"),
    "smart_routing.cheap_model": (None, "The cheaper model used by smart routing"),
    "smart_routing.max_prompt_chars": (160, "Longest prompt smart routing treats as short"),
    "routing.long_context_model": (
        None,
        "Model a request switches to when its history exceeds the model's window after compression",
    ),
}

MAPPING_SETTINGS: dict[str, str] = {
    "providers.NAME.base_url": "Base URL of a provider (any name with a base_url is an OpenAI-compatible provider)",
    "providers.NAME.api_key_env": "Environment variable holding that provider's key",
    "mcp_servers.NAME": "`{command, args, env}` for stdio, or `{url, headers, transport: http|sse}`",
    "prices.MODEL": "[input, output] USD per million tokens, overriding the built-in table",
    "features.NAME": "true or false: switch an experimental protocol feature (`acp-server features`)",
}

# Provider keys read from the environment or .env.
SECRET_ENV_VARS: dict[str, str] = {
    "OPENAI_API_KEY": "openai",
    "ANTHROPIC_API_KEY": "anthropic",
    "OPENROUTER_API_KEY": "openrouter",
}
