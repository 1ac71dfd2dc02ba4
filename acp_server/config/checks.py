"""Value checks beyond the type, shared by config.yaml loading, `config set`,
`models set` and the server: one place says what is allowed, and every error
names the key and the allowed range (never a doc the user may not have).
"""

from __future__ import annotations

from acp_server.config.defaults import DEFAULT_CONFIG

SECTIONS = frozenset(key.split(".")[0] for key in DEFAULT_CONFIG if "." in key)
MAPPINGS = ("providers", "mcp_servers", "prices")

# key: (lowest, exclusive?) — the value must be above (exclusive) or at least it.
LOWER_BOUNDS: dict[str, tuple[float, bool]] = {
    "agent.max_turns": (1, False),
    "agent.max_budget_usd": (0, True),
    "agent.tool_concurrency": (1, False),
    "agent.command_timeout": (0, True),
    "timeouts.client_request": (0, True),
    "timeouts.provider_inactivity": (0, True),
    "compression.protect_last_n": (0, False),
    "mcp.connect_timeout": (0, True),
    "mcp.call_timeout": (0, True),
    "smart_routing.max_prompt_chars": (1, False),
    "checkpoints.max_session_bytes": (1, False),
    "checkpoints.max_total_bytes": (1, False),
}

MODEL_KEYS = ("model", "smart_routing.cheap_model")


def unknown_key(key: str) -> str:
    """The message for a key that is not a setting: what is near, or what a
    section is."""
    head = key.split(".")[0]
    known = [*DEFAULT_CONFIG, *MAPPINGS]
    import difflib  # only when a key is unknown: not on the first session's path

    near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not near and head in SECTIONS:
        near = difflib.get_close_matches(
            key, [k for k in DEFAULT_CONFIG if k.startswith(head + ".")], n=1, cutoff=0
        )
    hint = f"; did you mean {near[0]}?" if near else ""
    return f"unknown setting {key!r}{hint}"


def not_a_table(key: str) -> str | None:
    """A section given a plain value (`agent: 5`) is not an unknown setting."""
    if key in SECTIONS:
        members = ", ".join(k for k in DEFAULT_CONFIG if k.startswith(key + "."))
        return f"{key} must be a table of settings ({members})"
    return None


def check_value(key: str, value: object) -> str | None:
    """None when `value` (already of the right type) is allowed for `key`."""
    if value is None:
        return None
    if key in LOWER_BOUNDS and isinstance(value, (int, float)):
        low, exclusive = LOWER_BOUNDS[key]
        if value < low or (exclusive and value == low):
            bound = f"greater than {low:g}" if exclusive else f"at least {low:g}"
            return f"{key} must be {bound}, got {value}"
    if key in MODEL_KEYS:
        return check_model_id(str(value), key)
    if key == "fallback_providers" and isinstance(value, (list, tuple)):
        for model in value:
            if problem := check_model_id(str(model), key):
                return problem
    return None


def check_model_id(model: str, key: str = "model") -> str | None:
    """`scripted`, or `provider:model` with both parts present."""
    if model == "scripted":
        return None
    provider, colon, name = model.partition(":")
    if not colon or not provider.strip() or not name.strip():
        return (
            f"{key} must be `provider:model` (e.g. openai:gpt-4.1, ollama:qwen3) "
            f"or `scripted`, got {model!r}"
        )
    return None
