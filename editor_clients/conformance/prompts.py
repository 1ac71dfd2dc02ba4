"""The prompts the kit sends, and the TOML prompt pack that adapts them.

Requirements that need the agent to act (write a file, run a command, call an
MCP tool, take long enough for a cancel) send plain-language requests to any
agent, and judge what comes back through the client: fs and terminal calls,
permission requests, tool-call statuses. acp-server gets its scripted
directives instead, so its own runs are deterministic. A pack given with
`--prompts FILE` replaces either set:

    [prompts]
    simple = "Say hello in one short sentence."
    long = "Write a 2000-word essay on the history of version control."
    write_file = "Create a file named conformance-check.txt containing the word ok."
    run_command = "Run the command `echo conformance` in a terminal."
    mcp_call = "Call the echo tool of the MCP server named kit with the text conformance."
    remember = "Remember the word: conformance."

    [settings]
    cancel_delay = 2.0   # seconds to wait for the turn to start before cancelling
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace

PROMPT_KEYS = ("simple", "long", "write_file", "run_command", "mcp_call", "remember")

FOREIGN = {
    "simple": "Hello from the ACP conformance kit. Reply with one short sentence.",
    "long": (
        "Write a detailed essay of at least 2000 words on the history of version "
        "control systems, with a section per decade."
    ),
    "write_file": "Create a file named conformance-check.txt containing the word ok.",
    "run_command": "Run the command `echo conformance` in a terminal and tell me its output.",
    "mcp_call": ("Call the `echo` tool of the MCP server named `kit` with the text `conformance`."),
    "remember": "Remember the word: conformance. Reply with one short sentence.",
}

SCRIPTED = {
    "simple": "say conformance\nthink briefly",
    "long": "say started\nwait 30",
    "write_file": "write conformance-check.txt ok\nread conformance-check.txt",
    "run_command": "run echo conformance\nrun sh -c 'exit 3'",
    "mcp_call": 'mcp kit echo {"text": "conformance"}',
    "remember": "say remember me",
}


class PromptPackError(ValueError):
    """The prompt pack file is unreadable or names unknown keys."""


@dataclass(frozen=True)
class PromptPack:
    foreign: dict[str, str] = field(default_factory=lambda: dict(FOREIGN))
    scripted: dict[str, str] = field(default_factory=lambda: dict(SCRIPTED))
    cancel_delay: float = 2.0
    source: str | None = None  # the pack file, when one was given

    def text(self, key: str, ours: bool) -> str:
        return (self.scripted if ours else self.foreign)[key]


def load_pack(path: str) -> PromptPack:
    """Read a TOML pack; its prompts replace both sets, so an author's words are
    what every agent (acp-server included) receives."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PromptPackError(f"cannot read prompt pack {path}: {error}") from None
    prompts = data.get("prompts") or {}
    settings = data.get("settings") or {}
    unknown = sorted(set(prompts) - set(PROMPT_KEYS)) + sorted(set(settings) - {"cancel_delay"})
    if unknown:
        raise PromptPackError(
            f"prompt pack {path}: unknown key(s) {', '.join(unknown)}; "
            f"prompts are {', '.join(PROMPT_KEYS)}, settings: cancel_delay"
        )
    if not all(isinstance(v, str) and v for v in prompts.values()):
        raise PromptPackError(f"prompt pack {path}: every prompt must be a non-empty string")
    pack = PromptPack()
    merged_foreign = {**pack.foreign, **prompts}
    merged_scripted = {**pack.scripted, **prompts}
    delay = settings.get("cancel_delay", pack.cancel_delay)
    if not isinstance(delay, int | float) or delay < 0:
        raise PromptPackError(f"prompt pack {path}: cancel_delay must be a number of seconds")
    return replace(
        pack,
        foreign=merged_foreign,
        scripted=merged_scripted,
        cancel_delay=float(delay),
        source=path,
    )
