"""Rewinding a session to before turn N: the steps every front end shares.

1. `prepare` (blocking): check that turn N exists and that no turn from N on
   lost its checkpoints to the size caps, then plan each file (plan.py).
2. The front end settles conflicts with the user (terminal, permission
   request, or a caller's choice) and picks the files to skip.
3. `finish`: restore the files (restore.py). Only when every file was dealt
   with is the conversation cut back (store.truncate: replay, history, usage,
   title) and the checkpoints of turns >= N forgotten; after a failure the
   rewind can simply be run again, since files already restored plan as
   unchanged.

`listing` summarises the turns for `/rewind`, the CLI and the extension method.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import msgspec

from acp_server.checkpoints.capture import message_mark
from acp_server.checkpoints.plan import RestorePlan, plan_restore
from acp_server.checkpoints.restore import RewindResult, TextWriter, execute, read_current
from acp_server.store import SessionStore
from acp_server.store.checkpoints import TurnRow


class RewindError(Exception):
    """The rewind cannot be done as asked; the message says why."""


class RewindRefused(RewindError):
    """The session's mode or rules do not allow the files to be changed."""


class TurnSummary(msgspec.Struct, frozen=True):
    turn: int
    prompt: str  # its first line
    started_at: float
    files: tuple[str, ...]
    commands: bool  # commands ran: their effects are not captured
    mcp: bool  # MCP tools ran: their effects are not captured
    dropped: bool  # its file checkpoints went for the size caps


class Prepared(msgspec.Struct, frozen=True):
    row: TurnRow
    plan: RestorePlan


def listing(store: SessionStore, session_id: str) -> list[TurnSummary]:
    table = store.checkpoints
    files: dict[int, list[str]] = {}
    for entry in table.files(session_id):
        files.setdefault(entry.turn, []).append(entry.path)
    return [
        TurnSummary(
            row.turn,
            first_line(row.prompt),
            row.started_at,
            tuple(files.get(row.turn, ())),
            row.commands,
            row.mcp,
            row.dropped,
        )
        for row in table.turns(session_id)
    ]


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def prepare(store: SessionStore, session_id: str, turn: int) -> Prepared:
    rows = store.checkpoints.turns(session_id)
    row = next((r for r in rows if r.turn == turn), None)
    if row is None:
        known = f"turns 1 to {rows[-1].turn}" if rows else "no turns yet"
        raise RewindError(f"session {session_id} has no turn {turn} ({known})")
    lost = [r.turn for r in rows if r.turn >= turn and r.dropped]
    if lost:
        raise RewindError(
            f"the file checkpoints of turn {lost[-1]} were dropped to stay under the size caps "
            f"(checkpoints.max_session_bytes, checkpoints.max_total_bytes); rewind to turn "
            f"{lost[-1] + 1} or later"
        )
    entries = store.checkpoints.files(session_id, turn)
    return Prepared(row, plan_restore(turn, entries, read_current))


def history_cut(messages: Sequence[Mapping[str, object]], row: TurnRow) -> int:
    """Where turn `row` starts in `messages` (compaction may have moved it)."""
    if row.history_mark is None:
        if row.history_start <= len(messages):
            return int(row.history_start)
    else:
        order = [row.history_start, *range(len(messages) - 1, -1, -1)]
        for index in order:
            if index < len(messages) and message_mark(messages[index]) == row.history_mark:
                return int(index)
    raise RewindError(
        f"turn {row.turn} was summarised when the history was compacted; "
        "the conversation can be rewound only to a later turn"
    )


async def finish(
    store: SessionStore,
    session_id: str,
    prepared: Prepared,
    *,
    messages: Sequence[Mapping[str, object]],
    skip: Collection[str] = (),
    writer: TextWriter | None = None,
) -> tuple[RewindResult, int]:
    """Restore the files, then cut the session; (result, history length kept).
    The session is not cut when a file could not be restored."""
    cut = history_cut(messages, prepared.row)  # refused before any file is touched
    result = await execute(prepared.plan, store.checkpoints.blobs, skip=skip, writer=writer)
    if result.failed:
        return result, len(messages)
    row = prepared.row
    store.truncate(
        session_id,
        seq_start=row.seq_start,
        history_len=cut,
        since=row.started_at,
        title=row.title_before,
    )
    store.checkpoints.forget_from(session_id, row.turn)
    store.sweep_checkpoints()
    return result, cut


class ForkStart(msgspec.Struct, frozen=True):
    messages: list[dict[str, object]]
    updates: list[bytes]


def fork_start(
    store: SessionStore, session_id: str, turn: int, messages: Sequence[Mapping[str, object]]
) -> ForkStart:
    """The history and replay a fork from before `turn` starts with (files untouched)."""
    row = next((r for r in store.checkpoints.turns(session_id) if r.turn == turn), None)
    if row is None:
        raise RewindError(f"session {session_id} has no turn {turn}")
    cut = history_cut(messages, row)
    kept = [dict(m) for m in messages[:cut]]
    return ForkStart(kept, store.updates_before(session_id, row.seq_start))


__all__ = [
    "ForkStart",
    "Prepared",
    "RewindError",
    "RewindRefused",
    "TurnSummary",
    "finish",
    "first_line",
    "fork_start",
    "history_cut",
    "listing",
    "prepare",
]
