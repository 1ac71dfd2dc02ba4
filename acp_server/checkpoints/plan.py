"""What a rewind to before turn N would do to each file, decided before anything is.

For every path changed in turns >= N, the target is its state before the
first of those turns touched it (the earliest checkpoint). What is there now
is compared with what the agent left: the content it last wrote there, or
(when that last write never landed: an error, a kill) the state the last
checkpoint saw. Anything else is a conflict: the user or a command changed
the file since, and it is overwritten only if the user says so.

- `unchanged`: already in the target state (content and mode); nothing to do.
- `restore`: write the target bytes and mode back.
- `delete`: the file did not exist before; remove it.

`plan_restore` is pure apart from the `current` reader it is given, so the
same plan serves the CLI, the slash command and the extension method.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Literal

import msgspec

from acp_server.store.blobs import digest
from acp_server.store.checkpoints import FileCheckpoint

Action = Literal["unchanged", "restore", "delete"]


class Current(msgspec.Struct, frozen=True):
    """A file as it is now: its bytes and mode, or absent (`data` None)."""

    data: bytes | None
    mode: int | None = None

    @property
    def sha(self) -> str | None:
        return None if self.data is None else digest(self.data)


class PlannedFile(msgspec.Struct, frozen=True):
    path: str
    action: Action
    conflict: bool
    target_blob: str | None  # None: the file is to be absent
    target_mode: int | None
    current: Current


class RestorePlan(msgspec.Struct, frozen=True):
    turn: int
    files: tuple[PlannedFile, ...]

    @property
    def conflicts(self) -> list[PlannedFile]:
        return [f for f in self.files if f.conflict and f.action != "unchanged"]

    @property
    def work(self) -> list[PlannedFile]:
        return [f for f in self.files if f.action != "unchanged"]


def plan_restore(
    turn: int, entries: Sequence[FileCheckpoint], current: Callable[[str], Current]
) -> RestorePlan:
    """The plan for rewinding to before `turn`, from the checkpoints of turns >= it."""
    first: dict[str, FileCheckpoint] = {}
    last: dict[str, FileCheckpoint] = {}
    for entry in sorted(entries, key=lambda e: (e.turn, e.ts)):
        first.setdefault(entry.path, entry)
        last[entry.path] = entry
    return RestorePlan(turn, tuple(_plan_one(first[p], last[p], current(p)) for p in first))


def _plan_one(first: FileCheckpoint, last: FileCheckpoint, now: Current) -> PlannedFile:
    now_sha = now.sha
    agent_left = {last.written, last.blob}  # last.blob: the last write never landed
    conflict = now_sha not in agent_left
    if first.blob is None:
        action: Action = "unchanged" if now_sha is None else "delete"
    elif now_sha == first.blob and (first.mode is None or now.mode == first.mode):
        action = "unchanged"
    else:
        action = "restore"
    return PlannedFile(first.path, action, conflict, first.blob, first.mode, now)


def render_diff(path: str, now: bytes | None, target: bytes | None, *, limit: int = 200) -> str:
    """What restoring changes, as a unified diff from now to the restored state
    (at most `limit` lines; binary contents are described, not shown)."""
    shown = path.encode("utf-8", "replace").decode()  # a name from the OS may hold surrogates
    if now is not None and target is not None and (b"\0" in now + target):
        return f"{shown}: binary content, {len(now):,} bytes now, {len(target):,} restored"
    before = _lines(now)
    after = _lines(target)
    lines = list(
        difflib.unified_diff(
            before,
            after,
            fromfile=f"{shown} (now)" if now is not None else "/dev/null",
            tofile=f"{shown} (restored)" if target is not None else "/dev/null",
        )
    )
    if len(lines) > limit:
        lines = [*lines[:limit], f"... {len(lines) - limit} more lines\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _lines(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", "replace").splitlines(keepends=True)


__all__ = ["Action", "Current", "PlannedFile", "RestorePlan", "plan_restore", "render_diff"]
