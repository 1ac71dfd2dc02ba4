"""Skills: folders holding a `SKILL.md`, found for each new session.

A skill follows the open agent-skills format: `<root>/<folder>/SKILL.md`
whose YAML front matter has `name` and `description`; the rest is its body.
The roots are `$ACP_SERVER_HOME/skills/` and `<cwd>/.agents/skills/`, and the
project wins on a name clash.

Every new session sees the skills as they are on disk: one added, removed or
edited since the last session shows up without a restart. Looking costs a
`stat` of each root, plus one of each known `SKILL.md`, while nothing changed:
- a skill folder added, removed or renamed changes its root's mtime and ctime;
- a `SKILL.md` written in place, replaced by a rename, created or removed
  changes its own stat (inode, size, mtime, and ctime, which no tool can set
  back, so even an edit that restores the old mtime is seen);
- a root replaced by another folder changes its inode.
Only when a stat differs is the root listed again, and only a changed file is
parsed again. A stat whose ctime is within `_RACY_NS` of the scan could hide a
second change in the same timestamp tick, so such a scan is not trusted: the
next session looks again in full.

What is not a skill costs only itself, with a warning in the log: a root that
is no folder (a file, a FIFO), a `SKILL.md` that is no regular file (a FIFO is
never opened, so it cannot block the event loop), unreadable, not UTF-8, or
without front matter. Folder names need not be UTF-8: a skill's name comes
from its front matter.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import time
from collections import OrderedDict
from typing import NamedTuple, TypeVar

import msgspec

log = logging.getLogger("acp_server.server.skills")
K = TypeVar("K")
V = TypeVar("V")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
SKILL_FILE = "SKILL.md"
#: a stat this recent may be followed by another change in the same tick
_RACY_NS = 1_000_000_000
#: roots (and (home, cwd) pairs) remembered; each distinct cwd adds one
_REMEMBERED = 128

Mark = tuple[int, int, int, int] | None  # inode, size, mtime_ns, ctime_ns; None: absent


class Skill(msgspec.Struct, frozen=True):
    name: str
    description: str
    body: str
    path: str


class _Scan(NamedTuple):
    root: Mark
    files: tuple[tuple[str, Mark], ...]  # per sub-folder: its SKILL.md's mark
    parsed: dict[str, Skill | None]  # per sub-folder with a SKILL.md: what it held
    skills: list[Skill]
    trusted: bool


_scans: OrderedDict[str, _Scan] = OrderedDict()
# Per (home root, project root): the per-root lists it was merged from (held,
# so compared by identity) and the merged list.
_merged: OrderedDict[tuple[str, str], tuple[tuple[list[Skill], ...], list[Skill]]] = OrderedDict()


def discover_skills(home: str | os.PathLike[str] | None, cwd: str) -> list[Skill]:
    """The skills a new session in `cwd` offers, by name. The same list object
    is returned while nothing changed on disk: treat it as read-only."""
    roots = ([os.path.join(home, "skills")] if home else []) + [
        os.path.join(cwd, ".agents", "skills")
    ]
    lists = tuple(skills_in(root) for root in roots)
    key = (roots[0] if home else "", roots[-1])
    cached = _merged.get(key)
    if cached is not None and all(a is b for a, b in zip(cached[0], lists, strict=True)):
        _merged.move_to_end(key)
        return cached[1]
    by_name: dict[str, Skill] = {}
    for found in lists:
        for skill in found:
            by_name[skill.name] = skill  # later roots (the project) win
    merged = sorted(by_name.values(), key=lambda s: s.name)
    _remember(_merged, key, (lists, merged))
    return merged


def skills_in(root: str) -> list[Skill]:
    """The skills in one root, from the last scan while its stats still match."""
    began = time.time_ns()
    mark = _mark(root)
    cached = _scans.get(root)
    if (
        cached is not None
        and cached.trusted
        and cached.root == mark
        and all(_mark(_skill_file(root, folder)) == was for folder, was in cached.files)
    ):
        _scans.move_to_end(root)
        return cached.skills
    scan = _scan(root, mark, cached, began)
    _remember(_scans, root, scan)
    return scan.skills


def _scan(root: str, mark: Mark, previous: _Scan | None, began: int) -> _Scan:
    folders = _folders(root, mark)
    files = tuple((folder, _mark(_skill_file(root, folder))) for folder in folders)
    trusted = all(m is None or began - m[3] > _RACY_NS for m in (mark, *(f for _, f in files)))
    old = dict(previous.files) if previous is not None and previous.trusted else {}
    parsed: dict[str, Skill | None] = {}
    for folder, file_mark in files:
        if file_mark is None:
            continue
        if folder in old and old[folder] == file_mark and previous is not None:
            parsed[folder] = previous.parsed.get(folder)  # unchanged: not parsed again
        else:
            parsed[folder] = parse_skill(_skill_file(root, folder))
    skills = [skill for skill in parsed.values() if skill is not None]
    return _Scan(mark, files, parsed, skills, trusted)


def _folders(root: str, mark: Mark) -> list[str]:
    if mark is None:
        return []  # no such folder: the usual case
    try:
        with os.scandir(root) as entries:
            return sorted(entry.name for entry in entries if _is_dir(entry))
    except OSError as error:  # not a folder (a file, a FIFO), or unreadable
        log.warning("cannot list skills in %r: %s", root, error)
        return []


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _skill_file(root: str, folder: str) -> str:
    return os.path.join(root, folder, SKILL_FILE)


def _mark(path: str) -> Mark:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def parse_skill(path: str) -> Skill | None:
    """The skill `path` holds, or None (logged) when it holds none."""
    text = _read_regular(path)
    if text is None:
        return None
    match = _FRONT_MATTER.match(text)
    if not match:
        log.warning("skill %r has no front matter; skipped", path)
        return None
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip().strip("\"'")
    name, description = fields.get("name", ""), fields.get("description", "")
    if not _NAME.fullmatch(name) or not description:
        log.warning("skill %r needs a simple `name` and a `description`; skipped", path)
        return None
    return Skill(name, description, match.group(2).strip(), path)


def _read_regular(path: str) -> str | None:
    # O_NONBLOCK: a FIFO put in place after the stat still cannot block the
    # open; the fstat then refuses anything but a regular file.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        log.warning("cannot read skill %r: %s", path, error)
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            log.warning("skill %r is not a regular file; skipped", path)
            return None
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read()
    except OSError as error:
        log.warning("cannot read skill %r: %s", path, error)
        return None
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        log.warning("skill %r is not UTF-8 (%s); skipped", path, error)
        return None


def _remember(table: OrderedDict[K, V], key: K, value: V) -> None:
    table[key] = value
    table.move_to_end(key)
    while len(table) > _REMEMBERED:
        table.popitem(last=False)


__all__ = ["SKILL_FILE", "Skill", "discover_skills", "parse_skill", "skills_in"]
