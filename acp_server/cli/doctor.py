"""`acp-server doctor [--online]`: one screen of checks, each ok / warn / fail
with a fix. It never raises: a broken installation is what it is for."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from acp_server import __version__
from acp_server.cli.common import say, version_action

Check = tuple[str, str, str, str]  # (status, name, detail, fix)


def _safe(name: str, check: Callable[[], list[Check]]) -> list[Check]:
    try:
        return check()
    except Exception as error:  # the doctor reports; it does not crash
        return [
            (
                "fail",
                name,
                f"{type(error).__name__}: {error}",
                "report this with `acp-server doctor` output",
            )
        ]


def check_python() -> list[Check]:
    ok = sys.version_info >= (3, 11)
    versions = []
    for package in ("msgspec", "openai", "anthropic", "mcp", "rich"):
        try:
            from importlib.metadata import version

            found = version(package) if importable(package) else "missing"
            versions.append(f"{package} {found}")
        except Exception:
            versions.append(f"{package} missing")
    status = "ok" if ok else "fail"
    return [
        (
            status,
            "python",
            f"Python {sys.version.split()[0]}, acp-server {__version__}; " + ", ".join(versions),
            "use Python 3.11 or newer",
        )
    ]


# Imported only when first needed (a model call, an MCP server), so a missing
# one would otherwise surface in the middle of a turn: module -> (distribution,
# what needs it).
LAZY_PACKAGES = {
    "openai": ("openai", "OpenAI, OpenRouter and local OpenAI-compatible models"),
    "anthropic": ("anthropic", "Anthropic models"),
    "mcp": ("mcp", "MCP servers"),
}


def importable(module: str) -> bool:
    """Whether `import module` would find it, without importing it (0.2-1 s)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a finder that refuses it, a half-removed package
        return False


def check_packages() -> list[Check]:
    """Each lazily imported package that is missing, with the command that installs it."""
    missing = [(m, *LAZY_PACKAGES[m]) for m in LAZY_PACKAGES if not importable(m)]
    if not missing:
        return [("ok", "packages", ", ".join(LAZY_PACKAGES) + " importable", "")]
    return [
        (
            "warn",
            f"package:{module}",
            f"{module} is not importable; {needed_by} will not work",
            f"{sys.executable} -m pip install {dist}",  # the environment doctor runs in
        )
        for module, dist, needed_by in missing
    ]


def check_home(home: Path) -> list[Check]:
    if not home.exists():
        return [("warn", "home", f"{home} does not exist yet", "it is created on first use")]
    mode = stat.S_IMODE(home.stat().st_mode)
    if mode & 0o077:
        return [
            (
                "warn" if not mode & 0o002 else "fail",
                "home",
                f"{home} has mode {mode:o}",
                f"chmod 700 {home}",
            )
        ]
    return [("ok", "home", f"{home} (mode {mode:o})", "")]


def check_config(home: Path) -> list[Check]:
    from acp_server.config import ConfigError, load_config

    try:
        config = load_config(home)
    except ConfigError as error:
        return [
            ("fail", "config", str(error), "fix the named key, or run `acp-server config show`")
        ]
    checks: list[Check] = [
        (
            "ok",
            "config",
            f"{home / 'config.yaml'} is valid"
            if (home / "config.yaml").exists()
            else "defaults (no config.yaml)",
            "",
        )
    ]
    env = home / ".env"
    if env.exists() and stat.S_IMODE(env.stat().st_mode) & 0o077:
        checks.append(("warn", ".env", f"{env} is readable by others", f"chmod 600 {env}"))
    from agent import ModelNotConfigured, check_model

    try:
        from acp_server.server.app import AgentServer

        check_model(config.model, AgentServer(config, home).engine_config().providers)
        checks.append(("ok", "model", f"{config.model} is usable", ""))
    except ModelNotConfigured as error:
        checks.append(("warn", "model", str(error), error.hint))
    if config.mcp_servers:
        from acp_server.cli.common import progress

        with progress("starting the configured MCP servers..."):
            checks += asyncio.run(check_mcp(config))
    return checks


async def check_mcp(config: object) -> list[Check]:
    """Start each configured MCP server for real and list its tools."""
    from acp_server.server.app import AgentServer
    from agent.mcp import McpHub

    server = AgentServer(config, None)  # type: ignore[arg-type]
    hub = McpHub(connect_timeout=server.config.mcp.connect_timeout)
    try:
        attachment = await hub.attach(server.mcp_specs([], os.getcwd()))
        rows: list[Check] = []
        for status in attachment.status():
            if status.state == "ready":
                rows.append(
                    (
                        "ok",
                        f"mcp:{status.name}",
                        f"{status.transport}: started, {status.tool_count} tool(s)",
                        "",
                    )
                )
            else:
                detail = f"{status.transport}: {status.state} {status.error or ''}".strip()
                rows.append(
                    (
                        "fail",
                        f"mcp:{status.name}",
                        detail,
                        f"fix mcp_servers.{status.name} in config.yaml",
                    )
                )
        return rows
    finally:
        await hub.aclose()


def check_cloud_routes(home: Path) -> list[Check]:
    """Bedrock and Vertex, when used: SDK extra, region/project, credentials."""
    from acp_server.cli.doctor_providers import check_providers

    return check_providers(home)


