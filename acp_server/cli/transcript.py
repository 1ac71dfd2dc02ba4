"""A stored session as a readable transcript: what `sessions show` prints and
`sessions export` writes.

Contract:
- every entry carries the time its first update was stored;
- consecutive chunks of one speaker (user, agent, thought) merge into one entry;
- a finished tool call is one entry with its status, exit code and output,
  the output capped at OUTPUT_LINES lines and OUTPUT_CHARS characters, and a
  cut output says how much was left out and where the rest is (the JSON
  export keeps every update whole);
- a failed turn (stored as a `session_info_update` whose `_meta` holds the
  failure, see acp_server/turn_failure.py) is a `failure` entry with its
  reason and fix, never text the agent said.

Linear in the number of updates: a block's chunks are collected and joined
once (adding each chunk to the block's string copied it again every time, 28 s
for 100,000 chunks), and updates are decoded one at a time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from acp_server.turn_failure import META_KEY

if TYPE_CHECKING:
    from protocol.json_types import JsonObject

OUTPUT_LINES = 40
OUTPUT_CHARS = 4000
ROLES = ("user", "agent", "thought", "tool", "plan", "failure")
_MERGED = ("user", "agent", "thought")
_CHUNKS = {
    "user_message_chunk": "user",
    "agent_message_chunk": "agent",
    "agent_thought_chunk": "thought",
}


@dataclass(frozen=True)
class Entry:
    at: float  # seconds since the epoch, when the entry's first update was stored
    role: str  # one of ROLES
    text: str


def decoded(timed_payloads: Iterable[tuple[float, bytes]]) -> Iterator[tuple[float, JsonObject]]:
    """(time, update) from stored (time, JSON payload) rows, one at a time."""
    for at, payload in timed_payloads:
        update: JsonObject = json.loads(payload)  # the store writes each update as an object
        yield at, update


def entries(
    timed_updates: Iterable[tuple[float, Mapping[str, object]]], whole: str = "the JSON export"
) -> list[Entry]:
    """The transcript of (time, update) pairs in stored order; a cut output
    says that `whole` has all of it."""
    blocks: list[tuple[float, str, list[str]]] = []
    titles: dict[str, str] = {}
    for at, update in timed_updates:
        for role, text in _blocks(update, titles, whole):
            if blocks and blocks[-1][1] == role and role in _MERGED:
                blocks[-1][2].append(text)
            else:
                blocks.append((at, role, [text]))
    return [Entry(at, role, "".join(parts)) for at, role, parts in blocks]


def clock(at: float) -> str:
    """Local time of day, for entries within one session."""
    return dt.datetime.fromtimestamp(at).strftime("%H:%M:%S")


def stamp(at: float) -> str:
    """Local date and time with its offset (ISO 8601), for headers and JSON."""
    return dt.datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")


def cap(text: str, whole: str, lines: int = OUTPUT_LINES, chars: int = OUTPUT_CHARS) -> str:
    """`text` cut to `lines` lines and `chars` characters, saying what was cut."""
    kept = text.splitlines()[:lines]
    short = "\n".join(kept)[:chars]
    if short == text.rstrip("\n"):
        return text.rstrip("\n")
    left_lines = len(text.rstrip("\n").splitlines()) - len(short.splitlines())
    left_chars = len(text.rstrip("\n")) - len(short)
    return (
        f"{short}\n[output cut: {left_chars} more characters, {left_lines} more lines; "
        f"the whole output is in {whole}]"
    )


def _blocks(
    update: Mapping[str, object], titles: dict[str, str], whole: str
) -> Iterator[tuple[str, str]]:
    kind = update.get("sessionUpdate")
    if kind in _CHUNKS:
        yield _CHUNKS[str(kind)], _text(update.get("content"))
    elif kind == "tool_call":
        title = f"{update.get('title')} [{update.get('kind', 'other')}]"
        titles[str(update.get("toolCallId"))] = title
        yield "tool", title
    elif kind == "tool_call_update" and update.get("status") in ("completed", "failed"):
        title = titles.pop(str(update.get("toolCallId")), "tool call")
        yield "tool", _finished(update, title, whole)
    elif kind == "plan":
        steps = _list(update.get("entries"))
        yield "plan", "; ".join(f"[{s.get('status')}] {s.get('content')}" for s in _dicts(steps))
    elif kind == "session_info_update":
        failure = _failure(update)
        if failure:
            yield "failure", failure


def _finished(update: Mapping[str, object], title: str, whole: str) -> str:
    status = str(update.get("status"))
    raw = update.get("rawOutput")
    code = raw.get("exit_code") if isinstance(raw, dict) else None
    head = f"→ {status}" + (f" (exit {code})" if code is not None else "") + f": {title}"
    output = "\n".join(_content_text(block) for block in _list(update.get("content")))
    output = output.strip("\n")
    if output.startswith("```") and output.endswith("```"):  # a fenced command output
        output = output.split("\n", 1)[-1].rsplit("```", 1)[0].strip("\n")
    return head + ("\n" + cap(output, whole) if output else "")


def _content_text(block: object) -> str:
    if not isinstance(block, dict):
        return ""
    if block.get("type") == "content":
        return _text(block.get("content"))
    if block.get("type") == "diff":
        return f"[edited {block.get('path')}]"
    return f"[{block.get('type')}]"


def _failure(update: Mapping[str, object]) -> str:
    meta = update.get("_meta")
    record = meta.get(META_KEY) if isinstance(meta, dict) else None
    if not isinstance(record, dict):
        return ""
    reason = f"turn failed ({record.get('kind', 'error')}): {record.get('message', '')}"
    fix = record.get("fix")
    return reason if not fix or str(fix) in reason else f"{reason}. Fix: {fix}"


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _dicts(values: list[object]) -> Iterator[dict[str, object]]:
    return (v for v in values if isinstance(v, dict))


def _text(content: object) -> str:
    if isinstance(content, dict):
        return str(content.get("text") or f"[{content.get('type')}: {content.get('uri', '')}]")
    return ""


__all__ = [
    "OUTPUT_CHARS",
    "OUTPUT_LINES",
    "ROLES",
    "Entry",
    "cap",
    "clock",
    "decoded",
    "entries",
    "stamp",
]
