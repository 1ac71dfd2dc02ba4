"""Feature flags for protocol surfaces that upstream still calls unstable.

Contract:
- `FEATURES` names every flag with its default and a description; unstable
  surfaces are off unless a flag's default says otherwise (`session_fork` is on
  because editors use it today).
- A flag comes from, in rising priority: its default, the `features:` table of
  config.yaml, then `ACP_SERVER_FEATURES=name,-name` (a leading `-` turns one off).
- With a flag off, the server neither advertises nor routes its surface: the
  method answers -32601.

Reading flags happens while answering `initialize`, before the full config
loader (and PyYAML) is imported, so `scan_config_features` understands only the
plain block form `features:` + indented `name: true|false` lines. The full
loader validates the same table later and reports anything it cannot accept.
This module imports nothing beyond the standard library's lightest parts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple


class Feature(NamedTuple):
    default: bool
    description: str
    surface: str  # what the flag switches, as it appears on the wire


FEATURES: dict[str, Feature] = {
    "session_fork": Feature(
        True,
        "Fork a session into a new one with the same history (unstable upstream)",
        "session/fork, sessionCapabilities.fork",
    ),
    "session_title": Feature(
        False,
        "Let the client set a session's title; the agent then never overwrites it",
        "session/set_title, sessionCapabilities.title",
    ),
    "prompt_usage": Feature(
        False,
        "Report the turn's token usage on the session/prompt response",
        "PromptResponse.usage",
    ),
}
ENV_VAR = "ACP_SERVER_FEATURES"

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class FeatureError(ValueError):
    """A flag name or value that cannot be used; the message names it."""


def check_table(table: object, where: str) -> dict[str, bool]:
    """Validate a parsed `features:` mapping (used by the full config loader)."""
    if not isinstance(table, dict):
        raise FeatureError(f"{where}: features must map flag names to true or false")
    result: dict[str, bool] = {}
    for name, value in table.items():
        if name not in FEATURES:
            raise FeatureError(f"{where}: unknown feature {name!r} (known: {', '.join(FEATURES)})")
        if not isinstance(value, bool):
            raise FeatureError(f"{where}: features.{name} must be true or false, not {value!r}")
        result[str(name)] = value
    return result


def scan_config_features(path: Path) -> dict[str, bool]:
    """The `features:` block of config.yaml without a YAML parser; unknown
    names and values are skipped here (the full loader reports them)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[str, bool] = {}
    inside = False
    for raw in lines:
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not line[0].isspace():
            inside = line.strip() == "features:"
            continue
        if inside:
            name, sep, value = line.strip().partition(":")
            flag = value.strip().lower()
            if sep and name in FEATURES and flag in _TRUE | _FALSE:
                found[name] = flag in _TRUE
    return found


def parse_env(value: str | None) -> dict[str, bool]:
    result: dict[str, bool] = {}
    for item in (value or "").split(","):
        name = item.strip()
        off = name.startswith("-")
        name = name.lstrip("-+")
        if name in FEATURES:
            result[name] = not off
    return result


def resolve(
    table: Mapping[str, bool] | None = None, env: Mapping[str, str] | None = None
) -> dict[str, bool]:
    """Every flag's effective state: defaults, then `table`, then the environment."""
    env = os.environ if env is None else env
    states = {name: feature.default for name, feature in FEATURES.items()}
    states.update(table or {})
    states.update(parse_env(env.get(ENV_VAR)))
    return states


def resolve_for_home(home: Path | None, env: Mapping[str, str] | None = None) -> dict[str, bool]:
    table = scan_config_features(home / "config.yaml") if home is not None else {}
    return resolve(table, env)
