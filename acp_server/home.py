"""Where a profile keeps its config, keys, sessions and logs.

`ACP_SERVER_HOME` wins; otherwise `~/.acp-server`. Nothing here needs HOME when
`ACP_SERVER_HOME` is set, because some editors launch agents with only PATH.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path


class HomeError(Exception):
    """The home directory cannot be used safely; the message says why and how to fix it."""


def resolve_home(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    explicit = env.get("ACP_SERVER_HOME")
    if explicit:
        return Path(explicit).expanduser().absolute()
    base = env.get("HOME")
    if not base:
        raise HomeError(
            "neither ACP_SERVER_HOME nor HOME is set; set ACP_SERVER_HOME to a directory"
        )
    return Path(base) / ".acp-server"


def ensure_home(home: Path) -> Path:
    """Create `home` (0700) with its logs/ directory, refusing a world-writable one."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(home.stat().st_mode)
    if mode & stat.S_IWOTH:
        raise HomeError(f"{home} is world-writable (mode {mode:o}); run: chmod 700 {home}")
    (home / "logs").mkdir(mode=0o700, exist_ok=True)
    return home


def private_file(path: Path) -> Path:
    """Create `path` if missing with mode 0600, and tighten it if it exists."""
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    return path
