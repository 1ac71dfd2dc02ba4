"""Layered configuration, each layer overriding the one before:

1. built-in defaults (`DEFAULT_CONFIG`);
2. `$ACP_SERVER_HOME/config.yaml`;
3. `$ACP_SERVER_HOME/.env` (secrets; KEY=VALUE lines, mode 0600);
4. environment variables;
5. command-line flags;
6. per-session config options (applied by the server).

An unknown key or a bad value raises `ConfigError` naming the key, the file
and the line. YAML is imported only when a config file exists, so a plain
start stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import msgspec

from acp_server.config.defaults import DEFAULT_CONFIG, PROVIDER_FIELDS, SECRET_ENV_VARS
from acp_server.config.schema import Config, McpServerSettings, ProviderSettings
from agent.policy import MODES


class ConfigError(Exception):
    """A configuration problem; the message names the key and where it came from."""


def _where(source: str, line: int | None) -> str:
    return f"{source}:{line}" if line else source


def _check_type(key: str, value: Any, expected: Any, where: str) -> Any:
    kind = type(expected) if expected is not None else None
    nullable = ("model", "smart_routing.cheap_model", "routing.long_context_model")
    if (key in nullable or key == "agent.max_budget_usd") and value is None:
        return None
    if isinstance(expected, bool) or kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
    elif isinstance(expected, float) or key in ("agent.max_budget_usd",):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif isinstance(expected, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
    elif isinstance(expected, tuple):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
    elif (isinstance(expected, str) or expected is None) and isinstance(value, str):
        return value
    raise ConfigError(
        f"{where}: {key} has a bad value {value!r} (expected {type(expected).__name__ if expected is not None else 'text'})"
    )


def _set(config: Config, key: str, value: Any, where: str) -> Config:
    """Apply one dotted key to the frozen tree, validating against DEFAULT_CONFIG."""
    head, _, rest = key.partition(".")
    if head in ("providers", "mcp_servers", "prices", "features"):
        raise ConfigError(f"{where}: {key} must be set as a mapping in config.yaml")
    if key not in DEFAULT_CONFIG:
        from acp_server.config.checks import not_a_table, unknown_key

        raise ConfigError(f"{where}: {not_a_table(key) or unknown_key(key)}")
    default = DEFAULT_CONFIG[key][0]
    checked = _check_type(key, value, default, where)
    from acp_server.config.checks import check_value

    if problem := check_value(key, checked):
        raise ConfigError(f"{where}: {problem}")
    if key == "permissions.default_mode" and checked not in MODES:
        raise ConfigError(f"{where}: permissions.default_mode must be one of {', '.join(MODES)}")
    if key == "compression.threshold" and not 0 < checked <= 1:
        raise ConfigError(f"{where}: compression.threshold must be between 0 and 1")
    if key == "logging.level" and str(checked).upper() not in (
        "DEBUG",
        "INFO",
        "WARNING",
        "ERROR",
        "CRITICAL",
    ):
        raise ConfigError(f"{where}: logging.level must be DEBUG, INFO, WARNING or ERROR")
    if not rest:
        return msgspec.structs.replace(config, **{head: checked})
    section = getattr(config, head)
    return msgspec.structs.replace(
        config, **{head: msgspec.structs.replace(section, **{rest: checked})}
    )


def _providers(value: Any, where: str) -> dict[str, ProviderSettings]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: providers must be a mapping of provider name to settings")
    result = {}
    for name, settings in value.items():
        if not isinstance(settings, dict):
            raise ConfigError(f"{where}: providers.{name} must be a mapping")
        unknown = set(settings) - set(PROVIDER_FIELDS)
        if unknown:
            raise ConfigError(f"{where}: unknown setting providers.{name}.{sorted(unknown)[0]}")
        for field in PROVIDER_FIELDS:
            if settings.get(field) is not None and not isinstance(settings[field], str):
                raise ConfigError(f"{where}: providers.{name}.{field} must be a string")
        values: dict[str, str | None] = {f: settings.get(f) for f in PROVIDER_FIELDS}
        result[str(name)] = msgspec.structs.replace(ProviderSettings(), **values)
    return result


def _provider_env(
    providers: dict[str, ProviderSettings], dotenv: dict[str, str]
) -> dict[str, ProviderSettings]:
    """Each built-in provider's variables that only .env holds go into its
    settings, so the provider sees them as if they were in the environment."""
    from agent.providers.facts import CLOUD_KINDS, PROVIDERS, settings_variables

    for facts in (p for p in PROVIDERS if p.kind in CLOUD_KINDS):
        found = {v: dotenv[v] for v in settings_variables(facts) if dotenv.get(v)}
        if found:
            current = providers.get(facts.name, ProviderSettings())
            providers[facts.name] = msgspec.structs.replace(current, env=found)
    return providers


def _pairs(value: Any, key: str, where: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key} must be a mapping of names to values")
    return tuple((str(k), str(v)) for k, v in value.items())


def _mcp_servers(value: Any, where: str) -> dict[str, McpServerSettings]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: mcp_servers must be a mapping of server name to settings")
    result = {}
    for name, spec in value.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: mcp_servers.{name} must be a mapping")
        unknown = set(spec) - {"command", "args", "env", "url", "headers", "transport"}
        if unknown:
            raise ConfigError(f"{where}: unknown setting mcp_servers.{name}.{sorted(unknown)[0]}")
        if bool(spec.get("command")) == bool(spec.get("url")):
            raise ConfigError(
                f"{where}: mcp_servers.{name} needs either `command` (stdio) or `url` (http/sse)"
            )
        transport = spec.get("transport", "stdio" if spec.get("command") else "http")
        if transport not in ("stdio", "http", "sse"):
            raise ConfigError(f"{where}: mcp_servers.{name}.transport must be http or sse")
        args = spec.get("args", [])
        if not isinstance(args, list):
            raise ConfigError(f"{where}: mcp_servers.{name}.args must be a list")
        result[str(name)] = McpServerSettings(
            command=spec.get("command"),
            args=tuple(map(str, args)),
            env=_pairs(spec.get("env"), f"mcp_servers.{name}.env", where),
            url=spec.get("url"),
            headers=_pairs(spec.get("headers"), f"mcp_servers.{name}.headers", where),
            transport=transport,
        )
    return result


def _prices(value: Any, where: str) -> dict[str, tuple[float, float]]:
    if not isinstance(value, dict):
        raise ConfigError(
            f"{where}: prices must map model ids to [input, output] USD per million tokens"
        )
    result = {}
    for model, pair in value.items():
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(p, (int, float)) for p in pair)
        ):
            raise ConfigError(
                f"{where}: prices.{model} must be [input, output] USD per million tokens"
            )
        result[str(model)] = (float(pair[0]), float(pair[1]))
    return result


def _features(value: Any, where: str) -> dict[str, bool]:
    from acp_server.features import FeatureError, check_table

    try:
        return check_table(value, where)
    except FeatureError as error:
        raise ConfigError(str(error)) from None


def _flatten(node: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(dotted key, value node, yaml node) for scalar leaves; mappings under
    providers/mcp_servers/prices stay whole."""
    import yaml

    out = []
    for key_node, value_node in node.value:
        key = f"{prefix}{key_node.value}"
        if isinstance(value_node, yaml.MappingNode) and key not in (
            "providers",
            "mcp_servers",
            "prices",
            "features",
        ):
            out += _flatten(value_node, key + ".")
        else:
            out.append((key, value_node, key_node))
    return out


