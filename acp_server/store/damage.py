"""What the store does with a damaged database or journal: keep it, set it
aside, and start fresh, so one bad file never stops the agent.

Only corruption is handled this way (SQLite's "not a database" and
"malformed" errors). A locked, read-only or full disk is not damage: those
errors propagate, and moving the file would not help.
"""

from __future__ import annotations

import os
import sqlite3
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
DAMAGED_DB = ".damaged-"


def is_corruption(error: sqlite3.DatabaseError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(error)
    return "not a database" in text or "malformed" in text


def set_aside_database(path: str | os.PathLike[str]) -> str:
    """Rename the database (and its WAL and shared-memory files, which belong
    to it) to `<name>.damaged-<time>`; never deletes anything. Plain strings:
    this runs while the first session/new opens the store, before pathlib."""
    path = os.fspath(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = f"{path}{DAMAGED_DB}{stamp}"
    for n in range(1, 1000):
        if not os.path.exists(target):
            break
        target = f"{path}{DAMAGED_DB}{stamp}-{n}"
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        companion = path + suffix
        if os.path.exists(companion):
            os.replace(companion, target + suffix)
    return target


def damaged_files(path: Path) -> list[Path]:
    """Databases and journals set aside earlier, oldest first (for `doctor`)."""
    from pathlib import Path

    path = Path(path)
    journal_dir = path.with_name(path.stem + ".journal")
    found = list(path.parent.glob(f"{path.name}{DAMAGED_DB}*"))
    found = [p for p in found if not p.name.endswith(("-wal", "-shm"))]
    if journal_dir.is_dir():
        found += journal_dir.glob("*.journal.damaged")
    return sorted(found, key=lambda p: p.stat().st_mtime)


RECOVERY_HINT = (
    "sessions in it can often be recovered: `sqlite3 FILE .recover > recovered.sql` "
    "shows what is readable"
)

__all__ = [
    "RECOVERY_HINT",
    "damaged_files",
    "is_corruption",
    "set_aside_database",
]
