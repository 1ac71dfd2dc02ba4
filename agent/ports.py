"""What the engine needs from its host, as structural `Protocol`s.

The ACP server backs these with the editor (permission prompts, `fs/*`,
`terminal/*`) or local disk; the headless runner backs them with local disk and
subprocesses; an embedding program brings its own. The engine never knows which.

Also here: the prompt the host hands to `Engine.submit()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal, Protocol, runtime_checkable

import msgspec

from agent.events import Location, ToolContent, ToolKind

# ---------------------------------------------------------------- prompt input


class TextPart(msgspec.Struct, frozen=True):
    text: str


class ImagePart(msgspec.Struct, frozen=True):
    data: str  # base64
    mime_type: str


class ResourcePart(msgspec.Struct, frozen=True):
    """Context the user attached. `text` is None when it could not be read; then
    `note` says why, and the model is told so instead of the host crashing."""

    uri: str
    text: str | None = None
    mime_type: str | None = None
    note: str | None = None


PromptPart = TextPart | ImagePart | ResourcePart


# ---------------------------------------------------------------- permission

PermissionOutcome = Literal[
    "allow_once", "allow_always", "reject_once", "reject_always", "cancelled"
]


class PermissionRequest(msgspec.Struct, frozen=True):
    """Shows the user exactly what is being approved: the command or the diff."""

    call_id: str
    tool: str
    title: str
    kind: ToolKind
    raw_input: Mapping[str, object]
    content: tuple[ToolContent, ...] = ()
    locations: tuple[Location, ...] = ()
    reason: str = ""  # why the policy asks, e.g. "sensitive path .env"


@runtime_checkable
class PermissionGate(Protocol):
    async def request(self, request: PermissionRequest) -> PermissionOutcome:
        """Ask the user. Timeouts and unknown answers must come back as a reject."""
        ...


# ---------------------------------------------------------------- files


#: The default largest file `edit_file` changes (hosts pass their configured limit).
MAX_EDIT_BYTES = 8 * 1024 * 1024


class FileAccessError(Exception):
    """A file could not be read or written; the message is shown to the model."""


class NotEditable(FileAccessError):
    """The file is there but cannot be changed as text without loss: larger than
    the edit limit, not a regular file, binary, or not UTF-8. The message says which."""


@runtime_checkable
class FileSystem(Protocol):
    """Hosts read only regular files (a FIFO, a device or a terminal is refused
    at once, never opened to wait) and never block the event loop."""

    async def read_text(
        self, path: str, *, line: int | None = None, limit: int | None = None
    ) -> str:
        """Text of an absolute path for showing; `line` is 1-based. May be capped
        (then it ends with a marker) and lossy: never write it back. Raises
        FileAccessError."""
        ...

    async def read_whole(self, path: str, *, max_bytes: int) -> str:
        """The complete text of a file that is about to be changed: never capped,
        never lossy. Raises NotEditable when it is larger than `max_bytes`, not a
        regular file, binary or not UTF-8; FileAccessError when it cannot be read."""
        ...

    async def write_text(self, path: str, content: str) -> None:
        """Write `content` as UTF-8 to an absolute path atomically, keeping its
        mode; refuse what is not a regular file. Raises FileAccessError."""
        ...


# ---------------------------------------------------------------- commands


class CommandResult(msgspec.Struct, frozen=True):
    exit_code: int | None  # None when killed by a signal or the timeout
    output: str  # combined stdout+stderr, tail-capped
    truncated: bool = False
    timed_out: bool = False
    signal: str | None = None
    terminal_id: str | None = None  # set when the host ran it in an editor terminal


@runtime_checkable
class CommandRunner(Protocol):
    async def run(
        self,
        command: str,
        *,
        cwd: str,
        timeout: float,
        on_terminal: Callable[[str], None] | None = None,
    ) -> CommandResult:
        """Run `command` through the shell. Call `on_terminal(id)` as soon as an
        editor terminal exists, so the tool call can show it live. Cancelling the
        awaiting task must kill the process group (or the editor terminal) and
        release it before returning."""
        ...


class Host(msgspec.Struct, frozen=True):
    """Everything the engine borrows from its host for one session."""

    permissions: PermissionGate
    files: FileSystem
    commands: CommandRunner
