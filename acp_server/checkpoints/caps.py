"""Size caps for checkpoint contents: per session and in total.

Sizes count each checkpoint's previous content (a blob shared by two
checkpoints counts twice, so the caps err on the side of less disk). Over a
cap, the file checkpoints of the oldest turn go first, a whole turn at a time,
and never those of a session's last turn: `/undo` always works. A turn whose
checkpoints went is marked `dropped`, and rewinding to it or before is refused
rather than half done. Contents nothing refers to any more are then removed.
"""

from __future__ import annotations

import msgspec

from acp_server.store.checkpoints import CheckpointTable

#: Defaults (config `checkpoints.max_session_bytes`, `checkpoints.max_total_bytes`).
MAX_SESSION_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024


class Caps(msgspec.Struct, frozen=True):
    max_session_bytes: int = MAX_SESSION_BYTES
    max_total_bytes: int = MAX_TOTAL_BYTES


def enforce(table: CheckpointTable, session_id: str, caps: Caps) -> int:
    """Drop the oldest turns' checkpoints until both caps hold (or only last
    turns are left); how many turns were dropped. Blocking."""
    dropped = 0
    while table.session_bytes(session_id) > caps.max_session_bytes:
        if not table.drop_oldest(session_id):
            break
        dropped += 1
    while table.total_bytes() > caps.max_total_bytes:
        if not table.drop_oldest(None):
            break
        dropped += 1
    if dropped:
        table.blobs.sweep(table.referenced_blobs)
    return dropped


__all__ = ["MAX_SESSION_BYTES", "MAX_TOTAL_BYTES", "Caps", "enforce"]