def check_ripgrep() -> list[Check]:
    path = shutil.which("rg")
    return (
        [("ok", "ripgrep", path, "")]
        if path
        else [
            (
                "warn",
                "ripgrep",
                "not on PATH; grep falls back to pure Python",
                "install ripgrep for fast search",
            )
        ]
    )


def check_database(home: Path) -> list[Check]:
    """The session store, read only (doctor changes nothing): the database's
    integrity, and any damaged database or journal set aside earlier."""
    import sqlite3

    from acp_server.store.damage import RECOVERY_HINT, damaged_files, is_corruption

    path = home / "sessions.db"
    checks: list[Check] = []
    if not path.exists():
        checks.append(("ok", "database", "no sessions yet", ""))
    else:
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                result = str(db.execute("PRAGMA integrity_check").fetchone()[0])
        except sqlite3.DatabaseError as error:
            if not is_corruption(error):
                raise
            result = str(error)
        checks.append(
            (
                "ok" if result == "ok" else "fail",
                "database",
                f"{path}: integrity {result}",
                ""
                if result == "ok"
                else "the next `acp-server` start moves it aside and starts a new one; "
                + RECOVERY_HINT.replace("FILE", str(path)),
            )
        )
    kept = damaged_files(path)
    if kept:
        names = ", ".join(str(p) for p in kept)
        checks.append(
            (
                "warn",
                "database",
                f"damaged store files were set aside (the agent started fresh): {names}",
                f"{RECOVERY_HINT.replace('FILE', str(kept[-1]))}; a damaged journal's "
                "intact records are already in the database. Delete the files once done",
            )
        )
    return checks


def check_editors() -> list[Check]:
    from acp_server.cli.editors import EDITOR_FILES

    checks: list[Check] = []
    for editor, path in EDITOR_FILES.items():
        file = Path(os.path.expanduser(path))
        if not file.exists():
            continue
        text = file.read_text(encoding="utf-8", errors="replace")
        if "acp-server" not in text:
            checks.append(
                (
                    "warn",
                    f"editor:{editor}",
                    f"{file} has no acp-server entry",
                    f"acp-server setup {editor} --write",
                )
            )
            continue
        commands = [w.strip("\"',") for w in text.split() if w.strip("\"',").endswith("acp-server")]
        missing = [c for c in commands if os.path.isabs(c) and not os.path.exists(c)]
        checks.append(
            (
                "fail",
                f"editor:{editor}",
                f"{file} points at missing {missing[0]}",
                f"acp-server setup {editor} --write",
            )
            if missing
            else ("ok", f"editor:{editor}", str(file), "")
        )
    return checks


async def _online(home: Path) -> list[Check]:
    from acp_server.config import load_config
    from acp_server.server.app import AgentServer
    from agent import ModelNotConfigured, TurnFailedError, ask

    config = load_config(home)
    if not config.model:
        return [("warn", "online", "no model configured", "acp-server models set ID")]
    try:
        answer = await asyncio.wait_for(
            ask(
                "Reply with the single word: ok",
                model=config.model,
                config=AgentServer(config, home).engine_config(),
            ),
            60,
        )
    except TurnFailedError as failed:  # the round trip failed: that is a fail, never "ok"
        failure = failed.failure
        return [("fail", "online", failure.message, failure.fix or "check the key and base URL")]
    except ModelNotConfigured as error:
        return [("fail", "online", f"{config.model}: {error}", error.hint)]
    except Exception as error:
        return [
            (
                "fail",
                "online",
                f"{config.model}: {type(error).__name__}: {error}",
                "check the key and base URL",
            )
        ]
    return [("ok", "online", f"{config.model} answered {answer.strip()[:40]!r}", "")]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acp-server doctor",
        description="Check the installation.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  acp-server doctor
  acp-server doctor --online        # also one real request to the default model
  acp-server doctor --json | jq '.[] | select(.status != "ok")'""",
    )
    parser.add_argument(
        "--online", action="store_true", help="also make a live round trip to the model"
    )
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    version_action(parser)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv[1:])
    from acp_server.home import HomeError, resolve_home

    try:
        home = resolve_home()
    except HomeError as error:
        say(f"fail  home  {error}")
        return 1
    checks: list[Check] = []
    checks += _safe("python", check_python)
    checks += _safe("packages", check_packages)
    checks += _safe("home", lambda: check_home(home))
    checks += _safe("config", lambda: check_config(home))
    checks += _safe("providers", lambda: check_cloud_routes(home))
    checks += _safe("ripgrep", check_ripgrep)
    checks += _safe("database", lambda: check_database(home))
    from acp_server.cli.rewind import check_checkpoints

    checks += _safe("checkpoints", lambda: check_checkpoints(home))
    checks += _safe("editors", check_editors)
    if args.online:
        from acp_server.cli.common import progress

        with progress("asking the model for a live round trip..."):
            checks += asyncio.run(_online(home))
    if args.json:
        say(
            json.dumps(
                [dict(zip(("status", "check", "detail", "fix"), c, strict=True)) for c in checks],
                indent=2,
            )
        )
    else:
        colours = {"ok": "green", "warn": "yellow", "fail": "red"}
        from acp_server.cli.common import console

        out = console()
        for status, name, detail, fix in checks:
            out.print(f"[{colours[status]}]{status:4}[/] {name:14} {detail}", highlight=False)
            if fix and status != "ok":
                out.print(f"     {'':14} fix: {fix}", style="dim", highlight=False)
    return 1 if any(c[0] == "fail" for c in checks) else 0
