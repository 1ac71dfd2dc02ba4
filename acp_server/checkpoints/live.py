"""Rewinding a live session over ACP: `/rewind`, `/undo`, `/fork N` and the
`_acp_server/rewind` and `_acp_server/checkpoints` methods share this.

The session lends what a rewind needs through `RewindSession` (never itself):
the store, its mode and roots, its history, a way to ask the user, and the
editor's `fs/write_text_file` when the client offers it. The rules:

- The mode's rules apply as for any write: read-only mode (or a `deny` rule)
  refuses a rewind that would change files; a sensitive path or one outside
  the session's directories asks first. A rewind that changes no file (the
  conversation only) is allowed in every mode.
- A file changed since the agent last wrote it is never overwritten silently:
  the user is asked through `session/request_permission` (restore anyway /
  skip those files / cancel), with each such file shown as a diff, unless the
  caller already chose (`conflicts="skip"` or `"restore"`). An editor plugin
  calling `_acp_server/rewind` outside a prompt gets them reported instead
  (`"report"`: nothing changed, `undecided` lists them) and asks in its own UI:
  a question outside a turn would be turn content after its end.
- The question is a tool call of its own that is not kept for replay: the
  stored replay of turns >= N is cut by the rewind, and what remains says
  what was done, in the reply.
- On success the history is cut in the store and in the engine, so the next
  prompt sees only what came before turn N.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

import msgspec

from acp_server.checkpoints.plan import PlannedFile, render_diff
from acp_server.checkpoints.restore import RewindResult, TextWriter
from acp_server.checkpoints.rewind import (
    Prepared,
    RewindRefused,
    TurnSummary,
    finish,
    first_line,
    history_cut,
    listing,
    prepare,
)
from acp_server.store import SessionStore
from agent.fileio import off_loop, printable

ConflictChoice = Literal["ask", "skip", "restore", "report"]
_ids = itertools.count(1)


class RewindSession(Protocol):
    """What a session lends a rewind."""

    @property
    def id(self) -> str: ...

    @property
    def store(self) -> SessionStore: ...

    @property
    def mode(self) -> str: ...

    @property
    def roots(self) -> Sequence[str]: ...

    @property
    def rules(self) -> tuple[Sequence[str], Sequence[str]]:
        """The config's (allow, deny) patterns."""
        ...

    @property
    def history(self) -> Sequence[Mapping[str, object]]: ...

    def replace_history(self, messages: Sequence[Mapping[str, object]]) -> None:
        """Make `messages` the engine's history (the store is already cut)."""
        ...

    @property
    def writer(self) -> TextWriter | None:
        """The editor's `fs/write_text_file`, when the client offers it."""
        ...

    async def send(self, update: dict[str, object], *, persist: bool = True) -> None: ...

    async def ask(self, tool_call: dict[str, object], options: list[dict[str, object]]) -> str:
        """`session/request_permission`; the chosen optionId ("" for none)."""
        ...


class Outcome(msgspec.Struct, frozen=True):
    result: RewindResult
    turn: int
    cancelled: bool = False
    # With conflicts="report": the files that need the caller's choice.
    undecided: tuple[str, ...] = ()
    title: str | None = None  # the session's title after the rewind


_OPTIONS: list[dict[str, object]] = [
    {"optionId": "restore", "name": "Restore anyway", "kind": "allow_once"},
    {"optionId": "skip", "name": "Skip those files", "kind": "reject_once"},
    {"optionId": "cancel", "name": "Cancel the rewind", "kind": "reject_once"},
]


async def rewind(
    session: RewindSession, turn: int, *, conflicts: ConflictChoice = "ask"
) -> Outcome:
    """Rewind to before `turn`; RewindError when it cannot be done at all.

    `conflicts`: "ask" the user (through `session.ask`), "skip" or "restore"
    such files without asking, or "report" them and change nothing (a client
    that asks in its own UI, then calls again with its choice)."""
    store = session.store
    prepared: Prepared = await off_loop(prepare, store, session.id, turn)
    work = prepared.plan.work
    if work:
        _check_mode(session, [f.path for f in work])
    history = session.history
    history_cut(history, prepared.row)  # refused before anyone is asked
    skip: set[str] = set()
    decided: set[str] = set()
    for files, why in (
        (_asking(session, work), "sensitive"),
        (prepared.plan.conflicts, "conflict"),
    ):
        files = [f for f in files if f.path not in decided]
        if not files:
            continue
        choice: str = conflicts
        if conflicts == "ask":
            choice = await _ask(session, turn, files, why)
        if choice not in ("restore", "skip"):
            undecided = _undecided(prepared, _asking(session, work))
            return Outcome(
                RewindResult(conflicts=tuple(f.path for f in prepared.plan.conflicts)),
                turn,
                cancelled=True,
                undecided=undecided if choice == "report" else (),
            )
        decided |= {f.path for f in files}
        if choice == "skip":
            skip |= {f.path for f in files}
    result, cut = await finish(
        store, session.id, prepared, messages=history, skip=skip, writer=session.writer
    )
    if not result.failed:
        session.replace_history(history[:cut])
    return Outcome(result, turn, title=prepared.row.title_before)


def _undecided(prepared: Prepared, asking: list[PlannedFile]) -> tuple[str, ...]:
    paths = [f.path for f in asking] + [f.path for f in prepared.plan.conflicts]
    return tuple(dict.fromkeys(paths))


