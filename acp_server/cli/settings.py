"""`acp-server models [set ID]` and `acp-server config show|path|set`.
`setup-provider` is in provider_setup.py."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from acp_server.cli.common import fail, home, say, version_action
from agent.providers.facts import PROVIDERS


def main(argv: list[str]) -> int:
    command = argv[0]
    if command == "models":
        return _models(argv[1:])
    return _config(argv[1:])


# ------------------------------------------------------------------ config.yaml editing


def set_config_value(path: Path, key: str, value: str) -> None:
    """Validate KEY=VALUE against the schema, then write config.yaml atomically."""
    import yaml

    from acp_server.config.loader import _set  # validation shared with loading
    from acp_server.config.schema import Config

    parsed: Any = yaml.safe_load(value) if value.strip() else None
    _set(Config(), key, parsed, f"value for {key}")
    data: dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = loaded if isinstance(loaded, dict) else {}
    node = data
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = parsed
    from agent.localhost import atomic_write

    atomic_write(str(path), yaml.safe_dump(data, sort_keys=False))
    os.chmod(path, 0o600)


def models_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acp-server models",
        description="Model catalog for configured providers, and the default model.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  acp-server models                      # the catalog (same as `models list`)
  acp-server models --json | jq -r '.[].id'
  acp-server models set anthropic:claude-sonnet-4-5""",
    )
    parser.add_argument(
        "action", nargs="?", choices=["list", "set"], help="list (default) or set the default"
    )
    parser.add_argument("model", nargs="?", help="with set: PROVIDER:MODEL, or scripted")
    parser.add_argument("--json", action="store_true", help="print the catalog as JSON")
    version_action(parser)
    return parser


def _models(argv: list[str]) -> int:
    args = models_parser().parse_args(argv)
    from acp_server.config import ConfigError, load_config

    profile = home()
    if args.action == "set":
        if not args.model:
            return fail("usage: acp-server models set PROVIDER:MODEL", 2)
        from acp_server.config.checks import check_model_id

        if problem := check_model_id(args.model):
            return fail(problem, 2)
        from agent.providers import ProviderSdkMissing, check_sdk

        try:  # found now, not as an import error in the first turn
            check_sdk(args.model, load_config(profile).providers)
        except ProviderSdkMissing as error:
            return fail(f"{error}; {error.hint}", 2)
        except ConfigError:
            pass  # the write below names what is wrong with the file
        try:
            set_config_value(profile / "config.yaml", "model", args.model)
        except ConfigError as error:
            return fail(str(error), 2)
        say(f"default model set to {args.model}")
        return 0
    try:
        config = load_config(profile)
    except ConfigError as error:
        return fail(str(error), 2)
    offered = _refresh_catalogues(config, profile)
    rows = _static_rows(config, offered) + _live_rows(config, offered)
    if args.json:
        say(json.dumps(rows, indent=2))
        return 0
    _print_models(rows, config.model)
    return 0


def _print_models(rows: list[dict[str, Any]], default: str | None) -> None:
    from acp_server.cli.common import columns

    reach = {True: "yes", False: "no", None: "-"}
    cells = [
        [
            row["id"],
            row["provider"],
            f"{row['context_window']:,}",
            str(row["input_usd_per_mtok"]),
            str(row["output_usd_per_mtok"]),
            "yes" if row["key_configured"] else "no",
            reach[row["reachable"]] + (" (cached)" if row["from_cache"] else ""),
            "default" if row["default"] else "",
        ]
        for row in rows
    ]
    head = ["model", "provider", "context", "$ in/Mtok", "$ out/Mtok", "key set", "reachable"]
    say(columns([*head, "default"], cells))
    say(
        "reachable: whether the provider's model listing answered just now (-: not asked: "
        "it has no listing, or is not set up; `acp-server doctor --online` tries a real call)."
    )
    say(
        "Local servers (ollama:NAME, lmstudio:NAME, llamacpp:NAME, vllm:NAME) need no key. Current default:",
        default or "(none)",
    )