def _apply_yaml(config: Config, path: str) -> Config:
    import yaml

    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read it: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ConfigError(
            f"{_where(str(path), mark.line + 1 if mark else None)}: invalid YAML: {getattr(error, 'problem', error)}"
        ) from None
    if root is None:
        return config
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{path}:1: the top level must be a mapping of settings")
    for key, value_node, key_node in _flatten(root):
        where = _where(str(path), key_node.start_mark.line + 1)
        value = yaml.safe_load(yaml.serialize(value_node))
        if key == "providers":
            config = msgspec.structs.replace(
                config, providers={**config.providers, **_providers(value, where)}
            )
        elif key == "mcp_servers":
            config = msgspec.structs.replace(config, mcp_servers=_mcp_servers(value, where))
        elif key == "prices":
            config = msgspec.structs.replace(config, prices=_prices(value, where))
        elif key == "features":
            config = msgspec.structs.replace(config, features=_features(value, where))
        else:
            config = _set(config, key, value, where)
    return config


def read_dotenv(path: str | os.PathLike[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as stream:
            lines = stream.read().splitlines()
    except FileNotFoundError:
        return values
    except OSError as error:
        raise ConfigError(f"{path}: cannot read it: {error}") from None
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not key.strip().replace("_", "").isalnum():
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE")
        values[key.strip()] = value.strip().strip("\"'")
    return values


ENV_KEYS = {
    "ACP_SERVER_MODEL": "model",
    "ACP_SERVER_LOG_LEVEL": "logging.level",
    "ACP_SERVER_MODE": "permissions.default_mode",
}


def load_config(
    home: str | os.PathLike[str] | None,
    *,
    flags: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Build the effective configuration. `.env` secrets are merged into the
    returned environment view used for provider keys (see `effective_env`)."""
    env = dict(os.environ if env is None else env)
    config = Config()
    # os.path, not pathlib: this runs for the first session/new, and pathlib
    # brings urllib.parse and ipaddress (~6 ms) with it.
    yaml_file = os.path.join(home, "config.yaml") if home is not None else None
    if yaml_file is not None and os.path.exists(yaml_file):
        config = _apply_yaml(config, yaml_file)
    secrets = read_dotenv(os.path.join(home, ".env")) if home is not None else {}
    merged_env = {**secrets, **env}
    for var, key in ENV_KEYS.items():
        if merged_env.get(var):
            config = _set(config, key, merged_env[var], f"environment variable {var}")
    for key, value in (flags or {}).items():
        if value is not None:
            config = _set(config, key, value, f"command-line flag for {key}")
    providers = dict(config.providers)
    for name, settings in providers.items():
        if (
            settings.api_key is None
            and settings.api_key_env
            and merged_env.get(settings.api_key_env)
        ):
            providers[name] = msgspec.structs.replace(
                settings, api_key=merged_env[settings.api_key_env]
            )
    for var, provider in SECRET_ENV_VARS.items():
        if merged_env.get(var) and not (providers.get(provider) and providers[provider].api_key):
            providers[provider] = msgspec.structs.replace(
                providers.get(provider, ProviderSettings()), api_key=merged_env[var]
            )
    return msgspec.structs.replace(config, providers=_provider_env(providers, secrets))


def config_as_dict(config: Config, *, mask: bool = True) -> dict[str, object]:
    """The configuration as plain data, secrets masked (for `config show`)."""

    def plain(value: object, key: str = "") -> object:
        if isinstance(value, msgspec.Struct):
            return {name: plain(getattr(value, name), name) for name in value.__struct_fields__}
        if isinstance(value, dict) and key == "env":  # a provider's .env values
            return {str(k): ("****" if mask else v) for k, v in value.items()}
        if isinstance(value, dict):
            return {str(k): plain(v, str(k)) for k, v in value.items()}
        if isinstance(value, tuple):
            if key in ("env", "headers"):
                return {k: ("****" if mask else v) for k, v in value}
            return [plain(v) for v in value]
        if key == "api_key" and value:
            return "****" + str(value)[-4:] if mask and len(str(value)) > 8 else "****"
        return value

    data = plain(config)
    assert isinstance(data, dict)  # a Struct becomes a dict
    return data
