#!/usr/bin/env python3
"""One entry point for a fresh clone: it needs nothing but python3.

    python3 dev.py serve [ACP-SERVER ARGS...]   run the acp-server agent (stdio)
    python3 dev.py test  [PYTEST ARGS...]       run every check: ruff, mypy, import
                                                 contracts, generator check, pytest

Each command creates ./.venv and installs the project into it when missing or
when pyproject.toml changed since the last install.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-from"


def _say(text: str) -> None:
    # stderr, so `serve` keeps stdout for protocol frames.
    print(f"dev.py: {text}", file=sys.stderr, flush=True)


def _wanted_stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> None:
    if not (BIN / "python").exists():
        _say(f"creating {VENV}")
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _wanted_stamp():
        return
    _say("installing acp-server with its development extras (first run only)")
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True, stdout=sys.stderr)
    # compat mode puts the checkout on sys.path with a .pth line: the default
    # import-hook finder costs ~20 ms at every start of acp-server.
    editable = ["-e", f"{ROOT}[dev]", "--config-settings", "editable_mode=compat"]
    subprocess.run([*pip, "install", *editable], check=True, stdout=sys.stderr)
    STAMP.write_text(_wanted_stamp())


def _run(argv: list[str]) -> int:
    return subprocess.run(argv, cwd=ROOT).returncode


def serve(args: list[str]) -> int:
    ensure_environment()
    os.execv(str(BIN / "acp-server"), [str(BIN / "acp-server"), *args])
    return 0  # not reached


def test(args: list[str]) -> int:
    ensure_environment()
    checks = [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "mypy")],  # the packages and strictness are in pyproject.toml
        [str(BIN / "lint-imports")],
        [str(BIN / "python"), "-m", "pytest", *args],
    ]
    failed = []
    for argv in checks:
        _say("running " + " ".join(Path(argv[0]).name if i == 0 else a for i, a in enumerate(argv)))
        if _run(argv) != 0:
            failed.append(Path(argv[0]).name)
    if failed:
        _say("FAILED: " + ", ".join(failed))
        return 1
    _say("all checks passed")
    return 0


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"serve", "test"}:
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    return serve(rest) if command == "serve" else test(rest)


if __name__ == "__main__":
    sys.exit(main())
