"""`acp-server models [set ID]`, `acp-server config show|path|set`, and
`acp-server setup-provider` (the command the ACP terminal-auth method runs)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from acp_server.cli.common import fail, home, say, version_action

PROVIDER_KEYS = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
}
SUGGESTED = {
    "openai": "openai:gpt-4.1",
    "anthropic": "anthropic:claude-sonnet-4-5",
    "openrouter": "openrouter:anthropic/claude-sonnet-4.5",
}


# Local OpenAI-compatible servers: no key, the user names the model they serve.
LOCAL = {
    "ollama": "qwen3",
    "lmstudio": "qwen3",
    "llamacpp": "default",
    "vllm": "default",
}
CUSTOM = "custom"  # any OpenAI-compatible base URL


def main(argv: list[str]) -> int:
    command = argv[0]
    if command == "models":
        return _models(argv[1:])
    if command == "config":
        return _config(argv[1:])
    return _setup_provider(argv[1:])


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


def _models(argv: list[str]) -> int:
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
    args = parser.parse_args(argv)
    from acp_server.config import ConfigError, load_config
    from agent import known_models, model_info

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
    rows = []
    for provider in ("openai", "anthropic", "openrouter"):
        configured = bool(config.providers.get(provider) and config.providers[provider].api_key)
        for name in known_models(provider):
            info = model_info(f"{provider}:{name}", config.prices)
            rows.append(
                {
                    "id": info.id,
                    "context_window": info.context_window,
                    "input_usd_per_mtok": info.input_price_per_mtok,
                    "output_usd_per_mtok": info.output_price_per_mtok,
                    "key_configured": configured,
                    "default": info.id == config.model,
                }
            )
    rows += _live_rows(config, profile)
    if args.json:
        say(json.dumps(rows, indent=2))
        return 0
    from acp_server.cli.common import columns

    cells = [
        [
            str(row["id"]),
            f"{row['context_window']:,}",
            str(row["input_usd_per_mtok"]),
            str(row["output_usd_per_mtok"]),
            "yes" if row["key_configured"] else "no",
            "default" if row["default"] else "",
        ]
        for row in rows
    ]
    say(columns(["model", "context", "$ in/Mtok", "$ out/Mtok", "key set", "default"], cells))
    say(
        "Local servers (ollama:NAME, lmstudio:NAME, llamacpp:NAME, vllm:NAME) need no key. Current default:",
        config.model or "(none)",
    )
    return 0


def _live_rows(config: Any, profile: Path) -> list[dict[str, Any]]:
    """Rows from the providers' live catalogues (fetched now, or from the cache
    when fresh or when the provider is unreachable), each naming its provider
    and whether it answered."""
    import asyncio

    from acp_server.server.catalogues import catalogues, refresh_offered
    from agent import model_info

    asyncio.run(refresh_offered(config, profile))
    rows = []
    for provider, catalogue in sorted(catalogues().items()):
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


def _config(argv: list[str]) -> int:
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
    sub.add_parser("show", help="the effective configuration, secrets masked")
    sub.add_parser("path", help="where the configuration lives")
    setter = sub.add_parser("set", help="set KEY to VALUE in config.yaml")
    setter.add_argument("key", help="a dotted key, e.g. agent.max_turns")
    setter.add_argument("value", help="the value (YAML: 40, true, [a, b])")
    args = parser.parse_args(argv)
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


def store_secret(profile: Path, name: str, value: str) -> None:
    """Add or replace NAME in $ACP_SERVER_HOME/.env (0600, atomic)."""
    from acp_server.config import read_dotenv
    from agent.localhost import atomic_write

    path = profile / ".env"
    values = read_dotenv(path)
    values[name] = value
    atomic_write(str(path), "".join(f"{k}={v}\n" for k, v in values.items()))
    os.chmod(path, 0o600)


def set_provider_url(path: Path, name: str, url: str) -> None:
    """providers.NAME.base_url in config.yaml, checked like the loader checks it."""
    import yaml

    from acp_server.config.loader import _providers

    data: dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = loaded if isinstance(loaded, dict) else {}
    providers = dict(data.get("providers") or {})
    providers[name] = {**(providers.get(name) or {}), "base_url": url}
    _providers(providers, f"providers.{name}")
    data["providers"] = providers
    from agent.localhost import atomic_write

    atomic_write(str(path), yaml.safe_dump(data, sort_keys=False))
    os.chmod(path, 0o600)


def _ask(question: str, valid: Any, default: str = "") -> str:
    """Ask until `valid(answer)`; Ctrl-C / Ctrl-D end the command (one line, by
    the guard in cli/__init__.py)."""
    while True:
        answer = input(question).strip() or default
        if valid(answer):
            return answer
        say("  not a valid answer; try again (Ctrl-C to stop)")


def _choose_provider() -> str:
    choices = [*sorted(PROVIDER_KEYS), *LOCAL, CUSTOM]
    labels = {CUSTOM: "custom (any OpenAI-compatible base URL)"}
    labels.update({name: f"{name} (local, no key)" for name in LOCAL})
    for index, name in enumerate(choices, 1):
        say(f"  {index}. {labels.get(name, name)}")
    answer = _ask("Provider number: ", lambda a: a.isdigit() and 1 <= int(a) <= len(choices))
    return choices[int(answer) - 1]


def _setup_endpoint(provider: str, model: str | None) -> int:
    """A local server or a custom base URL: no key to store."""
    profile = home()
    if provider == CUSTOM:
        name = _ask("Provider name (letters, digits, -): ", lambda a: a.replace("-", "").isalnum())
        url = _ask(
            "Base URL (e.g. http://localhost:8000/v1): ",
            lambda a: a.startswith(("http://", "https://")),
        )
        set_provider_url(profile / "config.yaml", name, url)
        provider, suggested = name, ""
    else:
        suggested = LOCAL[provider]
    if model is None:
        hint = f" [{suggested}]" if suggested else ""
        model = f"{provider}:" + _ask(f"Model name{hint}: ", bool, suggested)
    set_config_value(profile / "config.yaml", "model", model)
    say(f"Default model {model}. Test it with: acp-server doctor --online")
    return 0


def _setup_provider(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="acp-server setup-provider",
        description="Store a provider key (or point at a local server) and make it the default.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  acp-server setup-provider                      # asks: provider, key or model
  acp-server setup-provider --provider ollama --model ollama:qwen3
  echo "$KEY" | acp-server setup-provider --provider openai""",
    )
    parser.add_argument(
        "--provider",
        choices=[*sorted(PROVIDER_KEYS), *LOCAL, CUSTOM],
        help="skip the question (local servers and custom need no key)",
    )
    parser.add_argument(
        "--key-env", help="read the key from this environment variable instead of prompting"
    )
    parser.add_argument("--model", help="default model to set (default: a suggested one)")
    version_action(parser)
    args = parser.parse_args(argv)
    provider = args.provider
    interactive = sys.stdin.isatty()
    if provider is None:
        if not interactive:
            return fail("--provider is required when not on a terminal", 2)
        provider = _choose_provider()
    if provider in LOCAL or provider == CUSTOM:
        if not interactive and (provider == CUSTOM or args.model is None):
            return fail("--model is required when not on a terminal", 2)
        return _setup_endpoint(provider, args.model)
    if args.key_env:
        key = os.environ.get(args.key_env, "")
    elif interactive:
        key = getpass.getpass(f"{PROVIDER_KEYS[provider]}: ").strip()
    else:
        key = sys.stdin.readline().strip()
    if not key:
        return fail("no key given", 2)
    profile = home()
    store_secret(profile, PROVIDER_KEYS[provider], key)
    model = args.model or SUGGESTED[provider]
    set_config_value(profile / "config.yaml", "model", model)
    say(
        f"Stored {PROVIDER_KEYS[provider]} in {profile / '.env'} (mode 0600); default model {model}."
    )
    say("Test it with: acp-server doctor --online")
    return 0
