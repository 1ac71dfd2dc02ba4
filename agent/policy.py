"""Which tool calls run, ask, or are refused.

Order of precedence: a config `deny` pattern refuses; yolo allows everything
else; read-only refuses writes, commands and unannotated external tools; a
sensitive path (.env*, .git/, .ssh/, keys) asks; a config `allow` pattern
allows; a write or read outside the session roots asks; then the mode decides.
Patterns are `tool` or `tool:argument-glob` (the argument is the command line,
or the path), e.g. `run_command:git *` or `mcp__github__*`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import msgspec

if TYPE_CHECKING:
    # The mode list is read when a session opens, the rules only when a tool
    # is called: the tool API and path rules (~1.5 ms) load with the first call.
    from agent.tools.api import Access

Mode = Literal["ask", "accept-edits", "read-only", "yolo"]
Action = Literal["allow", "ask", "deny"]


class ModeInfo(msgspec.Struct, frozen=True):
    id: Mode
    name: str  # shown in the editor's mode picker
    description: str  # for the user: what the mode does
    prompt: str  # for the model: what the mode means for its work


# The one list of modes: config validation, flags, the editor's picker, the
# slash command and the system prompt all read it.
MODE_INFO: tuple[ModeInfo, ...] = (
    ModeInfo(
        "ask",
        "Ask",
        "Ask before edits and commands",
        "The user approves each edit and command before it runs.",
    ),
    ModeInfo(
        "accept-edits",
        "Accept edits",
        "Edits inside the project run without asking; commands ask",
        "Edits inside the session directories run without asking; commands need approval.",
    ),
    ModeInfo(
        "read-only",
        "Read-only",
        "Plan only: edits and commands are refused",
        "Read-only planning mode: edits and commands are refused. Investigate and propose a plan.",
    ),
    ModeInfo(
        "yolo",
        "Yolo",
        "Never ask, not even for sensitive paths",
        "Every tool call runs without asking. Be careful.",
    ),
)
MODES: tuple[Mode, ...] = tuple(info.id for info in MODE_INFO)


def mode_info(mode: str) -> ModeInfo | None:
    """The mode named `mode`, or None for a name that is no mode."""
    return next((info for info in MODE_INFO if info.id == mode), None)


class Decision(msgspec.Struct, frozen=True):
    action: Action
    reason: str
    by: str  # "mode:ask", "rule:run_command:git *", "sensitive", "roots", ...


def _matches(patterns: Sequence[str], tool: str, access: Access) -> str | None:
    arguments = [access.command] if access.command else list(access.paths)
    for pattern in patterns:
        name, sep, arg_glob = pattern.partition(":")
        if not fnmatch.fnmatchcase(tool, name):
            continue
        if not sep or any(fnmatch.fnmatchcase(arg, arg_glob) for arg in arguments):
            return pattern
    return None


def decide(
    tool: str,
    access: Access,
    *,
    mode: str,
    roots: Sequence[str],
    allow: Sequence[str] = (),
    deny: Sequence[str] = (),
) -> Decision:
    from agent.tools.paths import is_sensitive, within_roots

    if rule := _matches(deny, tool, access):
        return Decision("deny", f"denied by the rule {rule!r}", f"rule:{rule}")
    if mode == "yolo":
        return Decision("allow", "yolo mode", "mode:yolo")
    changes = access.kind in ("write", "execute") or (
        access.kind == "external" and not access.read_only_hint
    )
    if mode == "read-only" and changes:
        return Decision(
            "deny",
            "read-only mode (edits, commands and tools with side effects are refused)",
            "mode:read-only",
        )
    sensitive = [p for p in access.paths if is_sensitive(p)]
    if sensitive:
        return Decision("ask", f"sensitive path {sensitive[0]}", "sensitive")
    if rule := _matches(allow, tool, access):
        return Decision("allow", f"allowed by the rule {rule!r}", f"rule:{rule}")
    outside = [p for p in access.paths if not within_roots(p, roots)]
    if outside:
        return Decision("ask", f"{outside[0]} is outside the session directories", "roots")
    if not changes:
        return Decision("allow", "reads are allowed", f"mode:{mode}")
    if mode == "accept-edits" and access.kind == "write":
        return Decision("allow", "accept-edits mode", "mode:accept-edits")
    return Decision(
        "ask",
        f"{mode} mode asks before {'edits' if access.kind == 'write' else 'commands' if access.kind == 'execute' else 'external tools'}",
        f"mode:{mode}",
    )


__all__ = ["MODES", "MODE_INFO", "Action", "Decision", "Mode", "ModeInfo", "decide", "mode_info"]
