"""Every console script's help: each option and subcommand has a one-line
description, and every command's help shows at least one example. The
argparse tree of each script is walked in process; the console scripts are
then asked for `--help` to check the tree is what they print."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from acp_server.cli import SUBCOMMANDS
from acp_server.cli.help_tree import command_parsers
from editor_clients.conformance.cli import _parser as conformance_parser
from editor_clients.terminal.cli import build_parser as client_parser

BIN = Path(sys.executable).parent


def _trees() -> dict[str, argparse.ArgumentParser]:
    trees = {f"acp-server {name}": parser for name, parser in command_parsers().items()}
    trees["acp-client"] = client_parser()
    trees["acp-conformance"] = conformance_parser()
    return trees


def _walk(
    path: str, parser: argparse.ArgumentParser
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _walk(f"{path} {name}", child)


def _undescribed(parser: argparse.ArgumentParser) -> list[str]:
    """Options, arguments and subcommands without a one-line description."""
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            described = {c.dest for c in action._choices_actions if _one_line(c.help)}
            missing += [name for name in action.choices if name not in described]
        elif not _one_line(action.help):
            missing.append("/".join(action.option_strings) or action.dest)
    return missing


def _one_line(text: str | None) -> bool:
    return bool(text) and text != argparse.SUPPRESS and "\n" not in str(text)


COMMANDS = [path for root, tree in _trees().items() for path, _ in _walk(root, tree)]


@pytest.mark.parametrize("path", COMMANDS)
def test_every_option_and_subcommand_has_a_one_line_description(path: str) -> None:
    parser = dict(cmd for root, tree in _trees().items() for cmd in _walk(root, tree))[path]
    assert _undescribed(parser) == []


@pytest.mark.parametrize("path", COMMANDS)
def test_every_command_help_shows_an_example(path: str) -> None:
    parser = dict(cmd for root, tree in _trees().items() for cmd in _walk(root, tree))[path]
    assert "example" in parser.format_help()


def test_the_walked_tree_names_every_command_acp_server_dispatches() -> None:
    assert set(command_parsers()) == set(SUBCOMMANDS) - {"help"}


SCRIPTS = [
    ["acp-server"],
    *(["acp-server", name] for name in sorted(set(SUBCOMMANDS) - {"help"})),
    ["acp-client"],
    *(["acp-client", name] for name in ("exec", "chat", "trace")),
    ["acp-conformance"],
]


@pytest.mark.parametrize("argv", SCRIPTS, ids=" ".join)
def test_each_console_script_prints_its_help_with_examples_on_stdout(argv: list[str]) -> None:
    done = subprocess.run(
        [str(BIN / argv[0]), *argv[1:], "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and "examples:" in done.stdout, done.stderr
