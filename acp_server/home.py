"""Where a profile keeps its config, keys, sessions and logs.

`ACP_SERVER_HOME` wins; otherwise `~/.acp-server`. Nothing here needs HOME when
`ACP_SERVER_HOME` is set, because some editors launch agents with only PATH.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from pathlib import Path

# A home or file given as str stays str, one given as Path stays Path: the
# server works on strings (pathlib brings urllib.parse and ipaddress, ~6 ms of
# the first session/new), the CLI on Paths.
P = TypeVar("P", bound="str | os.PathLike[str]")


class HomeError(Exception):
    """The home directory cannot be used safely; the message says why and how to fix it."""


def resolve_home(env: Mapping[str, str] | None = None) -> Path:
    from pathlib import Path

    return Path(home_path(env))


def home_path(env: Mapping[str, str] | None = None) -> str:
    """`resolve_home` as a string, without importing pathlib (which brings
    urllib.parse and ipaddress): for what runs before the first session/new
    is answered. Spelled as `str(resolve_home())` is, so that messages naming
    the home read the same either way."""
    env = os.environ if env is None else env
    explicit = env.get("ACP_SERVER_HOME")
    if explicit:
        return _as_pathlib_spells(os.path.join(os.getcwd(), os.path.expanduser(explicit)))
    base = env.get("HOME")
    if not base:
        raise HomeError(
            "neither ACP_SERVER_HOME nor HOME is set; set ACP_SERVER_HOME to a directory"
        )
    return _as_pathlib_spells(os.path.join(base, ".acp-server"))


def _as_pathlib_spells(path: str) -> str:
    """`str(PurePosixPath(path))`: repeated slashes and `.` parts dropped, no
    trailing slash, `..` kept (unlike os.path.normpath, which resolves it)."""
    root = "/" if path.startswith("/") else ""
    if path.startswith("//") and not path.startswith("///"):
        root = "//"  # POSIX leaves a leading pair of slashes to the system
    parts = [part for part in path.split("/") if part not in ("", ".")]
    return root + "/".join(parts) or "."


def ensure_home(home: P) -> P:
    """Create `home` (0700) with its logs/ directory, refusing a world-writable one."""
    os.makedirs(home, mode=0o700, exist_ok=True)
    mode = stat.S_IMODE(os.stat(home).st_mode)
    if mode & stat.S_IWOTH:
        raise HomeError(f"{home} is world-writable (mode {mode:o}); run: chmod 700 {home}")
    logs = os.path.join(home, "logs")
    try:
        os.mkdir(logs, mode=0o700)
    except OSError:  # as Path.mkdir(exist_ok=True): an existing directory is fine
        if not os.path.isdir(logs):
            raise
    return home


def check_writable(home: str | os.PathLike[str]) -> None:
    """Raise HomeError when sessions and logs cannot be written under `home`:
    a read-only mount, a directory this user may not write, or a full disk.

    Asked of the file system (statvfs, access), without writing a probe file:
    it runs for every editor start. Root passes `access` everywhere, but not a
    read-only mount, which is the case this exists for."""
    try:
        fs = os.statvfs(home)
    except OSError as error:
        raise HomeError(f"cannot use {home}: {error.strerror}") from None
    fix = "make it writable or set ACP_SERVER_HOME to a writable directory"
    if fs.f_flag & os.ST_RDONLY:
        raise HomeError(f"{home} is on a read-only file system; {fix}")
    if not os.access(home, os.W_OK | os.X_OK):
        raise HomeError(f"{home} is not writable by this user; {fix}")
    # Root may still write into the blocks a file system reserves for it.
    if fs.f_bavail == 0 and (os.geteuid() != 0 or fs.f_bfree == 0):
        raise HomeError(
            f"the disk holding {home} is full; free some space or set ACP_SERVER_HOME "
            "to a directory on another disk"
        )


def private_file(path: P) -> P:
    """Create `path` if missing with mode 0600, and tighten it if it exists."""
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    return path
