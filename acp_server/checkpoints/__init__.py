"""File checkpoints and rewind: capture before each change, plan, restore, cut.

- capture.py: `TurnCapture`, the server's `agent.checkpoints.WriteRecorder`.
- caps.py: the size caps (`Caps`, `enforce`).
- plan.py: what a rewind would do to each file, and conflict diffs.
- restore.py: doing it, byte for byte (editor writer or atomic local writes).
- rewind.py: the steps every front end shares (`listing`, `prepare`, `finish`).

Storage (rows and blobs) lives in `acp_server.store`; see docs/checkpoints.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# The names load on first use: a turn's capture needs capture.py and caps.py,
# not the rewind's planning and restoring (difflib, tempfile with shutil,
# random and bz2: ~10 ms of a session's first prompt).
if TYPE_CHECKING:
    from acp_server.checkpoints.caps import Caps, enforce
    from acp_server.checkpoints.capture import TurnCapture, message_mark, open_turn
    from acp_server.checkpoints.plan import (
        Current,
        PlannedFile,
        RestorePlan,
        plan_restore,
        render_diff,
    )
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

_HOME = {
    "Caps": "acp_server.checkpoints.caps",
    "Current": "acp_server.checkpoints.plan",
    "PlannedFile": "acp_server.checkpoints.plan",
    "Prepared": "acp_server.checkpoints.rewind",
    "RestorePlan": "acp_server.checkpoints.plan",
    "RewindError": "acp_server.checkpoints.rewind",
    "RewindRefused": "acp_server.checkpoints.rewind",
    "RewindResult": "acp_server.checkpoints.restore",
    "TextWriter": "acp_server.checkpoints.restore",
    "TurnCapture": "acp_server.checkpoints.capture",
    "TurnSummary": "acp_server.checkpoints.rewind",
    "enforce": "acp_server.checkpoints.caps",
    "execute": "acp_server.checkpoints.restore",
    "finish": "acp_server.checkpoints.rewind",
    "history_cut": "acp_server.checkpoints.rewind",
    "listing": "acp_server.checkpoints.rewind",
    "message_mark": "acp_server.checkpoints.capture",
    "open_turn": "acp_server.checkpoints.capture",
    "plan_restore": "acp_server.checkpoints.plan",
    "prepare": "acp_server.checkpoints.rewind",
    "read_current": "acp_server.checkpoints.restore",
    "render_diff": "acp_server.checkpoints.plan",
}


def __getattr__(name: str) -> object:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'acp_server.checkpoints' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


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
