"""`acp-client trace show FILE.ndjson`: a readable timeline, violations highlighted."""

from __future__ import annotations

import json
from typing import Any


def describe(message: dict[str, Any]) -> str:
    if "method" in message:
        params = message.get("params") or {}
        if message["method"] == "session/update":
            update = params.get("update") or {}
            kind = update.get("sessionUpdate", "?")
            text = (
                (update.get("content") or {}).get("text", "")
                if isinstance(update.get("content"), dict)
                else ""
            )
            extra = text or update.get("title") or update.get("status") or ""
            return (
                f"session/update {kind} {str(extra)[:80]!r}" if extra else f"session/update {kind}"
            )
        ident = f"#{message['id']} " if "id" in message else ""
        return f"{ident}{message['method']}"
    if "error" in message:
        return f"#{message.get('id')} error {message['error'].get('code')} {message['error'].get('message', '')[:80]}"
    result = message.get("result")
    summary = (
        ", ".join(f"{k}={v}" for k, v in result.items() if isinstance(v, (str, int, bool)))[:100]
        if isinstance(result, dict)
        else ""
    )
    return f"#{message.get('id')} result {summary}"


def show(path: str) -> int:
    from rich.console import Console

    console = Console(highlight=False)
    violations = 0
    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            entry = json.loads(raw)
            ts = f"{entry.get('ts', 0):9.3f}s"
            if "violation" in entry:
                violations += 1
                console.print(
                    f"{ts} [bold red]VIOLATION {entry['violation']['rule']}[/]: {entry['violation']['detail']}"
                )
            elif "stderr" in entry:
                console.print(f"{ts} [dim]stderr: {entry['stderr']}[/]", markup=True)
            else:
                arrow = "→" if entry["direction"] == "client->agent" else "←"
                style = "cyan" if arrow == "→" else "green"
                console.print(f"{ts} [{style}]{arrow}[/] ", end="")
                console.print(describe(entry["message"]), markup=False)
    console.print(f"\n{violations} violation(s)", style="bold red" if violations else "bold green")
    return 1 if violations else 0
