"""`acp-server sessions list|show|export|delete|prune`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from typing import Any

from acp_server.cli.common import console, fail, open_store, progress, say, version_action


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acp-server sessions", description="Inspect and manage stored sessions."
    )
    version_action(parser)
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="list sessions, newest first")
    listing.add_argument("--cwd", help="only sessions for this directory")
    listing.add_argument("--since", help="only sessions updated on or after this date (YYYY-MM-DD)")
    listing.add_argument("--json", action="store_true")
    show = sub.add_parser("show", help="print a session's transcript and cost")
    show.add_argument("id")
    export = sub.add_parser("export", help="write a session as Markdown or JSON")
    export.add_argument("id")
    export.add_argument("--format", choices=["md", "json"], default="md")
    export.add_argument("--out", help="file to write (default: stdout)")
    delete = sub.add_parser("delete", help="delete a session")
    delete.add_argument("id")
    prune = sub.add_parser("prune", help="delete sessions not updated for N days")
    prune.add_argument("--older-than", type=float, required=True, metavar="DAYS")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv[1:])
    store = open_store()
    try:
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
    records, _cursor = store.list(cwd=cwd, since=since, limit=1000)
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
    from rich.table import Table

    table = Table("id", "updated", "title", "cwd", "model", "cost")
    for r in records:
        table.add_row(
            r.id, _when(r.updated_at), r.title or "", r.cwd, r.model or "", f"${r.cost_usd:.4f}"
        )
    console().print(table)
    return 0


_MERGED = ("user", "agent", "thought")


def transcript(store: Any, session_id: str) -> list[tuple[str, str]]:
    """(role, text) blocks merged from the stored updates.

    Linear in the number of updates: a block's chunks are collected and joined
    once (adding each chunk to the block's string copied it again every time,
    28 s for 100,000 chunks), and updates are decoded one at a time."""
    blocks: list[tuple[str, list[str]]] = []
    for payload in store.iter_updates(session_id):
        role, text = _block(json.loads(payload))
        if not role:
            continue
        if blocks and blocks[-1][0] == role and role in _MERGED:
            blocks[-1][1].append(text)
        else:
            blocks.append((role, [text]))
    return [(role, "".join(parts)) for role, parts in blocks]


def _block(update: dict[str, Any]) -> tuple[str, str]:
    kind = update.get("sessionUpdate")
    if kind == "tool_call_update":
        status = update.get("status")
        return ("tool", f"→ {status}") if status in ("completed", "failed") else ("", "")
    if kind in ("user_message_chunk", "agent_message_chunk", "agent_thought_chunk"):
        return {"user_message_chunk": "user", "agent_message_chunk": "agent"}.get(
            kind, "thought"
        ), _text(update.get("content"))
    if kind == "tool_call":
        return "tool", f"{update.get('title')} [{update.get('kind', 'other')}]"
    if kind == "plan":
        entries = update.get("entries", [])
        return "plan", "; ".join(f"[{e['status']}] {e['content']}" for e in entries)
    return "", ""


def _text(content: Any) -> str:
    if isinstance(content, dict):
        return str(content.get("text") or f"[{content.get('type')}: {content.get('uri', '')}]")
    return ""


def _show(store: Any, args: argparse.Namespace) -> int:
    record = store.get(args.id)
    if record is None:
        return fail(f"no session {args.id}", 2)
    out = console()
    out.print(
        f"[bold]{record.title or record.id}[/bold]  {record.cwd}  model {record.model}  cost ${record.cost_usd:.4f}"
    )
    styles = {
        "user": "bold cyan",
        "agent": "",
        "thought": "dim",
        "tool": "yellow",
        "plan": "magenta",
    }
    for role, text in transcript(store, args.id):
        out.print(f"[{styles[role]}]{role}:[/] " if styles[role] else f"{role}: ", end="")
        out.print(text, markup=False)
    for row in store.usage(args.id):
        cost = "unknown" if row["cost_usd"] is None else f"${row['cost_usd']:.4f}"
        out.print(
            f"turn {row['turn']}: {row['input_tokens']} in, {row['output_tokens']} out, {cost} ({row['model']})",
            style="dim",
        )
    return 0


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
    if fmt == "json":
        data = {
            "id": record.id,
            "cwd": record.cwd,
            "title": record.title,
            "model": record.model,
            "cost_usd": record.cost_usd,
            "updates": [json.loads(p) for p in store.iter_updates(record.id)],
            "usage": store.usage(record.id),
        }
        return json.dumps(data, indent=2, ensure_ascii=False)
    lines = [
        f"# {record.title or record.id}",
        "",
        f"- directory: `{record.cwd}`",
        f"- model: `{record.model}`",
        f"- cost: ${record.cost_usd:.4f}",
        "",
    ]
    for role, text in transcript(store, record.id):
        lines += [
            f"**{role}**:",
            "",
            text if role != "thought" else "> " + text.replace("\n", "\n> "),
            "",
        ]
    return "\n".join(lines)


def _delete(store: Any, args: argparse.Namespace) -> int:
    if not store.delete(args.id):
        return fail(f"no session {args.id}", 2)
    say(f"deleted {args.id}")
    return 0


def _prune(store: Any, args: argparse.Namespace) -> int:
    with progress(f"pruning sessions older than {args.older_than:g} days..."):
        count = store.prune(args.older_than)
    say(f"pruned {count} session(s) older than {args.older_than:g} days")
    return 0


ACTIONS = {"list": _list, "show": _show, "export": _export, "delete": _delete, "prune": _prune}
