"""`acp-server sessions list|show|export|delete|prune`.

Every command that takes an id also takes a unique prefix of one, as git
does (`resolve_id`). `list` shows a page (`--limit`) and never shortens an
id: other columns give way first. `prune` shows what it would delete and asks
on a terminal; scripts pass `--yes`, and `--dry-run` only shows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from acp_server.cli import rewind
from acp_server.cli.common import console, fail, open_store, progress, say, version_action

if TYPE_CHECKING:
    from acp_server.store import SessionStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acp-server sessions",
        description="Inspect and manage stored sessions.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  acp-server sessions list --limit 5
  acp-server sessions show sess_1bc1          # a unique prefix is enough
  acp-server sessions export sess_1bc1 --format md --out chat.md
  acp-server sessions prune --older-than 30 --dry-run""",
    )
    version_action(parser)
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser(
        "list",
        help="list sessions, newest first",
        epilog="example: acp-server sessions list --cwd . --since 2026-01-31 --limit 5",
    )
    listing.add_argument("--cwd", help="only sessions for this directory")
    listing.add_argument("--since", help="only sessions updated on or after this date (YYYY-MM-DD)")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.add_argument(
        "--limit", type=_positive(int), default=20, help="how many, newest first (default 20)"
    )
    show = sub.add_parser(
        "show",
        help="print a session's transcript (times, tool output, failures) and cost",
        epilog="example: acp-server sessions show sess_1bc1 | less -R",
    )
    show.add_argument("id", help="session id or a unique prefix")
    export = sub.add_parser(
        "export",
        help="write a session as Markdown or JSON",
        epilog="example: acp-server sessions export sess_1bc1 --format json --out chat.json",
    )
    export.add_argument("id", help="session id or a unique prefix")
    export.add_argument("--format", choices=["md", "json"], default="md", help="output format")
    export.add_argument("--out", help="file to write (default: stdout)")
    delete = sub.add_parser(
        "delete", help="delete a session", epilog="example: acp-server sessions delete sess_1bc1"
    )
    delete.add_argument("id", help="session id or a unique prefix")
    prune = sub.add_parser(
        "prune",
        help="delete sessions not updated for N days",
        epilog="example: acp-server sessions prune --older-than 30 --dry-run",
    )
    prune.add_argument(
        "--older-than",
        type=_positive(float),
        required=True,
        metavar="DAYS",
        help="age in days (> 0)",
    )
    prune.add_argument("--dry-run", action="store_true", help="only show what would be deleted")
    prune.add_argument("--yes", action="store_true", help="delete without asking (scripts)")
    rewind.add_parsers(sub)
    return parser


def _positive(kind: Any) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
        return value

    return parse


def resolve_id(store: SessionStore, text: str) -> str:
    """The full id that `text` is or begins; LookupError when none or several."""
    if store.get(text) is not None:
        return text
    matches: list[str] = []
    cursor: int | None = 0
    while cursor is not None:
        records, cursor = store.list(cursor=cursor, limit=500)
        matches += [r.id for r in records if r.id.startswith(text)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise LookupError(f"no session {text}")
    shown = ", ".join(matches[:5]) + (" ..." if len(matches) > 5 else "")
    raise LookupError(f"{text} is ambiguous: it begins {len(matches)} sessions ({shown})")


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv[1:])
    store = open_store()
    try:
        if getattr(args, "id", None):
            try:
                args.id = resolve_id(store, args.id)
            except LookupError as error:
                return fail(str(error), 2)
        return int(ACTIONS[args.action](store, args))
    finally:
        store.close()


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _list(store: Any, args: argparse.Namespace) -> int:
    since = None
    if args.since:
        try:
            since = dt.datetime.strptime(args.since, "%Y-%m-%d").timestamp()
        except ValueError:
            return fail(f"--since must be YYYY-MM-DD, got {args.since!r}", 2)
    cwd = os.path.normpath(os.path.abspath(args.cwd)) if args.cwd else None
    records, more = store.list(cwd=cwd, since=since, limit=args.limit)
    if args.json:
        rows = [
            {
                "id": r.id,
                "cwd": r.cwd,
                "title": r.title,
                "updated_at": r.updated_at,
                "model": r.model,
                "cost_usd": r.cost_usd,
            }
            for r in records
        ]
        say(json.dumps(rows, indent=2))
        return 0
    if not records:
        say("No sessions.")
        return 0
    _table(records)
    if more is not None:
        say(f"(newest {len(records)} shown; --limit N shows more)")
    return 0


def _table(records: list[Any]) -> None:
    """Ids are never cut (see common.columns)."""
    from acp_server.cli.common import columns

    rows = [
        [r.id, _when(r.updated_at), (r.title or "")[:40], f"${r.cost_usd:.4f}", r.cwd]
        for r in records
    ]
    say(columns(["id", "updated", "title", "cost", "cwd"], rows))


def _show(store: Any, args: argparse.Namespace) -> int:
    record = store.get(args.id)
    if record is None:
        return fail(f"no session {args.id}", 2)
    from rich.markup import escape

    from acp_server.cli.transcript import clock, decoded, entries

    out = console()
    out.print(
        f"[bold]{record.title or record.id}[/bold]  {record.cwd}  model {record.model}  cost ${record.cost_usd:.4f}"
    )
    out.print(_span(record), style="dim")
    for entry in entries(decoded(store.iter_timed_updates(args.id)), _whole(args.id)):
        style = _STYLES[entry.role]
        role = f"[{style}]{entry.role}:[/]" if style else f"{entry.role}:"
        out.print(
            f"[dim]{clock(entry.at)}[/] {role} {escape(entry.text)}"
        )  # one call: rich is slow per call
    for row in store.usage(args.id):
        cost = "unknown" if row["cost_usd"] is None else f"${row['cost_usd']:.4f}"
        out.print(
            f"turn {row['turn']}: {row['input_tokens']} in, {row['output_tokens']} out, {cost} ({row['model']})",
            style="dim",
        )
    return 0


_STYLES = {
    "user": "bold cyan",
    "agent": "",
    "thought": "dim",
    "tool": "yellow",
    "plan": "magenta",
    "failure": "bold red",
}


def _whole(session_id: str) -> str:
    return f"`acp-server sessions export {session_id} --format json`"


def _span(record: Any) -> str:
    from acp_server.cli.transcript import stamp

    return f"started {stamp(record.created_at)}, updated {stamp(record.updated_at)}"


def _export(store: Any, args: argparse.Namespace) -> int:
    record = store.get(args.id)
    if record is None:
        return fail(f"no session {args.id}", 2)
    from acp_server.audit import redact

    with progress(f"exporting {args.id}..."):
        body = str(redact(_render(store, record, args.format)))  # exports get shared: mask secrets
    if args.out:
        from agent.localhost import atomic_write

        atomic_write(os.path.abspath(args.out), body + "\n")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        say(body)
    return 0


def _render(store: Any, record: Any, fmt: str) -> str:
    from acp_server.cli.transcript import OUTPUT_CHARS, OUTPUT_LINES, clock, decoded, entries, stamp

    updates: list[Any] = []

    def kept(timed: Iterator[tuple[float, Any]]) -> Iterator[tuple[float, Any]]:
        for at, update in timed:  # one decode per update serves both parts of the export
            if fmt == "json":
                updates.append(update)
            yield at, update

    transcript = entries(kept(decoded(store.iter_timed_updates(record.id))), _whole(record.id))
    if fmt == "json":
        data = {
            "id": record.id,
            "cwd": record.cwd,
            "title": record.title,
            "model": record.model,
            "cost_usd": record.cost_usd,
            "created_at": stamp(record.created_at),
            "updated_at": stamp(record.updated_at),
            # Whole, as sent on the wire; `transcript` is the readable digest
            # (tool output capped to OUTPUT_LINES lines / OUTPUT_CHARS chars).
            "updates": updates,
            "transcript": [{"at": stamp(e.at), "role": e.role, "text": e.text} for e in transcript],
            "output_cap": {"lines": OUTPUT_LINES, "chars": OUTPUT_CHARS},
            "usage": store.usage(record.id),
        }
        return json.dumps(data, indent=2, ensure_ascii=False)
    lines = [
        f"# {record.title or record.id}",
        "",
        f"- directory: `{record.cwd}`",
        f"- model: `{record.model}`",
        f"- cost: ${record.cost_usd:.4f}",
        f"- {_span(record)}",
        "",
    ]
    for entry in transcript:
        lines += [
            f"**{entry.role}** ({clock(entry.at)}):",
            "",
            _markdown(entry.role, entry.text),
            "",
        ]
    return "\n".join(lines)


def _markdown(role: str, text: str) -> str:
    if role == "thought":
        return "> " + text.replace("\n", "\n> ")
    if role == "tool" and "\n" in text:  # the call's output, fenced so it shows verbatim
        head, output = text.split("\n", 1)
        fence = "```"
        while fence in output:
            fence += "`"
        return f"{head}\n\n{fence}text\n{output}\n{fence}"
    return text


def _delete(store: Any, args: argparse.Namespace) -> int:
    if not store.delete(args.id):
        return fail(f"no session {args.id}", 2)
    say(f"deleted {args.id}")
    return 0


def _prune(store: Any, args: argparse.Namespace) -> int:
    import time

    cutoff = time.time() - args.older_than * 86400
    stale: list[Any] = []
    cursor: int | None = 0
    while cursor is not None:
        records, cursor = store.list(cursor=cursor, limit=500)
        stale += [r for r in records if r.updated_at < cutoff]
    days = f"{args.older_than:g} days"
    if not stale:
        say(f"pruned 0 session(s) older than {days}")
        return 0
    for r in stale:
        say(f"  {r.id}  {_when(r.updated_at)}  {r.title or ''}")
    if args.dry_run:
        say(f"would prune {len(stale)} session(s) older than {days} (--dry-run)")
        return 0
    if not args.yes and not _confirm(f"delete these {len(stale)} session(s)? [y/N] "):
        return fail("nothing deleted (pass --yes to delete without asking)", 1)
    with progress(f"pruning sessions older than {days}..."):
        count = sum(1 for r in stale if store.delete(r.id))
    say(f"pruned {count} session(s) older than {days}")
    return 0


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False


ACTIONS = {"list": _list, "show": _show, "export": _export, "delete": _delete, "prune": _prune}
ACTIONS.update(rewind.ACTIONS)
