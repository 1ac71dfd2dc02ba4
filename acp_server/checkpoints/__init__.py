"""File checkpoints and rewind: capture before each change, plan, restore, cut.

- capture.py: `TurnCapture`, the server's `agent.checkpoints.WriteRecorder`.
- caps.py: the size caps (`Caps`, `enforce`).
- plan.py: what a rewind would do to each file, and conflict diffs.
- restore.py: doing it, byte for byte (editor writer or atomic local writes).
- rewind.py: the steps every front end shares (`listing`, `prepare`, `finish`).

Storage (rows and blobs) lives in `acp_server.store`; see docs/checkpoints.md.
"""

from acp_server.checkpoints.caps import Caps, enforce
from acp_server.checkpoints.capture import TurnCapture, message_mark, open_turn
from acp_server.checkpoints.plan import Current, PlannedFile, RestorePlan, plan_restore, render_diff
from acp_server.checkpoints.restore import RewindResult, TextWriter, execute, read_current
from acp_server.checkpoints.rewind import (
    Prepared,
    RewindError,
    RewindRefused,
    TurnSummary,
    finish,
    history_cut,
    listing,
    prepare,
)

__all__ = [
    "Caps",
    "Current",
    "PlannedFile",
    "Prepared",
    "RestorePlan",
    "RewindError",
    "RewindRefused",
    "RewindResult",
    "TextWriter",
    "TurnCapture",
    "TurnSummary",
    "enforce",
    "execute",
    "finish",
    "history_cut",
    "listing",
    "message_mark",
    "open_turn",
    "plan_restore",
    "prepare",
    "read_current",
    "render_diff",
]
