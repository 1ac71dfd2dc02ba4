"""The keyboard side of `acp-client chat`: readline, completion, multi-line input.

Everything here runs on the main thread, which owns the keyboard, so Ctrl-C
arrives as KeyboardInterrupt exactly where the user is typing and readline
resets its line itself. Completion covers the agent's slash commands (from
`available_commands_update`), the client's `:` commands with their values,
and file paths after `@`. Only whitespace delimits a word: with readline's
default delimiters `/` Tab turned into `//`.
"""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Callable

CLIENT_COMMANDS = {
    ":help": "this list",
    ":mode": "show the modes, or `:mode ID` to switch",
    ":model": "show the models, or `:model ID` to switch",
    ":quit": "leave (also :q, Ctrl-D, or Ctrl-C twice)",
}

CONTINUATION = "... "


def candidates(
    line: str, word: str, slash: list[str], values: Callable[[str], list[str]], cwd: str
) -> list[str]:
    """What `word` (the text before the cursor, back to whitespace) may become."""
    head = line[: len(line) - len(word)] if line.endswith(word) else line
    if head.strip() in (":mode", ":model") and not word.startswith(":"):
        return sorted(v for v in values(head.strip()[1:]) if v.startswith(word))
    if word.startswith("@"):
        return sorted(
            "@" + path + ("/" if os.path.isdir(os.path.join(cwd, path)) else "")
            for path in _paths(word[1:], cwd)
        )
    if head.strip():
        return []
    if word.startswith("/"):
        return sorted(c for c in slash if c.startswith(word))
    if word.startswith(":"):
        return sorted(c for c in CLIENT_COMMANDS if c.startswith(word))
    return []


def _paths(prefix: str, cwd: str) -> list[str]:
    pattern = os.path.join(cwd, glob.escape(prefix)) + "*"
    return [os.path.relpath(p, cwd) for p in glob.glob(pattern)][:200]


def install_completion(
    slash: Callable[[], list[str]], values: Callable[[str], list[str]], cwd: str
) -> None:
    with contextlib.suppress(ImportError):
        import readline

        matches: list[str] = []

        def complete(word: str, state: int) -> str | None:
            nonlocal matches
            if state == 0:
                line = readline.get_line_buffer()[: readline.get_endidx()]
                matches = candidates(line, word, slash(), values, cwd)
            return matches[state] if state < len(matches) else None

        readline.set_completer(complete)
        readline.set_completer_delims(" \t\n")
        if "libedit" in (readline.__doc__ or ""):
            readline.parse_and_bind("bind ^I rl_complete")
        else:
            readline.parse_and_bind("tab: complete")
            # Alt-Enter puts a newline into the line instead of sending it.
            readline.parse_and_bind(r'"\e\r": "\C-v\C-j"')


def read_message(prompt: str = "\n> ") -> str | None:
    """One message; a trailing backslash continues it on the next line.
    None at end of input (Ctrl-D)."""
    lines: list[str] = []
    try:
        line = input(prompt)
        while line.endswith("\\"):
            lines.append(line[:-1].rstrip())
            line = input(CONTINUATION)
    except EOFError:
        return None if not lines else "\n".join(lines)
    lines.append(line)
    return "\n".join(lines)


def choose(count: int, prompt: str = "choose: ") -> int | None:
    """A number in 1..count, asked again after anything else; None at EOF."""
    while True:
        try:
            answer = input(prompt).strip()
        except EOFError:
            return None
        if answer.isdigit() and 1 <= int(answer) <= count:
            return int(answer)
        print(f"  type a number from 1 to {count} (Ctrl-C cancels the turn)")
