"""`acp-client chat`: an interactive chat with any ACP agent.

Streams the answer as Markdown, re-rendered live on a terminal (plain text when
piped), thoughts dimmed, tool calls with status, diffs coloured, the plan as a
checklist. Permission prompts are answered at the keyboard. Slash commands
from `available_commands_update` complete with Tab. `:mode X` and `:model Y`
switch through config options; `:quit` leaves. Ctrl-C cancels the running
turn; at the prompt, Ctrl-C twice exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from typing import Any

from editor_clients.client import ClientCapabilities, ClientConnection, PermissionPolicy
from protocol import RpcError


def esc(value: object) -> str:
    """Text from the agent inside rich markup: "[x]" in a title or a stop reason
    must print as written, not be read as a style (or crash the chat)."""
    from rich.markup import escape

    return escape(str(value))


class Chat:
    def __init__(self, console: Any) -> None:
        self.console = console
        self.commands: list[str] = []
        self.text = ""
        self.live: Any = None

    def begin_turn(self) -> None:
        self.text = ""
        if self.console.is_terminal:
            from rich.live import Live

            self.live = Live(
                console=self.console, refresh_per_second=12, vertical_overflow="visible"
            )
            self.live.start()

    def end_turn(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def _message(self, chunk: str) -> None:
        if self.live is None:  # piped: plain text as it streams
            self.console.print(chunk, end="", markup=False, highlight=False)
            return
        from rich.markdown import Markdown

        self.text += chunk
        self.live.update(Markdown(self.text))

    def update(self, update: dict[str, Any]) -> None:
        kind = update.get("sessionUpdate")
        if kind == "agent_message_chunk":
            self._message((update.get("content") or {}).get("text", ""))
        elif kind == "agent_thought_chunk":
            self.console.print(
                (update.get("content") or {}).get("text", ""),
                end="",
                style="dim italic",
                markup=False,
            )
        elif kind == "tool_call":
            self.console.print(
                f"\n[yellow]▶ {update.get('title')}[/] [dim]({update.get('kind', 'other')})[/]"
            )
        elif kind == "tool_call_update":
            self._tool_update(update)
        elif kind == "plan":
            marks = {"completed": "[green]✔[/]", "in_progress": "[yellow]…[/]", "pending": "☐"}
            self.console.print("\n[bold]Plan[/]")
            for entry in update.get("entries", []):
                self.console.print(
                    f"  {marks.get(entry.get('status'), '☐')} {entry.get('content')}"
                )
        elif kind == "available_commands_update":
            self.commands = ["/" + c["name"] for c in update.get("availableCommands", [])]
        elif kind == "current_mode_update":
            self.console.print(f"[dim]mode: {esc(update.get('currentModeId'))}[/]")

    def _tool_update(self, update: dict[str, Any]) -> None:
        for item in update.get("content") or []:
            if item.get("type") == "diff":
                self._diff(item)
            elif item.get("type") == "terminal":
                self.console.print(f"[dim]  terminal {esc(item.get('terminalId'))}[/]")
            elif item.get("type") == "content" and update.get("status") in ("completed", "failed"):
                text = (item.get("content") or {}).get("text", "")
                if text:
                    self.console.print(text[:2000], style="dim", markup=False)
        status = update.get("status")
        if status in ("completed", "failed"):
            self.console.print(
                "[green]  ✓ done[/]" if status == "completed" else "[red]  ✗ failed[/]"
            )

    def _diff(self, item: dict[str, Any]) -> None:
        import difflib

        old = (item.get("oldText") or "").splitlines()
        new = (item.get("newText") or "").splitlines()
        self.console.print(f"[bold]  {esc(item.get('path'))}[/]")
        for line in difflib.unified_diff(old, new, lineterm="", n=2):
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            self.console.print("  " + line, style=style, markup=False)


def _readline_setup(chat: Chat) -> None:
    with contextlib.suppress(ImportError):
        import readline

        def complete(text: str, state: int) -> str | None:
            matches = [c for c in chat.commands if c.startswith(text)]
            return matches[state] if state < len(matches) else None

        readline.set_completer(complete)
        readline.parse_and_bind("tab: complete")


async def _input(prompt: str) -> str | None:
    try:
        return await asyncio.get_running_loop().run_in_executor(None, input, prompt)
    except EOFError:
        return None


async def run_chat(ns: argparse.Namespace, agent: list[str]) -> int:
    from rich.console import Console

    console = Console(highlight=False)
    chat = Chat(console)

    async def ask_user(params: dict[str, Any]) -> str | None:
        call = params.get("toolCall") or {}
        console.print(f"\n[bold magenta]Permission:[/] {esc(call.get('title'))}")
        for item in call.get("content") or []:
            if item.get("type") == "diff":
                chat._diff(item)
            elif item.get("type") == "content":
                console.print((item.get("content") or {}).get("text", ""), markup=False)
        options = params.get("options", [])
        for index, option in enumerate(options, 1):
            console.print(f"  {index}. {esc(option['name'])}")
        answer = await _input("choose: ")
        if answer is None or not answer.strip().isdigit() or not 1 <= int(answer) <= len(options):
            return None
        return str(options[int(answer) - 1]["optionId"])

    caps = ClientCapabilities(
        fs_read=not ns.no_fs, fs_write=not ns.no_fs, terminal=not ns.no_terminal
    )
    client = await ClientConnection.spawn(
        agent,
        cwd=ns.cwd or os.getcwd(),
        capabilities=caps,
        permissions=PermissionPolicy("ask", ask_user),
    )
    client.on_update = lambda _sid, update: chat.update(update)
    try:
        info = await client.initialize()
        session = (await client.new_session())["sessionId"]
        name = (info.get("agentInfo") or {}).get("name", "agent")
        console.print(
            f"[bold]Connected to {name}[/]. Type a message; :mode X, :model Y, :quit. Ctrl-C cancels a turn."
        )
        _readline_setup(chat)
        return await _loop(client, chat, session, console)
    except RpcError as error:
        console.print(f"[red]agent error {error.code}: {esc(error.message)}[/]")
        return 1
    finally:
        await client.close()


async def _loop(client: ClientConnection, chat: Chat, session: str, console: Any) -> int:
    loop = asyncio.get_running_loop()
    turn: asyncio.Task[dict[str, Any]] | None = None
    interrupts = 0
    background: set[asyncio.Task[None]] = set()

    def on_sigint() -> None:
        nonlocal interrupts
        if turn is not None and not turn.done():
            task = loop.create_task(client.cancel(session))
            background.add(task)
            task.add_done_callback(background.discard)
            console.print("\n[dim]cancelling…[/]")
        else:
            interrupts += 1
            if interrupts >= 2:
                raise KeyboardInterrupt

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    while True:
        line = await _input("\n> ")
        if line is None or line.strip() in (":quit", ":q"):
            return 0
        text = line.strip()
        if not text:
            continue
        interrupts = 0
        if text.startswith((":mode ", ":model ")):
            option, _, value = text[1:].partition(" ")
            try:
                await client.set_config_option(session, option, value.strip())
                console.print(f"[dim]{esc(option)} set to {esc(value.strip())}[/]")
            except RpcError as error:
                console.print(f"[red]{esc(error.message)}[/]")
            continue
        turn = asyncio.create_task(client.prompt(session, text))
        chat.begin_turn()
        try:
            result = await turn
            chat.end_turn()
            console.print(f"\n[dim]{esc('[' + str(result.get('stopReason')) + ']')}[/]")
        except RpcError as error:
            chat.end_turn()
            console.print(f"\n[red]agent error {error.code}: {esc(error.message)}[/]")
        except ConnectionError:
            chat.end_turn()
            console.print("\n[red]the agent exited[/]")
            return 1
    return 0


__all__ = ["Chat", "run_chat", "sys"]
