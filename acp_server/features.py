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
loader (and PyYAML) is imported, so `scan_config_features` reads the table's
block form (`features:` + indented `name: true|false` lines) and its flow form
(`features: {name: true}`) by hand. The full loader validates the same table
later and reports anything it cannot accept.
This module imports nothing beyond the standard library's lightest parts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
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
    "session_system_prompt": Feature(
        False,
        "Let the client append to the agent's system prompt on new, load, resume and fork",
        "systemPrompt (append mode), sessionCapabilities.systemPrompt",
    ),
    "prompt_usage": Feature(
        False,
        "Report the turn's token usage on the session/prompt response",
        "PromptResponse.usage",
    ),
}
ENV_VAR = "ACP_SERVER_FEATURES"

# The booleans of YAML 1.1 as PyYAML reads them: `1` is a number there (and
# refused by `check_table`), so it must not switch a flag here either.
_TRUE = {form for word in ("true", "yes", "on") for form in (word, word.title(), word.upper())}
_FALSE = {form for word in ("false", "no", "off") for form in (word, word.title(), word.upper())}


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


def scan_config_features(path: str | os.PathLike[str]) -> dict[str, bool]:
    """The `features:` table of config.yaml without a YAML parser, in block
    form (`features:` then indented `name: true` lines) or flow form
    (`features: {name: true, other: false}`, on one line or several). Unknown
    names and values are skipped here (the full loader reports them)."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError):
        return {}
    lines = [_uncomment(raw) for raw in text.splitlines()]
    for index, line in enumerate(lines):
        if not line or line[0].isspace():
            continue
        key, sep, rest = line.partition(":")
        if sep and _unquote(key) == "features":
            rest = rest.strip()
            if rest.startswith("{"):
                return _flow_items(rest, lines[index + 1 :])
            return _block_items(lines[index + 1 :]) if not rest else {}
    return {}


def _uncomment(raw: str) -> str:
    # YAML starts a comment at a `#` that opens the line or follows a blank;
    # a `#` inside a word (`a#b`) is text. Quoted `#`s are not flag material.
    line = raw.rstrip()
    for at, char in enumerate(line):
        if char == "#" and (at == 0 or line[at - 1].isspace()):
            return line[:at].rstrip()
    return line


def _block_items(lines: list[str]) -> dict[str, bool]:
    found: dict[str, bool] = {}
    for line in lines:
        if not line.strip():
            continue
        if not line[0].isspace():
            break  # the next top-level key ends the block
        _take(line, found)
    return found


def _flow_items(first: str, following: list[str]) -> dict[str, bool]:
    """`{a: true, b: false}`, which YAML lets run over several lines."""
    body = first[1:]
    rest = iter(following)
    while "}" not in body:
        more = next(rest, None)
        if more is None:
            return {}  # never closed: YAML would refuse the file
        body += " " + more
    found: dict[str, bool] = {}
    for item in body.partition("}")[0].split(","):
        _take(item, found)
    return found


def _take(item: str, found: dict[str, bool]) -> None:
    name, sep, value = item.strip().partition(":")
    name, flag = _unquote(name), value.strip()
    if sep and name in FEATURES and flag in _TRUE | _FALSE:
        found[name] = flag in _TRUE


def _unquote(word: str) -> str:
    word = word.strip()
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


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


def resolve_for_home(
    home: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None
) -> dict[str, bool]:
    # os.path, not pathlib: this runs before `initialize` is answered.
    table = scan_config_features(os.path.join(home, "config.yaml")) if home is not None else {}
    return resolve(table, env)
