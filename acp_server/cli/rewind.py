"""`acp-server sessions checkpoints ID` and `acp-server sessions rewind ID N`.

`checkpoints` lists a session's turns: number, time, the prompt's first line,
the files each changed, and whether commands or MCP tools ran (their effects
are not captured). `rewind` puts every file changed in turns >= N back as it
was before turn N and cuts the conversation back to before it, with the
safety rules of `/rewind`: it shows what it will do and asks on a terminal
(scripts pass `--yes`), and a file changed since the agent wrote it is shown
as a diff and overwritten only when the user says so (`--conflicts restore`);
`--yes` alone keeps such files as they are. The session's turn is claimed
for the rewind, so it never races a turn running in another process.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acp_server.cli.common import console, fail, say
from agent.fileio import printable

if TYPE_CHECKING:
    from acp_server.checkpoints.rewind import TurnSummary
    from acp_server.store import SessionStore


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register both subcommands on `acp-server sessions`' subparsers."""
    listing = sub.add_parser(
        "checkpoints",
        help="list a session's turns and the files each changed",
        epilog="example: acp-server sessions checkpoints sess_1bc1",
    )
    listing.add_argument("id", help="session id or a unique prefix")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    rewind = sub.add_parser(
        "rewind",
        help="restore files and the conversation to before turn N of a session",
        epilog="examples:\n  acp-server sessions rewind sess_1bc1 3\n"
        "  acp-server sessions rewind sess_1bc1 3 --yes --conflicts skip",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rewind.add_argument("id", help="session id or a unique prefix")
    rewind.add_argument("turn", type=int, help="the turn to undo, with every turn after it")
    rewind.add_argument("--yes", action="store_true", help="rewind without asking (scripts)")
    rewind.add_argument(
        "--conflicts",
        choices=["ask", "skip", "restore"],
        default="ask",
        help="files changed since the agent wrote them: ask (on a terminal), keep them "
        "(skip), or overwrite them (restore); --yes without this keeps them",
    )


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def checkpoints(store: SessionStore, args: argparse.Namespace) -> int:
    from acp_server.checkpoints import listing
    from acp_server.checkpoints.live import wire_listing

    if args.json:  # the same rows as `_acp_server/checkpoints`
        say(json.dumps(wire_listing(store, args.id), indent=2, ensure_ascii=False))
        return 0
    turns = listing(store, args.id)
    if not turns:
        say(f"No checkpoints in {args.id}.")
        return 0
    for t in turns:
        say(f"turn {t.turn}  {_when(t.started_at)}  {t.prompt[:60]}")
        say(f"  {len(t.files)} file(s) changed" + "".join(f"\n    {printable(p)}" for p in t.files))
        for note in notes(t):
            say(f"  {note}")
    return 0


def notes(turn: TurnSummary) -> list[str]:
    """What a listing must say about a turn beyond its files."""
    out = []
    if turn.commands:
        out.append("commands ran: their effects are not captured and are not undone")
    if turn.mcp:
        out.append("MCP tools ran: their effects are not captured and are not undone")
    if turn.dropped:
        out.append("file checkpoints dropped for the size caps: cannot rewind to here")
    return out


def rewind(store: SessionStore, args: argparse.Namespace) -> int:
    from acp_server.checkpoints import RewindError, prepare
    from acp_server.server.turn import claim_turn_blocking
    from acp_server.store import SessionBusy

    try:
        claim_turn_blocking(store, args.id)  # a turn that has just answered may still close out
    except SessionBusy as error:
        return fail(str(error), 1)
    try:
        prepared = prepare(store, args.id, args.turn)
        return _carry_out(store, args, prepared)
    except RewindError as error:
        return fail(str(error), 2)
    finally:
        store.end_turn(args.id)


def _carry_out(store: Any, args: argparse.Namespace, prepared: Any) -> int:
    from acp_server.checkpoints import finish

    work, conflicts = prepared.plan.work, prepared.plan.conflicts
    say(f"rewind {args.id} to before turn {args.turn}:")
    for item in work:
        verb = "delete " if item.action == "delete" else "restore"
        say(
            f"  {verb} {printable(item.path)}"
            + ("  (changed since the agent wrote it)" if item.conflict else "")
        )
    if not work:
        say("  no file to change; the conversation is cut back")
    choice = _conflict_choice(store, args, conflicts) if conflicts else "restore"
    if choice == "cancel":
        return fail("nothing changed", 1)
    if not args.yes and not conflicts and not _confirm("rewind? [y/N] "):
        return fail("nothing changed (pass --yes to rewind without asking)", 1)
    skip = {c.path for c in conflicts} if choice == "skip" else set()
    record = store.get(args.id)
    result, _ = asyncio.run(finish(store, args.id, prepared, messages=record.messages, skip=skip))
    for path, why in result.failed:
        fail(f"could not restore {printable(path)}: {why}")
    if result.failed:
        return fail("the conversation was not cut back; run the rewind again", 1)
    say(
        f"restored {len(result.restored)} file(s), kept {len(result.skipped)}; conversation cut back"
    )
    return 0


def _conflict_choice(store: Any, args: argparse.Namespace, conflicts: list[Any]) -> str:
    """restore, skip or cancel: from --conflicts, else asked on a terminal."""
    from acp_server.checkpoints import render_diff

    out = console()
    for item in conflicts:
        target = store.checkpoints.blobs.get(item.target_blob) if item.target_blob else None
        out.print(render_diff(item.path, item.current.data, target), markup=False, end="")
    if args.conflicts != "ask":
        return str(args.conflicts)
    if args.yes:
        return "skip"
    if not sys.stdin.isatty():
        fail(
            f"{len(conflicts)} file(s) changed since the agent wrote them; pass --conflicts "
            "skip (keep them) or --conflicts restore (overwrite them)"
        )
        return "cancel"
    answer = _ask(
        f"{len(conflicts)} file(s) changed since the agent wrote them: "
        "[r]estore anyway, [s]kip those files, [c]ancel? "
    )
    return {"r": "restore", "s": "skip"}.get(answer[:1], "cancel")


def _ask(question: str) -> str:
    try:
        return input(question).strip().lower()
    except EOFError:
        return ""


def _confirm(question: str) -> bool:
    return sys.stdin.isatty() and _ask(question) in ("y", "yes")


def check_checkpoints(home: Path) -> list[tuple[str, str, str, str]]:
    """The doctor's row: how much the checkpoint contents hold, against the cap."""
    from acp_server.store.blobs import BlobStore

    count, size = BlobStore(home / "checkpoints").size()
    try:
        from acp_server.config import load_config

        cap = load_config(home).checkpoints.max_total_bytes
    except Exception:  # a bad config is the config check's row, not this one's
        from acp_server.checkpoints.caps import MAX_TOTAL_BYTES as cap
    detail = f"{count} stored content(s), {size / 1e6:.1f} MB of {cap / 1e6:.0f} MB allowed"
    return [("ok", "checkpoints", detail, "")]


ACTIONS = {"checkpoints": checkpoints, "rewind": rewind}

__all__ = ["ACTIONS", "add_parsers", "check_checkpoints", "checkpoints", "notes", "rewind"]
