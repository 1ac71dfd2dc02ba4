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
    """One root as last listed."""

    path: str
    root: Mark
    files: tuple[tuple[str, Mark], ...]  # each sub-folder's SKILL.md path and mark
    parsed: dict[str, Skill | None]  # per SKILL.md that exists: what it held
    skills: list[Skill]
    trusted: bool


class _Project(NamedTuple):
    """What sessions in one cwd (with one home) were offered last."""

    roots: tuple[str, ...]
    scans: tuple[_Scan, ...]
    skills: list[Skill]


_scans: OrderedDict[str, _Scan] = OrderedDict()
_projects: OrderedDict[tuple[str, str], _Project] = OrderedDict()


def discover_skills(home: str | os.PathLike[str] | None, cwd: str) -> list[Skill]:
    """The skills a new session in `cwd` offers, by name. The same list object
    is returned while nothing changed on disk: treat it as read-only."""
    key = (os.fspath(home) if home else "", cwd)
    known = _projects.get(key)
    if known is not None and all(map(_current, known.scans)):
        return known.skills  # the usual case: a stat per root and per skill
    roots = known.roots if known is not None else _roots(key[0], cwd)
    scans = tuple(_scan_of(root) for root in roots)
    if known is not None and all(
        a.skills is b.skills for a, b in zip(known.scans, scans, strict=True)
    ):
        skills = known.skills
    else:
        by_name: dict[str, Skill] = {}
        for scan in scans:
            for skill in scan.skills:
                by_name[skill.name] = skill  # later roots (the project) win
        skills = sorted(by_name.values(), key=lambda s: s.name)
    _remember(_projects, key, _Project(roots, scans, skills))
    return skills


def _roots(home: str, cwd: str) -> tuple[str, ...]:
    project = os.path.join(cwd, ".agents", "skills")
    return (os.path.join(home, "skills"), project) if home else (project,)


def _current(scan: _Scan) -> bool:
    """Whether the root and every SKILL.md in it still stat as when listed."""
    if not scan.trusted or _mark(scan.path) != scan.root:
        return False
    return not scan.files or all(_mark(path) == mark for path, mark in scan.files)


def _scan_of(root: str) -> _Scan:
    cached = _scans.get(root)
    if cached is not None and _current(cached):
        return cached
    scan = _scan(root, cached, time.time_ns())
    _remember(_scans, root, scan)
    return scan


def _scan(root: str, previous: _Scan | None, began: int) -> _Scan:
    mark = _mark(root)
    paths = [os.path.join(root, folder, SKILL_FILE) for folder in _folders(root, mark)]
    files = tuple((path, _mark(path)) for path in paths)
    trusted = all(m is None or began - m[3] > _RACY_NS for m in (mark, *(f for _, f in files)))
    # Only what a trusted listing saw unchanged is taken over without parsing.
    before = dict(previous.files) if previous is not None and previous.trusted else {}
    parsed: dict[str, Skill | None] = {}
    for path, file_mark in files:
        if file_mark is None:
            continue
        if previous is not None and path in before and before[path] == file_mark:
            parsed[path] = previous.parsed.get(path)
        else:
            parsed[path] = parse_skill(path)
    skills = [skill for skill in parsed.values() if skill is not None]
    return _Scan(root, mark, files, parsed, skills, trusted)


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


__all__ = ["SKILL_FILE", "Skill", "discover_skills", "parse_skill"]
