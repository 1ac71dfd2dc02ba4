"""Whether the configuration a server loaded may have changed since.

Each session/new re-reads the configuration when a file it came from changed,
so a rotated key or a new default mode needs no restart, and costs a few
`stat` calls when nothing changed (the full reload was most of a session/new
round trip). The files are the home directory itself (its mode is checked on
load), `config.yaml` and `.env`.
"""

from __future__ import annotations

import os
import time

Mark = tuple[int, int, int, int] | None

# Directory mtimes tick coarsely (a clock tick, not a nanosecond): one this old
# cannot share a tick with a change still to come.
_SETTLED_NS = 2_000_000_000


def _mark(path: str) -> Mark:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns)


class ConfigFiles:
    """Marks of the home and its config files, taken before they are read."""

    def __init__(self, home: str) -> None:
        self._paths = (home, os.path.join(home, "config.yaml"), os.path.join(home, ".env"))
        self._marks = [_mark(path) for path in self._paths]
        home_mark = self._marks[0]
        # Creating, removing or renaming an entry updates the directory's mtime,
        # so while the home's mark holds, a file that was missing still is and
        # need not be looked for. Only if the mtime was already settled when the
        # marks were taken: a file created within the same tick would not move it.
        self._trust_missing = home_mark is not None and time.time_ns() - home_mark[3] > _SETTLED_NS

    def changed(self) -> bool:
        home_path, *file_paths = self._paths
        home_mark, *file_marks = self._marks
        if _mark(home_path) != home_mark:
            return True
        for path, mark in zip(file_paths, file_marks, strict=True):
            if mark is None and self._trust_missing:
                continue
            if _mark(path) != mark:
                return True
        return False


__all__ = ["ConfigFiles"]
