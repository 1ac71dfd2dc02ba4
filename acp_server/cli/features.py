"""`acp-server features`: every feature flag with its state, where that state
comes from, what it switches on the wire, and its description."""

from __future__ import annotations

import os
import sys

from acp_server.cli.common import say
from acp_server.features import ENV_VAR, FEATURES, parse_env, scan_config_features
from acp_server.home import HomeError, resolve_home


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        sys.stderr.write("usage: acp-server features\n")
        return 2
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
