"""`acp-server features`: every feature flag with its state, where that state
comes from, what it switches on the wire, and its description."""

from __future__ import annotations

import argparse
import os

from acp_server.cli.common import say, version_action
from acp_server.features import ENV_VAR, FEATURES, parse_env, scan_config_features
from acp_server.home import HomeError, resolve_home


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acp-server features",
        description="List the experimental protocol features, their states and where "
        f"each state comes from (default, config.yaml features:, or {ENV_VAR}).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"""examples:
  acp-server features
  {ENV_VAR}=NAME=on acp-server features   # see what the variable switches""",
    )
    version_action(parser)
    return parser


def main(argv: list[str]) -> int:
    build_parser().parse_args(argv[1:])
    try:
        table = scan_config_features(resolve_home() / "config.yaml")
    except HomeError:
        table = {}
    from_env = parse_env(os.environ.get(ENV_VAR))
    width = max(map(len, FEATURES))
    for name, feature in FEATURES.items():
        state, source = feature.default, "default"
        if name in table:
            state, source = table[name], "config.yaml"
        if name in from_env:
            state, source = from_env[name], ENV_VAR
        say(f"{name:<{width}}  {'on ' if state else 'off'}  ({source})  {feature.description}")
        say(f"{'':<{width}}       switches: {feature.surface}")
    return 0
