"""Slash commands answered locally (no model call), and skills.

Skills follow the open agent-skills format: a folder holding `SKILL.md` whose
YAML front matter has `name` and `description`. They are found in
`$ACP_SERVER_HOME/skills/` and `<cwd>/.agents/skills/` (the project wins on a
name clash), and each becomes `/NAME`, which injects the skill body into the
turn. Unknown `/words` are not commands: they go to the model as text.

A command sees the session only through `CommandHost`, the few things a
command may read or change; the session satisfies it, and nothing here
imports the session.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import msgspec

from agent.policy import MODES

if TYPE_CHECKING:
    from agent.tools.info import ToolInfo

log = logging.getLogger("acp_server.server.commands")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)


class Skill(msgspec.Struct, frozen=True):
    name: str
    description: str
    body: str
    path: str


class CommandOutcome(msgspec.Struct, frozen=True):
    reply: str | None = None  # Markdown sent as the agent's answer
    run_prompt: str | None = None  # or text to run as the turn's prompt


def _parse_skill(path: str) -> Skill | None:
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        log.warning("cannot read skill %s: %s", path, error)
        return None
    match = _FRONT_MATTER.match(text)
    if not match:
        log.warning("skill %s has no front matter; skipped", path)
        return None
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip().strip("\"'")
    name, description = fields.get("name", ""), fields.get("description", "")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", name) or not description:
        log.warning("skill %s needs a simple `name` and a `description`; skipped", path)
        return None
    return Skill(name, description, match.group(2).strip(), path)


# Per skills folder: what its SKILL.md files looked like (name, mtime, size)
# when they were last parsed, and the skills parsed then. Every new session
# looks again, so an edited skill shows up without a restart, but a folder
# that did not change costs a directory scan and a stat per skill, not a parse.
_parsed: dict[str, tuple[tuple[tuple[str, int, int], ...], list[Skill]]] = {}


def _skills_in(root: str) -> list[Skill]:
    try:
        with os.scandir(root) as entries:
            folders = sorted(entry.name for entry in entries if entry.is_dir())
    except OSError:  # no such folder (the usual case), or not a folder
        _parsed.pop(root, None)
        return []
    marks: list[tuple[str, int, int]] = []
    for folder in folders:
        try:
            st = os.stat(os.path.join(root, folder, "SKILL.md"))
        except OSError:
            continue
        marks.append((folder, st.st_mtime_ns, st.st_size))
    key = tuple(marks)
    cached = _parsed.get(root)
    if cached is not None and cached[0] == key:
        return cached[1]
    skills = [
        skill
        for folder, _, _ in marks
        if (skill := _parse_skill(os.path.join(root, folder, "SKILL.md")))
    ]
    _parsed[root] = (key, skills)
    return skills


def discover_skills(home: Path | None, cwd: str) -> list[Skill]:
    found: dict[str, Skill] = {}
    roots = ([os.path.join(home, "skills")] if home else []) + [
        os.path.join(cwd, ".agents", "skills")
    ]
    for root in roots:
        for skill in _skills_in(root):
            found[skill.name] = skill  # later roots (the project) win
    return sorted(found.values(), key=lambda s: s.name)


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
}


def available_commands(skills: list[Skill]) -> list[dict[str, object]]:
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
