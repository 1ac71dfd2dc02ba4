"""Every `acp-server` subcommand's argparse parser, by the name it is typed
as. The help test walks these (each option has a description, each command
an example); `SUBCOMMANDS` in cli/__init__.py is what dispatches, and the
test checks that both name the same commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def command_parsers() -> dict[str, argparse.ArgumentParser]:
    from acp_server.cli import doctor, editors, features, provider_setup, run, sessions, settings

    builders: dict[str, Callable[[], argparse.ArgumentParser]] = {
        "run": run._parser,
        "doctor": doctor.build_parser,
        "sessions": sessions._parser,
        "models": settings.models_parser,
        "config": settings.config_parser,
        "setup-provider": provider_setup.build_parser,
        "setup": editors.build_parser,
        "features": features.build_parser,
    }
    return {name: build() for name, build in builders.items()}


__all__ = ["command_parsers"]
