"""A turn's capture loads only what it uses: the rewind's planning and
restoring modules (difflib; tempfile with shutil, random and bz2) wait for a
rewind. In a fresh interpreter, as a session's first prompt would see them."""

from __future__ import annotations

import json
import subprocess
import sys

REWIND_ONLY = (
    "acp_server.checkpoints.plan",
    "acp_server.checkpoints.restore",
    "acp_server.checkpoints.rewind",
    "difflib",
    "tempfile",
)

PROBE = """
import json, sys
from acp_server.checkpoints import Caps, message_mark, open_turn  # what a turn's capture uses
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True)
    return set(json.loads(out.stdout))


def test_a_turns_capture_does_not_load_the_rewind_modules() -> None:
    loaded = _loaded_after(PROBE)
    assert "acp_server.checkpoints.capture" in loaded
    assert [m for m in REWIND_ONLY if m in loaded] == []


def test_the_rewind_names_still_resolve_from_the_package() -> None:
    loaded = _loaded_after(
        "import json, sys\n"
        "from acp_server.checkpoints import RewindError, execute, plan_restore\n"
        "assert RewindError.__module__ == 'acp_server.checkpoints.rewind'\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    assert {"acp_server.checkpoints.restore", "acp_server.checkpoints.plan"} <= loaded
