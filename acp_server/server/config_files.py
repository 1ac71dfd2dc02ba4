"""Whether the configuration a server loaded may have changed since.

Each session/new re-reads the configuration when a file it came from changed,
so a rotated key or a new default mode needs no restart, and costs two `stat`
calls when nothing changed (the full reload was most of a session/new round
trip). The files are `config.yaml` and `.env` in the home.

The home directory itself is not watched: its mtime moves whenever SQLite
creates or removes its WAL files beside the database, which would force
reloads for nothing. Its mode (a world-writable home is refused) is checked on
every reload, and a file planted in it is a change that causes one.
"""

from __future__ import annotations

import os

Mark = tuple[int, int, int, int] | None


def _mark(path: str) -> Mark:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns)


class ConfigFiles:
    """Marks of the config files, taken before they are read."""

    def __init__(self, home: str) -> None:
        self._paths = (os.path.join(home, "config.yaml"), os.path.join(home, ".env"))
        self._marks = [_mark(path) for path in self._paths]

    def changed(self) -> bool:
        return any(_mark(path) != mark for path, mark in zip(self._paths, self._marks, strict=True))


__all__ = ["ConfigFiles"]
