"""Slash commands answered locally (no model call), and skills as commands.

Each skill (see skills.py) becomes `/NAME`, which injects the skill body into
the turn. Unknown `/words` are not commands: they go to the model as text.
The command list a session announces is built once per set of skills.

A command sees the session only through `CommandHost`, the few things a
command may read or change; the session satisfies it, and nothing here
imports the session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

import msgspec

from acp_server.server.skills import Skill, discover_skills
from agent.policy import MODES

if TYPE_CHECKING:
    from agent.tools.info import ToolInfo


class CommandOutcome(msgspec.Struct, frozen=True):
    reply: str | None = None  # Markdown sent as the agent's answer
    run_prompt: str | None = None  # or text to run as the turn's prompt


class CommandHost(Protocol):
    """What a slash command may use of its session."""

    @property
    def model(self) -> str | None: ...

    @property
    def mode(self) -> str: ...

    @property
    def skills(self) -> list[Skill]: ...

    @property
    def grants(self) -> set[str]: ...

    async def set_option(self, config_id: str, value: object) -> list[dict[str, object]]: ...

    def model_choices(self) -> list[str]: ...

    async def compact(self) -> bool: ...

    def context_usage(self) -> tuple[int, int]: ...

    def message_count(self) -> int: ...

    def costs(self) -> tuple[float, float | None]:
        """The session's cost so far and the last turn's (None: unknown), in USD."""
        ...

    def tool_infos(self) -> list[ToolInfo]: ...

    def mcp_status(self) -> list[dict[str, object]]: ...

    def clear_history(self) -> None:
        """A fresh model history, persisted."""
        ...

    async def checkpoint_listing(self) -> str:
        """The session's turns and the files each changed, as Markdown."""
        ...

    async def rewind(self, turn: int | None) -> str:
        """Rewind files and conversation to before `turn` (None: the last); the reply."""
        ...

    async def fork_before(self, turn: int) -> str:
        """A new session from the conversation before `turn`; its id."""
        ...


Handler = Callable[[CommandHost, str], Awaitable[CommandOutcome]]


async def _help(session: CommandHost, _args: str) -> CommandOutcome:
    lines = ["**Commands**", ""]
    lines += [f"- `/{c['name']}`: {c['description']}" for c in available_commands(session.skills)]
    return CommandOutcome("\n".join(lines))


async def _model(session: CommandHost, args: str) -> CommandOutcome:
    if args:
        await session.set_option("model", args.strip())
        return CommandOutcome(f"Model set to `{session.model}`.")
    choices = ", ".join(f"`{m}`" for m in session.model_choices())
    return CommandOutcome(f"Current model: `{session.model}`. Available: {choices}")


async def _mode(session: CommandHost, args: str) -> CommandOutcome:
    if args:
        await session.set_option("mode", args.strip())
        return CommandOutcome(f"Mode set to `{session.mode}`.")
    return CommandOutcome(f"Current mode: `{session.mode}` ({', '.join(MODES)}).")


async def _compact(session: CommandHost, _args: str) -> CommandOutcome:
    done = await session.compact()
    used, window = session.context_usage()
    return CommandOutcome(
        f"Compacted: the context now holds about {used:,} of {window:,} tokens."
        if done
        else "Nothing to compact yet."
    )


async def _context(session: CommandHost, _args: str) -> CommandOutcome:
    used, window = session.context_usage()
    share = 100 * used / window if window else 0
    return CommandOutcome(
        f"Context: about {used:,} of {window:,} tokens ({share:.1f}%), {session.message_count()} messages."
    )


async def _cost(session: CommandHost, _args: str) -> CommandOutcome:
    total, last = session.costs()
    last_text = "unknown" if last is None else f"${last:.4f}"
    return CommandOutcome(f"Session cost: ${total:.4f}. Last turn: {last_text}.")


async def _tools(session: CommandHost, _args: str) -> CommandOutcome:
    lines = [
        f"**Tools** (mode `{session.mode}`)",
        "",
        "| tool | source | permission |",
        "|---|---|---|",
    ]
    lines += [f"| `{t.name}` | {t.source} | {t.permission} |" for t in session.tool_infos()]
    # Answers of "always" given in this session: they change what asks.
    rules = sorted(session.grants)
    if rules:
        lines += ["", "**Answered for this session**", ""]
        lines += [
            f"- always {'allow' if rule.startswith('allow:') else 'reject'} `{rule.partition(':')[2]}`"
            for rule in rules
        ]
    return CommandOutcome("\n".join(lines))