def _check_mode(session: RewindSession, paths: list[str]) -> None:
    from agent import decide
    from agent.tools import Access

    deny = session.rules[1]
    verdict = decide(
        "rewind", Access("write", tuple(paths)), mode=session.mode, roots=session.roots, deny=deny
    )
    if verdict.action == "deny":
        raise RewindRefused(f"the files cannot be changed: {verdict.reason}")


def _asking(session: RewindSession, work: list[PlannedFile]) -> list[PlannedFile]:
    """The files whose write asks whatever the mode: sensitive or outside the roots."""
    from agent import decide
    from agent.tools import Access

    allow, deny = session.rules
    found = []
    for item in work:
        verdict = decide(
            "rewind",
            Access("write", (item.path,)),
            mode="accept-edits",  # the user asked for this rewind: the mode's own asking is done
            roots=session.roots,
            allow=allow,
            deny=deny,
        )
        if verdict.action == "ask":
            found.append(item)
    return found


async def _ask(session: RewindSession, turn: int, files: list[PlannedFile], why: str) -> str:
    """Ask about `files` as one tool call whose content shows each as a diff."""
    blobs = session.store.checkpoints.blobs
    content: list[dict[str, object]] = []
    for item in files:
        target = await off_loop(blobs.get, item.target_blob) if item.target_blob else None
        diff = render_diff(item.path, item.current.data, target)
        content.append(
            {"type": "content", "content": {"type": "text", "text": f"```diff\n{diff}```"}}
        )
    lead = (
        "changed since the agent wrote them"
        if why == "conflict"
        else "are sensitive or outside the session's directories"
    )
    call_id = f"rewind_{turn}_{next(_ids)}"
    tool_call: dict[str, object] = {
        "toolCallId": call_id,
        "title": f"Rewind to before turn {turn}: {len(files)} file(s) {lead}",
        "kind": "edit",
        "status": "pending",
        "content": content,
        "locations": [{"path": printable(f.path)} for f in files],
    }
    await session.send({"sessionUpdate": "tool_call", **tool_call}, persist=False)
    choice = ""
    try:
        choice = await session.ask(tool_call, _OPTIONS)
    finally:
        status = "completed" if choice in ("restore", "skip") else "failed"
        update: dict[str, object] = {
            "sessionUpdate": "tool_call_update",
            "toolCallId": call_id,
            "status": status,
        }
        await session.send(update, persist=False)
    return choice


def report(outcome: Outcome) -> str:
    """The Markdown reply that says what a rewind did."""
    result = outcome.result
    if outcome.cancelled:
        return f"Rewind to before turn {outcome.turn} cancelled; nothing was changed."
    lines = []
    if result.failed:
        lines.append(f"Rewind to before turn {outcome.turn} stopped; the conversation was kept:")
        lines += [f"- could not restore `{printable(p)}`: {why}" for p, why in result.failed]
        return "\n".join(lines)
    lines.append(
        f"Rewound to before turn {outcome.turn}: {len(result.restored)} file(s) restored"
        + (f", {len(result.skipped)} kept as you changed them" if result.skipped else "")
        + "; the conversation continues from there."
    )
    lines += [f"- restored `{printable(p)}`" for p in result.restored]
    lines += [f"- kept `{printable(p)}`" for p in result.skipped]
    return "\n".join(lines)


def render_listing(turns: list[TurnSummary]) -> str:
    """`/rewind` without a number: the session's checkpoints as Markdown."""
    if not turns:
        return "No checkpoints yet: each turn that reaches the model gets one."
    import datetime as dt

    lines = ["**Checkpoints** (`/rewind N` returns to before turn N, `/undo` undoes the last)", ""]
    for t in turns:
        when = dt.datetime.fromtimestamp(t.started_at).strftime("%H:%M")
        names = ", ".join(f"`{printable(p)}`" for p in t.files[:5]) + (
            " …" if len(t.files) > 5 else ""
        )
        lines.append(
            f"{t.turn}. {when} {first_line(t.prompt)[:60]}: {len(t.files)} file(s) {names}".rstrip()
        )
        if t.commands:
            lines.append("   - commands ran: their effects are not captured")
        if t.mcp:
            lines.append("   - MCP tools ran: their effects are not captured")
        if t.dropped:
            lines.append("   - file checkpoints dropped for the size caps")
    return "\n".join(lines)


def wire_listing(store: SessionStore, session_id: str) -> list[dict[str, object]]:
    """`_acp_server/checkpoints`' answer: one entry per turn."""
    return [
        {
            "turn": t.turn,
            "prompt": t.prompt,
            "startedAt": t.started_at,
            "files": [printable(p) for p in t.files],
            "commandsRan": t.commands,
            "mcpToolsRan": t.mcp,
            "checkpointsDropped": t.dropped,
        }
        for t in listing(store, session_id)
    ]


def wire_result(outcome: Outcome) -> dict[str, object]:
    """`_acp_server/rewind`'s answer."""
    result = outcome.result
    return {
        "restored": [printable(p) for p in result.restored],
        "skipped": [printable(p) for p in result.skipped],
        "conflicts": [printable(p) for p in result.conflicts],
        "failed": [{"path": printable(p), "error": why} for p, why in result.failed],
        "applied": not outcome.cancelled and not result.failed,
        "undecided": [printable(p) for p in outcome.undecided],
    }


__all__ = [
    "ConflictChoice",
    "Outcome",
    "RewindSession",
    "render_listing",
    "report",
    "rewind",
    "wire_listing",
    "wire_result",
]
