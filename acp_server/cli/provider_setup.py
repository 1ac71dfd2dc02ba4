"""`acp-server setup-provider` (also the command the ACP terminal-auth method
runs): store a provider key, or point at a local or custom OpenAI-compatible
server, make it the default model, and test it with one model listing
(keycheck.py). Every prompt re-asks on a wrong answer; Ctrl-C and Ctrl-D end
the command with one line (the guard in cli/__init__.py)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from acp_server.cli.common import fail, home, say, version_action
from acp_server.cli.settings import set_config_value
from agent.providers.facts import CLOUD_KINDS, PROVIDERS, key_providers

# All read from the provider table (agent.providers.facts).
PROVIDER_KEYS = {p.name: p.key_env or "" for p in key_providers()}
SUGGESTED = {p.name: p.default_model for p in PROVIDERS}
# Local OpenAI-compatible servers: no key, the user names the model they serve.
LOCAL = {p.name: p.default_model.partition(":")[2] for p in PROVIDERS if p.local}
# Anthropic models through a cloud: region and credentials, no single key.
CLOUD = [p.name for p in PROVIDERS if p.kind in CLOUD_KINDS]
CUSTOM = "custom"  # any OpenAI-compatible base URL


def main(argv: list[str]) -> int:
    return _setup_provider(argv[1:])


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


def _cloud_arguments(parser: argparse.ArgumentParser) -> None:
    cloud = parser.add_argument_group("bedrock and vertex")
    cloud.add_argument("--region", help="the cloud region (AWS region, or Vertex location)")
    cloud.add_argument("--aws-profile", help="bedrock: a named AWS profile to sign with")
    cloud.add_argument(
        "--aws-keys",
        action="store_true",
        help="bedrock: store an access key (asked for, or read from stdin: id, secret, token)",
    )
    cloud.add_argument("--project", help="vertex: the Google Cloud project id")
    cloud.add_argument(
        "--credentials-file", help="vertex: a service-account key file (default: gcloud ADC)"
    )


def _ask(question: str, valid: Any, default: str = "") -> str:
    """Ask until `valid(answer)`; Ctrl-C / Ctrl-D end the command (one line, by
    the guard in cli/__init__.py)."""
    while True:
        answer = input(question).strip() or default
        if valid(answer):
            return answer
        say("  not a valid answer; try again (Ctrl-C to stop)")


def _choose_provider() -> str:
    choices = [*sorted(PROVIDER_KEYS), *CLOUD, *LOCAL, CUSTOM]
    labels = {CUSTOM: "custom (any OpenAI-compatible base URL)"}
    labels.update({name: f"{name} (local, no key)" for name in LOCAL})
    labels.update({p.name: f"{p.name} ({p.display_name})" for p in PROVIDERS if p.name in CLOUD})
    for index, name in enumerate(choices, 1):
        say(f"  {index}. {labels.get(name, name)}")
    answer = _ask("Provider number: ", lambda a: a.isdigit() and 1 <= int(a) <= len(choices))
    return choices[int(answer) - 1]


def _setup_endpoint(provider: str, model: str | None, *, check: bool) -> int:
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
    if check:  # a server that is not started yet is fine: say so, keep the setting
        _server_answers(profile, model.partition(":")[0])
    say(f"Default model {model}. Test it with: acp-server doctor --online")
    return 0


def _configured_base(profile: Path, provider: str) -> str | None:
    from acp_server.config import ConfigError, load_config

    try:
        configured = load_config(profile).providers.get(provider)
    except ConfigError:
        return None
    return configured.base_url if configured else None


def _key_works(profile: Path, provider: str, key: str) -> bool:
    """Say whether one model listing with `key` worked; False only when the
    key was refused (an unreachable server proves nothing either way)."""
    from acp_server.cli.common import progress
    from acp_server.cli.keycheck import base_url, probe

    base = base_url(provider, _configured_base(profile, provider))
    with progress(f"testing the key against {base} ..."):
        result = probe(provider, base, key)
    if result.outcome == "works":
        say(f"The key works: {result.detail}.")
    elif result.outcome == "refused":
        say(f"The key was refused: {result.detail}.")
    else:
        say(f"Could not test the key ({result.detail}); storing it anyway.")
    return result.outcome != "refused"


def _server_answers(profile: Path, provider: str) -> None:
    from acp_server.cli.common import progress
    from acp_server.cli.keycheck import base_url, probe

    base = base_url(provider, _configured_base(profile, provider))
    with progress(f"asking {base} for its models ..."):
        result = probe(provider, base, None)
    if result.outcome == "works":
        say(f"The server answers: {result.detail}.")
    else:
        say(f"The server did not answer ({result.detail}); is it running?")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acp-server setup-provider",
        description="Store a provider key (or point at a local server) and make it the default.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  acp-server setup-provider                      # asks: provider, key or model
  acp-server setup-provider --provider ollama --model ollama:qwen3
  echo "$KEY" | acp-server setup-provider --provider openai
  acp-server setup-provider --provider bedrock --region us-east-1 --aws-profile work
  acp-server setup-provider --provider vertex --region us-east5 --project my-project""",
    )
    parser.add_argument(
        "--provider",
        choices=[*sorted(PROVIDER_KEYS), *CLOUD, *LOCAL, CUSTOM],
        help="skip the question (local servers and custom need no key)",
    )
    _cloud_arguments(parser)
    parser.add_argument(
        "--key-env", help="read the key from this environment variable instead of prompting"
    )
    parser.add_argument("--model", help="default model to set (default: a suggested one)")
    parser.add_argument(
        "--no-check",
        action="store_true",
        help="do not test the key or server with a model listing request",
    )
    version_action(parser)
    return parser


def _setup_provider(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    provider = args.provider
    interactive = sys.stdin.isatty()
    if provider is None:
        if not interactive:
            return fail("--provider is required when not on a terminal", 2)
        provider = _choose_provider()
    if provider in CLOUD:
        from acp_server.cli.setup_cloud import SetupTools, setup_cloud

        tools = SetupTools(_ask, store_secret, set_config_value)
        return setup_cloud(provider, args, interactive, tools)
    if provider in LOCAL or provider == CUSTOM:
        if not interactive and (provider == CUSTOM or args.model is None):
            return fail("--model is required when not on a terminal", 2)
        return _setup_endpoint(provider, args.model, check=not args.no_check)
    if args.key_env:
        key = os.environ.get(args.key_env, "")
    elif interactive:
        key = getpass.getpass(f"{PROVIDER_KEYS[provider]}: ").strip()
    else:
        key = sys.stdin.readline().strip()
    if not key:
        return fail("no key given", 2)
    profile = home()
    if not args.no_check and not _key_works(profile, provider, key):
        return fail("nothing stored; run `acp-server setup-provider` again with a valid key", 1)
    store_secret(profile, PROVIDER_KEYS[provider], key)
    model = args.model or SUGGESTED[provider]
    set_config_value(profile / "config.yaml", "model", model)
    say(
        f"Stored {PROVIDER_KEYS[provider]} in {profile / '.env'} (mode 0600); default model {model}."
    )
    say("Test it with: acp-server doctor --online")
    return 0