def _refresh_catalogues(config: Any, profile: Path) -> dict[str, Any]:
    """The providers' live catalogues, fetched now (or from the cache when
    fresh, or when the provider is unreachable), by provider."""
    import asyncio

    from acp_server.server.catalogues import catalogues, refresh_offered

    asyncio.run(refresh_offered(config, profile))
    return catalogues()


def _usable(provider: str, config: Any) -> bool:
    """Would a model of `provider` resolve (key, region, SDK present)?"""
    from acp_server.config import provider_configs
    from agent.providers import ModelNotConfigured, resolve

    try:
        resolve(f"{provider}:probe", provider_configs(config))
    except ModelNotConfigured:
        return False
    return True


def _static_rows(config: Any, offered: dict[str, Any]) -> list[dict[str, Any]]:
    """The built-in table's models of every keyed or cloud provider, each
    with its provider, whether it is set up, and what its listing said."""
    from agent import known_models, model_info

    rows = []
    for facts in PROVIDERS:
        names = known_models(facts.name)
        catalogue = offered.get(facts.name)
        usable = _usable(facts.name, config) if names else False
        for name in names:
            info = model_info(f"{facts.name}:{name}", config.prices)
            rows.append(
                {
                    "id": info.id,
                    "context_window": info.context_window,
                    "input_usd_per_mtok": info.input_price_per_mtok,
                    "output_usd_per_mtok": info.output_price_per_mtok,
                    "key_configured": usable,
                    "default": info.id == config.model,
                    "provider": facts.name,
                    "reachable": catalogue.reachable if catalogue is not None else None,
                    "from_cache": bool(catalogue is not None and catalogue.stale),
                }
            )
    return rows


def _live_rows(config: Any, offered: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows from the providers' live catalogues, each naming its provider and
    whether it answered."""
    from agent import model_info

    rows = []
    for provider, catalogue in sorted(offered.items()):
        if catalogue.stale:
            print(
                f"{provider}: unreachable ({catalogue.error}); "
                + ("listing its cached models" if catalogue.entries else "no cached models"),
                file=sys.stderr,
            )
        for entry in catalogue.entries:
            info = model_info(entry.id, config.prices)
            rows.append(
                {
                    "id": entry.id,
                    "context_window": info.context_window,
                    "input_usd_per_mtok": info.input_price_per_mtok,
                    "output_usd_per_mtok": info.output_price_per_mtok,
                    "key_configured": True,
                    "default": entry.id == config.model,
                    "provider": provider,
                    "reachable": catalogue.reachable,
                    "from_cache": catalogue.stale,
                }
            )
    return rows


def config_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acp-server config",
        description="Show or change the configuration.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  acp-server config show
  acp-server config set agent.max_turns 40
  acp-server config set permissions.default_mode accept-edits""",
    )
    version_action(parser)
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser(
        "show",
        help="the effective configuration, secrets masked",
        epilog="example: acp-server config show | grep -A3 permissions",
    )
    sub.add_parser(
        "path",
        help="where the configuration lives",
        epilog='example: "$EDITOR" "$(acp-server config path)"',
    )
    setter = sub.add_parser(
        "set",
        help="set KEY to VALUE in config.yaml",
        epilog="example: acp-server config set agent.max_turns 40",
    )
    setter.add_argument("key", help="a dotted key, e.g. agent.max_turns")
    setter.add_argument("value", help="the value (YAML: 40, true, [a, b])")
    return parser


def _config(argv: list[str]) -> int:
    args = config_parser().parse_args(argv)
    from acp_server.config import ConfigError, config_as_dict, load_config

    profile = home()
    if args.action == "path":
        say(profile / "config.yaml")
        return 0
    try:
        if args.action == "set":
            set_config_value(profile / "config.yaml", args.key, args.value)
            say(f"{args.key} = {args.value}")
            return 0
        import yaml

        say(yaml.safe_dump(config_as_dict(load_config(profile)), sort_keys=False), end="")
    except ConfigError as error:
        return fail(str(error), 2)
    return 0