async def _mcp(session: CommandHost, _args: str) -> CommandOutcome:
    statuses = session.mcp_status()
    if not statuses:
        return CommandOutcome("No MCP servers in this session.")
    lines = ["| server | transport | state | tools |", "|---|---|---|---|"]
    lines += [
        f"| {s['name']} | {s['transport']} | {s['state']}{': ' + str(s['error']) if s.get('error') else ''} | {s['tools']} |"
        for s in statuses
    ]
    return CommandOutcome("\n".join(lines))


async def _clear(session: CommandHost, _args: str) -> CommandOutcome:
    session.clear_history()
    return CommandOutcome("Started a fresh conversation in this session.")


def _turn_number(args: str) -> int | None:
    text = args.strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


async def _rewind(session: CommandHost, args: str) -> CommandOutcome:
    if not args.strip():
        return CommandOutcome(await session.checkpoint_listing())
    turn = _turn_number(args)
    if turn is None:
        return CommandOutcome(f"`/rewind N` takes a turn number (see `/rewind`), not {args!r}.")
    return CommandOutcome(await session.rewind(turn))


async def _undo(session: CommandHost, _args: str) -> CommandOutcome:
    return CommandOutcome(await session.rewind(None))


async def _fork(session: CommandHost, args: str) -> CommandOutcome:
    turn = _turn_number(args)
    if turn is None:
        return CommandOutcome("`/fork N` takes the turn number to branch before (see `/rewind`).")
    try:
        new_id = await session.fork_before(turn)
    except (LookupError, ValueError) as error:
        return CommandOutcome(f"Cannot fork: {error}.")
    return CommandOutcome(
        f"Forked the conversation before turn {turn} into session `{new_id}`; files were "
        "not changed. Open it from the session list."
    )


BUILTINS: dict[str, tuple[str, str | None, Handler]] = {
    "help": ("List the commands", None, _help),
    "model": ("Show or switch the model", "model id", _model),
    "mode": ("Show or switch the permission mode", " | ".join(MODES), _mode),
    "compact": ("Summarise older history now", None, _compact),
    "context": ("Tokens used and the context window", None, _context),
    "cost": ("Session and last-turn cost", None, _cost),
    "tools": ("Tools and their permission state", None, _tools),
    "mcp": ("MCP server status", None, _mcp),
    "clear": ("Start a fresh history in this session", None, _clear),
    "rewind": (
        "List checkpoints, or restore files and conversation to before turn N",
        "N",
        _rewind,
    ),
    "undo": ("Undo the last turn's file changes and conversation", None, _undo),
    "fork": ("Start a new session from the conversation before turn N", "N", _fork),
}


# The last skills list and the commands built for it: discover_skills returns
# the same list object while no skill changed, so most sessions reuse it.
_announced: tuple[list[Skill], list[dict[str, object]]] | None = None


def available_commands(skills: list[Skill]) -> list[dict[str, object]]:
    """The built-in commands, then the skills; shared between sessions, so
    read-only."""
    global _announced
    if _announced is not None and _announced[0] is skills:
        return _announced[1]
    commands = _command_list(skills)
    _announced = (skills, commands)
    return commands


def _command_list(skills: list[Skill]) -> list[dict[str, object]]:
    commands: list[dict[str, object]] = []
    for name, (description, hint, _) in BUILTINS.items():
        entry: dict[str, object] = {"name": name, "description": description}
        if hint:
            entry["input"] = {"hint": hint}
        commands.append(entry)
    commands += [
        {"name": s.name, "description": s.description, "input": {"hint": "what to apply it to"}}
        for s in skills
        if s.name not in BUILTINS
    ]
    return commands


async def dispatch(text: str, session: CommandHost) -> CommandOutcome | None:
    """None when `text` is not one of our commands (it then goes to the model)."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return None
    name, _, args = stripped[1:].partition(" ")
    if name in BUILTINS:
        return await BUILTINS[name][2](session, args.strip())
    for skill in session.skills:
        if skill.name == name:
            request = f"\n\nApply it to: {args.strip()}" if args.strip() else ""
            return CommandOutcome(run_prompt=f"{skill.body}{request}")
    return None


__all__ = [
    "BUILTINS",
    "CommandHost",
    "CommandOutcome",
    "Skill",
    "available_commands",
    "discover_skills",
    "dispatch",
]
