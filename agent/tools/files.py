"""File tools: read, write, edit (through the host's FileSystem port), and
list/glob/grep (local disk: editors offer no listing API).

An edit reads the whole file (`read_whole`, never the capped `read_text`) and
changes exactly the text it names, or nothing; the diff shown for approval has
both sides complete. Names from the disk are made printable before they reach
a result, and walks run off the loop with a timeout, opening regular files only.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import os
import re
from collections.abc import Mapping

from agent.events import DiffContent, Location, TextContent, ToolContent
from agent.fileio import fs_call, open_regular, printable
from agent.ports import FileAccessError, NotEditable
from agent.tools.api import (
    Access,
    ToolContext,
    ToolDescription,
    ToolInputError,
    ToolOutput,
    ToolSpec,
)
from agent.tools.base import NoPreview, arg_int, arg_str, cap, fenced
from agent.tools.paths import display, resolve_path

_PATH = {
    "type": "string",
    "description": "File path, absolute or relative to the session directory",
}
_SKIP_DIRS = {".git", "node_modules", "__pycache__", ".venv", ".mypy_cache", ".ruff_cache"}


async def _write_diff(ctx: ToolContext, path: str, new: str) -> tuple[str | None, ToolContent]:
    """What a whole-file write replaces (None: nothing) and how to show it. A
    file that cannot be shown whole is named in words, never shown cut."""
    try:
        old: str | None = await ctx.host.files.read_whole(path, max_bytes=ctx.max_edit_bytes)
    except NotEditable as error:
        return "", TextContent(f"Replaces the whole of {printable(path)}, not shown: {error}")
    except FileAccessError:
        old = None  # not there (or not readable): the write will say
    return old, DiffContent(path, old, new)


class ReadFile(NoPreview):
    spec = ToolSpec(
        "read_file",
        "Read a text file. Optional 1-based `line` to start at and `limit` lines.",
        {
            "type": "object",
            "properties": {
                "path": _PATH,
                "line": {"type": "integer"},
                "limit": {"type": "integer"},
            },
            "required": ["path"],
        },
        "read",
    )

    def describe(self, args: Mapping[str, object], cwd: str) -> ToolDescription:
        path = resolve_path(args.get("path"), cwd)
        line = args.get("line") if isinstance(args.get("line"), int) else None
        return ToolDescription(f"Read {display(path, cwd)}", "read", (Location(path, line),))  # type: ignore[arg-type]

    def access(self, args: Mapping[str, object], cwd: str) -> Access:
        return Access("read", (resolve_path(args.get("path"), cwd),))

    async def run(self, args: Mapping[str, object], ctx: ToolContext) -> ToolOutput:
        path = resolve_path(args.get("path"), ctx.cwd)
        text = await ctx.host.files.read_text(
            path, line=arg_int(args, "line"), limit=arg_int(args, "limit")
        )
        return ToolOutput(
            cap(text),
            (TextContent(fenced(text, path)),),
            raw_output={"path": printable(path), "chars": len(text)},
        )


class WriteFile:
    spec = ToolSpec(
        "write_file",
        "Create or overwrite a text file with `content`.",
        {
            "type": "object",
            "properties": {"path": _PATH, "content": {"type": "string"}},
            "required": ["path", "content"],
        },
        "edit",
    )

    def describe(self, args: Mapping[str, object], cwd: str) -> ToolDescription:
        path = resolve_path(args.get("path"), cwd)
        return ToolDescription(f"Write {display(path, cwd)}", "edit", (Location(path),))

    def access(self, args: Mapping[str, object], cwd: str) -> Access:
        return Access("write", (resolve_path(args.get("path"), cwd),))

    async def preview(
        self, args: Mapping[str, object], ctx: ToolContext
    ) -> tuple[ToolContent, ...]:
        path = resolve_path(args.get("path"), ctx.cwd)
        return ((await _write_diff(ctx, path, arg_str(args, "content")))[1],)

    async def run(self, args: Mapping[str, object], ctx: ToolContext) -> ToolOutput:
        path = resolve_path(args.get("path"), ctx.cwd)
        content = arg_str(args, "content")
        old, shown = await _write_diff(ctx, path, content)
        await ctx.host.files.write_text(path, content)
        verb = "Created" if old is None else "Wrote"
        return ToolOutput(
            f"{verb} {printable(path)} ({len(content)} characters)",
            (shown,),
            raw_output={"path": printable(path)},
        )


def _edits(args: Mapping[str, object]) -> list[tuple[str, str, bool]]:
    raw = args.get("edits")
    if raw is None and "old" in args:
        raw = [
            {
                "old": args.get("old"),
                "new": args.get("new"),
                "replace_all": args.get("replace_all", False),
            }
        ]
    if not isinstance(raw, list) or not raw:
        raise ToolInputError("`edits` must be a non-empty list of {old, new}")
    edits = []
    for item in raw:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("old"), str)
            or not isinstance(item.get("new"), str)
        ):
            raise ToolInputError("each edit needs string `old` and `new`")
        if not item["old"]:
            raise ToolInputError("`old` must not be empty; use write_file to create a file")
        edits.append((item["old"], item["new"], bool(item.get("replace_all", False))))
    return edits


def apply_edits(text: str, edits: list[tuple[str, str, bool]], path: str) -> str:
    for old, new, replace_all in edits:
        count = text.count(old)
        if count == 0:
            raise ToolInputError(f"the old text was not found in {path}: {old[:80]!r}")
        if count > 1 and not replace_all:
            raise ToolInputError(
                f"the old text appears {count} times in {path}; add context to make it unique or set replace_all"
            )
        text = text.replace(old, new) if replace_all else text.replace(old, new, 1)
    return text


class EditFile:
    spec = ToolSpec(
        "edit_file",
        "Replace exact text in a file. `edits` is a list of {old, new, replace_all?}; each `old` must match exactly once unless replace_all.",
        {
            "type": "object",
            "properties": {
                "path": _PATH,
                "edits": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "old": {"type": "string"},
                            "new": {"type": "string"},
                            "replace_all": {"type": "boolean"},
                        },
                        "required": ["old", "new"],
                    },
                },
            },
            "required": ["path", "edits"],
        },
        "edit",
    )

    def describe(self, args: Mapping[str, object], cwd: str) -> ToolDescription:
        path = resolve_path(args.get("path"), cwd)
        return ToolDescription(f"Edit {display(path, cwd)}", "edit", (Location(path),))

    def access(self, args: Mapping[str, object], cwd: str) -> Access:
        return Access("write", (resolve_path(args.get("path"), cwd),))

    async def _plan(self, args: Mapping[str, object], ctx: ToolContext) -> tuple[str, str, str]:
        path = resolve_path(args.get("path"), ctx.cwd)
        edits = _edits(args)  # bad arguments are refused before the file is read
        old = await ctx.host.files.read_whole(path, max_bytes=ctx.max_edit_bytes)
        return path, old, apply_edits(old, edits, display(path, ctx.cwd))

    async def preview(
        self, args: Mapping[str, object], ctx: ToolContext
    ) -> tuple[ToolContent, ...]:
        try:
            path, old, new = await self._plan(args, ctx)
        except (ToolInputError, FileAccessError) as error:
            return (TextContent(f"(cannot preview: {error})"),)
        return (DiffContent(path, old, new),)

    async def run(self, args: Mapping[str, object], ctx: ToolContext) -> ToolOutput:
        path, old, new = await self._plan(args, ctx)
        await ctx.host.files.write_text(path, new)
        return ToolOutput(
            f"Edited {printable(path)}",
            (DiffContent(path, old, new),),
            raw_output={"path": printable(path)},
        )


class ListDir(NoPreview):
    spec = ToolSpec(
        "list_dir",
        "List a directory (directories end with /).",
        {"type": "object", "properties": {"path": _PATH}},
        "read",
    )

    def describe(self, args: Mapping[str, object], cwd: str) -> ToolDescription:
        path = resolve_path(args.get("path", "."), cwd)
        return ToolDescription(f"List {display(path, cwd)}", "read", (Location(path),))

    def access(self, args: Mapping[str, object], cwd: str) -> Access:
        return Access("read", (resolve_path(args.get("path", "."), cwd),))

    async def run(self, args: Mapping[str, object], ctx: ToolContext) -> ToolOutput:
        path = resolve_path(args.get("path", "."), ctx.cwd)
        try:
            names = await fs_call(_list, path, what="list", path=path)
        except OSError as error:
            raise FileAccessError(f"cannot list {printable(path)}: {error.strerror}") from None
        return ToolOutput(cap("\n".join(names) or "(empty)"), raw_output={"count": len(names)})


def _list(path: str) -> list[str]:
    with os.scandir(path) as scan:
        entries = sorted(scan, key=lambda e: e.name)
    return [printable(e.name) + ("/" if e.is_dir() else "") for e in entries]


def _walk(root: str) -> list[str]:
    """Regular files under `root` in path order, as the OS names them (symlinked
    files followed, symlinked directories not): a FIFO, device or socket is no
    file to search."""
    found: list[str] = []
    try:
        with os.scandir(root) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in _SKIP_DIRS:
                    found.extend(_walk(entry.path))
            elif entry.is_file():
                found.append(entry.path)
    return found


class Glob(NoPreview):
    spec = ToolSpec(
        "glob",
        "Find files by glob pattern (e.g. **/*.py) under `path`.",
        {
            "type": "object",
            "properties": {"pattern": {"type": "string"}, "path": _PATH},
            "required": ["pattern"],
        },
        "search",
    )

    def describe(self, args: Mapping[str, object], cwd: str) -> ToolDescription:
        return ToolDescription(f"Find {args.get('pattern')}", "search")

    def access(self, args: Mapping[str, object], cwd: str) -> Access:
        return Access("read", (resolve_path(args.get("path", "."), cwd),))

    async def run(self, args: Mapping[str, object], ctx: ToolContext) -> ToolOutput:
        root = resolve_path(args.get("path", "."), ctx.cwd)
        pattern = arg_str(args, "pattern")
        # Walks run off the loop: a large tree must not stall the event loop.
        matches = await fs_call(_glob, root, pattern, what="search", path=root, timeout=60)
        shown = [printable(display(p, ctx.cwd)) for p in matches[:500]]
        more = f"\n[{len(matches) - 500} more]" if len(matches) > 500 else ""
        return ToolOutput(
            "\n".join(shown) + more or "(no matches)", raw_output={"count": len(matches)}
        )


def _glob(root: str, pattern: str) -> list[str]:
    return [
        p
        for p in _walk(root)
        if fnmatch.fnmatch(os.path.relpath(p, root), pattern)
        or fnmatch.fnmatch(os.path.basename(p), pattern)
    ]


class Grep(NoPreview):
    spec = ToolSpec(
        "grep",
        "Search file contents with a regular expression; prints path:line:text.",
        {
            "type": "object",
            "properties": {
                "pattern": {"type": "string"},
                "path": _PATH,
                "glob": {"type": "string"},
            },
            "required": ["pattern"],
        },
        "search",
    )

    def describe(self, args: Mapping[str, object], cwd: str) -> ToolDescription:
        return ToolDescription(f"Search for {args.get('pattern')!r}", "search")

    def access(self, args: Mapping[str, object], cwd: str) -> Access:
        return Access("read", (resolve_path(args.get("path", "."), cwd),))

    async def run(self, args: Mapping[str, object], ctx: ToolContext) -> ToolOutput:
        root = resolve_path(args.get("path", "."), ctx.cwd)
        pattern = arg_str(args, "pattern")
        glob = args.get("glob")
        file_glob = glob if isinstance(glob, str) else None
        try:
            regex = re.compile(pattern)
        except re.error as error:
            raise ToolInputError(f"invalid regular expression: {error}") from None
        import shutil  # here: the module (with lzma, bz2) is not needed until a grep

        lines = await _ripgrep(pattern, root, file_glob) if shutil.which("rg") else None
        if lines is None:
            lines = await fs_call(
                _python_grep, regex, root, file_glob, what="search", path=root, timeout=60
            )
        shown = [
            printable(display(line.split(":", 1)[0], ctx.cwd) + ":" + line.split(":", 1)[1])
            for line in lines[:200]
            if ":" in line
        ]
        more = f"\n[{len(lines) - 200} more matches]" if len(lines) > 200 else ""
        return ToolOutput(
            cap("\n".join(shown) + more) or "(no matches)", raw_output={"matches": len(lines)}
        )


async def _ripgrep(pattern: str, root: str, file_glob: str | None) -> list[str] | None:
    """None when rg cannot answer (then the pure-Python search does)."""
    argv = ["rg", "--line-number", "--with-filename", "--no-heading", "--color", "never"]
    argv += ["--sort", "path", "-e", pattern]
    argv += ["--glob", file_glob] if file_glob else []
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            root,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError:
        return None
    try:
        out, _ = await asyncio.wait_for(process.communicate(), 60)
    except TimeoutError:
        _kill(process)
        await process.wait()
        return None
    except asyncio.CancelledError:
        _kill(process)  # the child is reaped by the loop's child watcher
        raise
    if process.returncode not in (0, 1):
        return None
    return out.decode("utf-8", "replace").splitlines()


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.kill()


def _python_grep(regex: re.Pattern[str], root: str, file_glob: str | None) -> list[str]:
    out = []
    for path in _walk(root) if os.path.isdir(root) else [root]:
        if file_glob and not fnmatch.fnmatch(os.path.basename(path), file_glob):
            continue
        try:
            # open_regular, not open(): a FIFO given as the root would wait for a writer.
            with open(open_regular(path), encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if regex.search(line):
                        out.append(f"{path}:{number}:{line.rstrip()}")
        except (OSError, UnicodeDecodeError, FileAccessError):
            continue  # binary, unreadable or not a regular file: skipped like ripgrep does
    return out
