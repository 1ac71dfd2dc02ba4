"""`acp-client trace show FILE.ndjson`: a readable timeline, violations highlighted.

A file that cannot be shown (missing, unreadable, a directory, not UTF-8, or
a line that is not one of the entries `trace --out` writes) raises
`TraceFileError` naming the file, the line and the problem; the command turns
it into one line on stderr and exit status 2. Entries before the bad line
are shown, so a trace cut short by a killed proxy still shows what it holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from protocol.json_types import JsonObject, get_object


class TraceFileError(Exception):
    """A trace file that cannot be shown; the message names file and problem."""


def describe(message: JsonObject) -> str:
    if "method" in message:
        params = get_object(message, "params")
        if message["method"] == "session/update":
            update = get_object(params, "update")
            kind = update.get("sessionUpdate", "?")
            text = get_object(update, "content").get("text", "")
            extra = text or update.get("title") or update.get("status") or ""
            return (
                f"session/update {kind} {str(extra)[:80]!r}" if extra else f"session/update {kind}"
            )
        ident = f"#{message['id']} " if "id" in message else ""
        return f"{ident}{message['method']}"
    if "error" in message:
        error = message["error"] if isinstance(message["error"], dict) else {}
        return (
            f"#{message.get('id')} error {error.get('code')} {str(error.get('message', ''))[:80]}"
        )
    result = message.get("result")
    summary = (
        ", ".join(f"{k}={v}" for k, v in result.items() if isinstance(v, (str, int, bool)))[:100]
        if isinstance(result, dict)
        else ""
    )
    return f"#{message.get('id')} result {summary}"


def entries(path: str) -> Iterator[JsonObject]:
    """The entries of a trace file, one at a time; TraceFileError at the first
    thing that is not one."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below, errors mapped
    except OSError as error:
        raise TraceFileError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        with handle:
            for number, raw in enumerate(handle, 1):
                if raw.strip():
                    yield _entry(raw, f"{path}:{number}")
    except UnicodeDecodeError:
        raise TraceFileError(
            f"{path}: not a trace written by `acp-client trace --out` (not UTF-8 text)"
        ) from None
    except OSError as error:
        raise TraceFileError(f"cannot read {path}: {error.strerror or error}") from None


def _entry(raw: str, where: str) -> JsonObject:
    not_ours = f"{where}: not a trace entry written by `acp-client trace --out`"
    try:
        entry = json.loads(raw)
    except json.JSONDecodeError as error:
        raise TraceFileError(f"{not_ours} (bad JSON: {error.msg})") from None
    if not isinstance(entry, dict):
        raise TraceFileError(f"{not_ours} (a JSON {type(entry).__name__}, not an object)")
    violation = entry.get("violation")
    if isinstance(violation, dict) and {"rule", "detail"} <= violation.keys():
        return entry
    if isinstance(entry.get("stderr"), str):
        return entry
    if entry.get("direction") in _ARROWS and isinstance(entry.get("message"), dict):
        return entry
    raise TraceFileError(f"{not_ours} (no direction and message, stderr or violation)")


_ARROWS = {"client->agent": ("→", "cyan"), "agent->client": ("←", "green")}


def show(path: str) -> int:
    """Print the timeline of `path`; 1 when it records violations."""
    from rich.console import Console

    console = Console(highlight=False)
    violations = 0
    for entry in entries(path):
        at = entry.get("ts", 0)
        ts = f"{at:9.3f}s" if isinstance(at, (int, float)) else f"{at!s:>10}"
        if "violation" in entry:
            violations += 1
            violation = get_object(entry, "violation")
            console.print(f"{ts} [bold red]VIOLATION {violation['rule']}[/]: ", end="")
            console.print(str(violation["detail"]), markup=False)
        elif "stderr" in entry:
            console.print(f"{ts} [dim]stderr:[/] ", end="")
            console.print(entry["stderr"], markup=False, style="dim")
        else:
            arrow, style = _ARROWS[str(entry["direction"])]
            console.print(f"{ts} [{style}]{arrow}[/] ", end="")
            console.print(describe(get_object(entry, "message")), markup=False)
    console.print(f"\n{violations} violation(s)", style="bold red" if violations else "bold green")
    return 1 if violations else 0
