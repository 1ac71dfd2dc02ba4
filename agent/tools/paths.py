"""Path rules shared by the file tools and the permission policy.

Relative paths resolve against the session cwd, never the process cwd. Symlinks
are resolved before deciding whether a path is inside the session roots, so a
link pointing out of the project counts as outside.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from agent.tools.api import ToolInputError

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]|^\\\\")

SENSITIVE_NAMES = (
    ".env",
    ".netrc",
    ".npmrc",
    ".pypirc",
    "id_rsa",
    "id_ed25519",
    "id_ecdsa",
    "id_dsa",
)
SENSITIVE_DIRS = (".git", ".ssh", ".gnupg", ".aws")
SENSITIVE_SUFFIXES = (".pem", ".key", ".p12", ".pfx")


def resolve_path(path: object, cwd: str) -> str:
    if not isinstance(path, str) or not path.strip():
        raise ToolInputError("path must be a non-empty string")
    path = path.strip()
    if "\0" in path:
        raise ToolInputError("path contains a NUL byte")
    if _WINDOWS_DRIVE.match(path):
        raise ToolInputError(f"{path!r} is a Windows path; use a POSIX path relative to {cwd}")
    if path.startswith("file://"):
        path = path[len("file://") :]
    expanded = os.path.expanduser(path)
    return os.path.normpath(os.path.join(cwd, expanded))


def real(path: str) -> str:
    return os.path.realpath(path)


def within_roots(path: str, roots: Sequence[str]) -> bool:
    target = real(path)
    for root in roots:
        base = real(root)
        if target == base or target.startswith(base.rstrip(os.sep) + os.sep):
            return True
    return False


def is_sensitive(path: str) -> bool:
    parts = real(path).split(os.sep) + path.split(os.sep)
    name = os.path.basename(path)
    if name.startswith(".env") or name in SENSITIVE_NAMES or name.endswith(SENSITIVE_SUFFIXES):
        return True
    return any(part in SENSITIVE_DIRS for part in parts)


def display(path: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel
