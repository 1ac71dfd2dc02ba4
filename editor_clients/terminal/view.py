"""How `acp-client chat` draws a turn.

Two layers, so nothing is printed twice:

- The scrollback gets each piece once, when it is final: answer text block by
  block (a paragraph or a whole fenced code block) as Markdown, thoughts
  collapsed to one dim line (all of them with `--verbose`), a tool call's
  title, its diff once with the path, a command's output with its exit status,
  and each notice or finished context compaction as one dim line.
- A transient live region at the bottom shows what is still moving: a spinner
  with the elapsed time, the last lines of a running command, the thought and
  the answer block being streamed. It is cut to fit the window, so it never
  scrolls (a region taller than the window is what left copies behind).

When stdout is not a terminal there is no live region: text streams plainly.
"""

from __future__ import annotations

import difflib
import os
import time
from typing import TYPE_CHECKING

from editor_clients.client import SessionView
from editor_clients.terminal.commands_output import (
    TerminalWatch,
    call_text,
    exit_text,
    failure_reason,
)
from editor_clients.terminal.notices_output import compaction_line, notice_line, notice_style
from protocol.json_types import JsonObject, get_object, get_str, objects

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

TAIL_LINES = 6  # lines of a running command in the live region


def esc(value: object) -> str:
    """Agent text inside rich markup: "[x]" must print as written."""
    from rich.markup import escape

    return escape(str(value))


def diff_lines(item: JsonObject, cwd: str) -> list[str]:
    """A unified diff whose headers carry the path (relative to cwd when inside)."""
    path = str(item.get("path") or "")
    shown = os.path.relpath(path, cwd) if path.startswith(cwd + os.sep) else path
    old = (get_str(item, "oldText") or "").splitlines()
    new = (get_str(item, "newText") or "").splitlines()
    before = "/dev/null" if item.get("oldText") is None else f"a/{shown}"
    return list(difflib.unified_diff(old, new, before, f"b/{shown}", lineterm="", n=2))


def _chunk_text(update: JsonObject) -> str:
    return get_str(get_object(update, "content"), "text") or ""


def split_block(text: str) -> tuple[str, str]:
    """(finished blocks, rest): cut at the last blank line outside a code fence."""
    cut = 0
    fences = 0
    position = 0
    for line in text.splitlines(keepends=True):
        position += len(line)
        if line.lstrip().startswith(("```", "~~~")):
            fences += 1
        elif not line.strip() and fences % 2 == 0 and line.endswith("\n"):
            cut = position
    return text[:cut], text[cut:]


class TurnView:
    def __init__(self, console: Console, watch: TerminalWatch, cwd: str, verbose: bool) -> None:
        self.console = console
        self.watch = watch
        self.cwd = cwd
        self.verbose = verbose
        self.block = ""
        self.thought = ""
        self.started = time.monotonic()
        self.live: Live | None = None
        self.diffs_shown: set[str] = set()
        self.commands: list[str] = []
        self.mode: str | None = None
        self.compactions = SessionView("")  # merges compaction updates (summary chunks)
        self.compacting = False
        self.in_turn = False
        # Notices that arrive between turns (an MCP server that failed at
        # session start) would print over the input line: they wait for the turn.
        self.pending_notices: list[JsonObject] = []

    # ------------------------------------------------------------ the turn

    def begin(self) -> None:
        self.started = time.monotonic()
        self.in_turn = True
        held, self.pending_notices = self.pending_notices, []
        for update in held:
            self._notice(update)
        self.resume()

    def resume(self) -> None:
        if self.console.is_terminal and self.live is None:
            from rich.live import Live

            self.live = Live(
                console=self.console,
                get_renderable=self._render,
                refresh_per_second=8,
                transient=True,
                vertical_overflow="crop",
            )
            self.live.start()

    def pause(self) -> None:
        """Before the keyboard is read: final text out, live region gone."""
        self.flush()
        if self.live is not None:
            self.live.stop()
            self.live = None

    def end(self) -> None:
        self.pause()
        self.in_turn = False

    # -------------------------------------------------------- live region

    def _render(self) -> RenderableType:
        from rich.console import Group
        from rich.spinner import Spinner
        from rich.text import Text

        width = max(self.console.width, 20)
        budget = max(self.console.height - 3, 3)
        parts: list[RenderableType] = []
        if self.thought:
            parts.append(Text(self._collapsed(self.thought, width), style="dim italic"))
        for watched in self.watch.running():
            lines = watched.text().splitlines()[-TAIL_LINES:]
            parts.extend(Text("  │ " + line[: width - 4], style="dim") for line in lines)
        if self.block:
            wrapped = Text(self.block).wrap(self.console, width)
            parts.extend(list(wrapped)[-max(budget - len(parts), 1) :])
        elapsed = time.monotonic() - self.started
        doing = "compacting the context" if self.compacting else "working"
        parts.append(Spinner("dots", Text(f"{doing}… {elapsed:.1f}s", style="dim")))
        return Group(*parts[-budget:])

    @staticmethod
    def _collapsed(text: str, width: int) -> str:
        flat = " ".join(text.split())
        room = max(width - 12, 10)
        return "thinking: " + (flat if len(flat) <= room else flat[: room - 1] + "…")

    # ---------------------------------------------------------- committing

    def flush(self) -> None:
        """Put the streamed thought and answer text into the scrollback."""
        if self.thought:
            text = self.thought.strip()
            self.thought = ""
            if self.verbose:
                self.console.print(text, style="dim italic", markup=False)
            else:
                self.console.print(
                    self._collapsed(text, self.console.width), style="dim italic", markup=False
                )
        if self.block:
            text, self.block = self.block, ""  # cleared first: the live redraw after the print
            self._print_markdown(text)

    def _print_markdown(self, text: str) -> None:
        if not text.strip():
            return
        if self.console.is_terminal:
            from rich.markdown import Markdown

            self.console.print(Markdown(text))
        else:
            self.console.print(text, end="", markup=False, highlight=False)

    def message(self, chunk: str) -> None:
        if self.thought:
            self.flush()
        if not self.console.is_terminal:  # piped: plain text as it streams
            self.console.print(chunk, end="", markup=False, highlight=False)
            return
        done, self.block = split_block(self.block + chunk)
        self._print_markdown(done)  # self.block is already the rest when the live region redraws

    def thinking(self, chunk: str) -> None:
        if self.block:
            self.flush()
        self.thought += chunk

    # ------------------------------------------------------------ updates

    def update(self, update: JsonObject) -> None:
        kind = update.get("sessionUpdate")
        if kind == "agent_message_chunk":
            self.message(_chunk_text(update))
        elif kind == "agent_thought_chunk":
            self.thinking(_chunk_text(update))
        elif kind == "available_commands_update":
            self.commands = ["/" + str(c["name"]) for c in objects(update.get("availableCommands"))]
        elif kind in ("tool_call", "tool_call_update", "plan", "current_mode_update"):
            self.flush()
            getattr(self, "_" + str(kind))(update)
        elif kind == "notice":
            if self.in_turn:
                self._notice(update)
            else:
                self.pending_notices.append(update)
        elif kind in ("compaction_update", "compaction_summary_chunk"):
            self._compaction(update)

    def _notice(self, update: JsonObject) -> None:
        self.flush()
        self.console.print(
            notice_line(update, self.console.width), style=notice_style(update), markup=False
        )

    def _compaction(self, update: JsonObject) -> None:
        self.compactions.apply(update)
        entry = self.compactions.compactions.get(str(update.get("compactionId")))
        if update.get("sessionUpdate") != "compaction_update":
            return
        self.compacting = update.get("status") == "in_progress"
        if self.compacting:
            return  # the live region says so while it runs
        self.flush()
        width = 10**6 if self.verbose else self.console.width
        line = compaction_line(update, entry, width)
        if line:
            self.console.print(line, style="dim", markup=False, highlight=False)

    def _tool_call(self, update: JsonObject) -> None:
        self.console.print(
            f"\n[yellow]▶ {esc(update.get('title'))}[/] [dim]({esc(update.get('kind', 'other'))})[/]"
        )
        self._tool_call_update(update)

    def _tool_call_update(self, update: JsonObject) -> None:
        self.watch.observe(update)
        call_id = str(update.get("toolCallId"))
        for item in objects(update.get("content")):
            if item.get("type") == "diff":
                self.show_diff(call_id, item)
        status = update.get("status")
        if status == "completed":
            self._finished(call_id, update)
            self.console.print("[green]  ✓ done[/]")
        elif status == "failed":
            self._finished(call_id, update)
            reason = failure_reason(update) or "no reason given"
            self.console.print(f"[red]  ✗ failed: {esc(reason)}[/]")

    def _finished(self, call_id: str, update: JsonObject) -> None:
        watched = self.watch.finish(call_id)
        if watched is not None:
            for line in watched.text().rstrip("\n").splitlines()[-200:]:
                self.console.print("  │ " + line, style="dim", markup=False, highlight=False)
            status = watched.status() or exit_text(update)
            if status:
                self.console.print(f"  [dim]{esc(status)}[/]")
        elif update.get("status") == "completed":
            text = call_text(update)
            if text:
                self.console.print(text[:2000], style="dim", markup=False)

    def show_diff(self, call_id: str, item: JsonObject) -> None:
        if call_id in self.diffs_shown:
            return
        self.diffs_shown.add(call_id)
        for line in diff_lines(item, self.cwd):
            style = (
                "bold"
                if line.startswith(("---", "+++"))
                else "green"
                if line.startswith("+")
                else "red"
                if line.startswith("-")
                else "dim"
            )
            self.console.print("  " + line, style=style, markup=False, highlight=False)

    def _plan(self, update: JsonObject) -> None:
        marks = {"completed": "[green]✔[/]", "in_progress": "[yellow]…[/]", "pending": "☐"}
        self.console.print("\n[bold]Plan[/]")
        for entry in objects(update.get("entries")):
            self.console.print(
                f"  {marks.get(str(entry.get('status')), '☐')} {esc(entry.get('content'))}"
            )

    def _current_mode_update(self, update: JsonObject) -> None:
        self.mode = get_str(update, "currentModeId")
        self.console.print(f"[dim]mode: {esc(self.mode)}[/]")
