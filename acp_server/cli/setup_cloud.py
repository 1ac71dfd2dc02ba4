"""`acp-server setup-provider --provider bedrock|vertex`: Anthropic models
through a cloud. What the route needs is asked for (on a terminal) or taken
from flags, then written where the loader reads it:

- Bedrock: the region and an optional profile in config.yaml
  (`providers.bedrock`); an access key, if the user gives one, in `.env`
  (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). With neither
  profile nor key, the AWS default chain signs (environment, SSO, instance role).
- Vertex: the region and project in config.yaml (`providers.vertex`); a
  service-account key file, if given, as GOOGLE_APPLICATION_CREDENTIALS in
  `.env`. Without one, gcloud's application-default credentials are used.

Secrets go only to `.env` (0600), never to config.yaml or the screen.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acp_server.cli.common import fail, home, say
from agent.providers.facts import BY_NAME

DEFAULT_REGION = {"bedrock": "us-east-1", "vertex": "us-east5"}


@dataclass(frozen=True)
class SetupTools:
    """What the setup command lends this module (it owns the prompts and the
    config writers): passed in, so this module imports nothing of the command's."""

    ask: Callable[[str, Callable[[str], bool], str], str]
    store_secret: Callable[[Path, str, str], None]
    set_config_value: Callable[[Path, str, str], None]


def setup_cloud(
    provider: str, args: argparse.Namespace, interactive: bool, tools: SetupTools
) -> int:
    """Run the setup of `provider` ("bedrock" or "vertex"); the exit status."""
    profile_dir = home()
    try:
        if provider == "bedrock":
            fields, secrets = _bedrock(args, interactive, tools)
        else:
            fields, secrets = _vertex(args, interactive, tools)
    except _Missing as missing:
        return fail(f"{missing} is required when not on a terminal", 2)
    except ValueError as problem:
        return fail(str(problem), 2)
    set_provider_fields(profile_dir / "config.yaml", provider, fields)
    for name, value in secrets.items():
        tools.store_secret(profile_dir, name, value)
    model = args.model or BY_NAME[provider].default_model
    tools.set_config_value(profile_dir / "config.yaml", "model", model)
    shown = ", ".join(f"{k} {v}" for k, v in fields.items())
    stored = (
        f"; stored {', '.join(secrets)} in {profile_dir / '.env'} (mode 0600)" if secrets else ""
    )
    say(f"{provider}: {shown}{stored}; default model {model}.")
    say("Check it with: acp-server doctor (add --online for a live round trip)")
    return 0


class _Missing(Exception):
    """A value that only a terminal could have asked for: the flag to pass."""


def _value(
    given: str | None, flag: str, question: str, interactive: bool, default: str, tools: SetupTools
) -> str:
    """A flag's value, else the answer to `question` on a terminal (where
    `default` is offered; a script must say what it wants)."""
    if given:
        return given
    if not interactive:
        raise _Missing(flag)
    hint = f" [{default}]" if default else ""
    return tools.ask(f"{question}{hint}: ", bool, default)


def _bedrock(
    args: argparse.Namespace, interactive: bool, tools: SetupTools
) -> tuple[dict[str, str], dict[str, str]]:
    region = _value(
        args.region, "--region", "AWS region", interactive, DEFAULT_REGION["bedrock"], tools
    )
    fields = {"region": region}
    if args.aws_profile:
        return {**fields, "profile": args.aws_profile}, {}
    if args.aws_keys:
        return fields, _aws_keys(interactive, tools)
    if not interactive:
        return fields, {}  # the default chain
    say("  1. a named AWS profile (~/.aws/config)")
    say("  2. an access key, stored in .env")
    say("  3. the AWS default chain (environment, SSO, instance role)")
    choice = tools.ask("Credentials: ", lambda a: a in ("1", "2", "3"), "3")
    if choice == "1":
        return {**fields, "profile": tools.ask("Profile name: ", bool, "")}, {}
    if choice == "2":
        return fields, _aws_keys(interactive, tools)
    return fields, {}


def _aws_keys(interactive: bool, tools: SetupTools) -> dict[str, str]:
    if interactive:
        key_id = tools.ask("AWS_ACCESS_KEY_ID: ", bool, "")
        secret = getpass.getpass("AWS_SECRET_ACCESS_KEY: ").strip()
        token = getpass.getpass("AWS_SESSION_TOKEN (blank if none): ").strip()
    else:
        lines = [line.strip() for line in sys.stdin.read().splitlines()] + ["", "", ""]
        key_id, secret, token = lines[:3]
    if not key_id or not secret:
        raise ValueError("an access key needs both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    keys = {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}
    return {**keys, "AWS_SESSION_TOKEN": token} if token else keys


def _vertex(
    args: argparse.Namespace, interactive: bool, tools: SetupTools
) -> tuple[dict[str, str], dict[str, str]]:
    region = _value(
        args.region, "--region", "Vertex region", interactive, DEFAULT_REGION["vertex"], tools
    )
    project = _value(args.project, "--project", "Google Cloud project id", interactive, "", tools)
    path = args.credentials_file
    if path is None and interactive:
        path = tools.ask(
            "Service-account key file (blank: gcloud application-default login): ", _any, ""
        )
    secrets = {"GOOGLE_APPLICATION_CREDENTIALS": _key_file(path)} if path else {}
    return {"region": region, "project": project}, secrets


def _any(answer: str) -> bool:
    return True


def _key_file(path: str) -> str:
    """The absolute path of a readable JSON key file, else ValueError."""
    full = os.path.abspath(os.path.expanduser(path))
    try:
        kind = json.loads(Path(full).read_text(encoding="utf-8")).get("type")
    except (OSError, ValueError, AttributeError) as error:
        raise ValueError(f"{full}: not a readable key file ({error})") from None
    if not kind:
        raise ValueError(f'{full}: not a Google credentials file (no "type")')
    return full


def set_provider_fields(path: Path, name: str, fields: dict[str, str]) -> None:
    """Merge `fields` into providers.NAME of config.yaml, checked like the loader checks it."""
    import yaml

    from acp_server.config.loader import _providers
    from agent.localhost import atomic_write

    data: dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = loaded if isinstance(loaded, dict) else {}
    providers = dict(data.get("providers") or {})
    providers[name] = {**(providers.get(name) or {}), **fields}
    _providers(providers, f"providers.{name}")
    data["providers"] = providers
    atomic_write(str(path), yaml.safe_dump(data, sort_keys=False))
    os.chmod(path, 0o600)


__all__ = ["SetupTools", "set_provider_fields", "setup_cloud"]
