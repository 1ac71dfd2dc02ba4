"""`acp-client chat`: an interactive chat with any ACP agent.

Theory of operation: the main thread owns the keyboard and the asyncio loop
that talks to the agent runs on a second thread (`AgentLoop`). So Ctrl-C is
always a KeyboardInterrupt on the main thread, where it means: at the prompt,
"press again to leave" (the second one exits cleanly); during a turn, cancel
it; at a permission prompt, refuse and cancel. Permission prompts are
questions the agent side posts to the main thread (`Keyboard.ask`), which
answers them between waits.

What the user sees is drawn by `TurnView` (view.py). Lines starting with `:`
are the client's own commands and never reach the agent: `:help`, `:mode
[ID]`, `:model [ID]`, `:quit`. Slash commands are the agent's.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import os
import queue
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, TypeVar

from editor_clients.client import ClientCapabilities, ClientConnection, PermissionPolicy
from editor_clients.terminal import keyboard
from editor_clients.terminal.commands_output import TerminalWatch
from editor_clients.terminal.view import TurnView, esc
from protocol import RpcError
from protocol.json_types import JsonObject, get_object, get_str, objects

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")


class AgentLoop:
    """An asyncio loop on a daemon thread; the main thread submits to it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def submit(self, coro: Coroutine[object, object, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[object, object, T], timeout: float | None = None) -> T:
        return self.submit(coro).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class Keyboard:
    """Questions from the agent thread, answered on the main thread."""

    def __init__(self) -> None:
        # (ask and answer, answer None if interrupted) or None to wake `wait`
        self.jobs: queue.Queue[tuple[Callable[[], None], Callable[[], None]] | None]
        self.jobs = queue.Queue()

    async def ask(self, question: Callable[[], T]) -> T | None:
        answer: concurrent.futures.Future[T | None] = concurrent.futures.Future()

        def run() -> None:
            answer.set_result(question())

        def interrupted() -> None:
            answer.set_result(None)

        self.jobs.put((run, interrupted))
        return await asyncio.wrap_future(answer)

    def wait(self, future: concurrent.futures.Future[T], on_interrupt: Callable[[], None]) -> T:
        """Block until `future` is done, answering questions meanwhile."""
        future.add_done_callback(lambda _f: self.jobs.put(None))
        while not future.done():
            try:
                job = self.jobs.get(timeout=1)
            except queue.Empty:
                continue
            except KeyboardInterrupt:
                on_interrupt()
                continue
            if job is None:
                continue
            run, interrupted = job
            try:
                run()
            except KeyboardInterrupt:
                interrupted()
                on_interrupt()
        return future.result()


class Chat:
    def __init__(self, ns: argparse.Namespace, console: Console) -> None:
        self.ns = ns
        self.console = console
        self.cwd = os.path.abspath(ns.cwd or os.getcwd())
        self.agent = AgentLoop()
        self.keys = Keyboard()
        self.client: ClientConnection | None = None
        self.view: TurnView | None = None
        self.session = ""
        self.modes: list[str] = []

    # ------------------------------------------------------------- set up

    async def connect(self, argv: list[str]) -> JsonObject:
        ns = self.ns
        caps = ClientCapabilities(
            fs_read=not ns.no_fs,
            fs_write=not ns.no_fs,
            terminal=not ns.no_terminal,
            notices=True,  # shown as dim lines by TurnView
            compaction=True,
        )
        client = await ClientConnection.spawn(
            argv,
            cwd=self.cwd,
            capabilities=caps,
            permissions=PermissionPolicy("ask", self._permission),
        )
        self.client = client
        view = self.view = TurnView(
            self.console, TerminalWatch(client.terminals), self.cwd, ns.verbose
        )
        client.on_update = lambda _sid, update: view.update(update)
        info = await client.initialize()
        created = await client.new_session()
        self.session = str(created["sessionId"])
        modes = get_object(created, "modes")
        self.modes = [str(m["id"]) for m in objects(modes.get("availableModes"))]
        view.mode = get_str(modes, "currentModeId")
        return info

    def banner(self, info: JsonObject) -> None:
        agent = get_object(info, "agentInfo")
        name = f"{agent.get('name', 'agent')} {agent.get('version', '')}".strip()
        model = self._current("model") or "?"
        mode = self._current("mode") or (self.view.mode if self.view else None) or "?"
        self.console.print(f"[bold]Connected to {esc(name)}[/]")
        self.console.print(
            f"  session [cyan]{esc(self.session)}[/]  model [cyan]{esc(model)}[/]  mode [cyan]{esc(mode)}[/]"
        )
        self.console.print(f"  cwd {esc(self.cwd)}")
        self.console.print(
            "[dim]Type a message; end a line with \\ to go on. /help: the agent's commands, "
            ":help: the client's. Ctrl-C cancels a turn; Ctrl-D or :quit leaves.[/]"
        )

    # ------------------------------------------------------ config options

    def _option(self, option_id: str) -> JsonObject | None:
        assert self.client is not None
        options = self.client.sessions[self.session].config_options
        return next((o for o in options if o.get("id") == option_id), None)

    def _current(self, option_id: str) -> str | None:
        option = self._option(option_id)
        return str(option.get("currentValue")) if option else None

    def values(self, option_id: str) -> list[str]:
        option = self._option(option_id)
        if option is None:
            return self.modes if option_id == "mode" else []
        return [str(v.get("value")) for v in objects(option.get("options")) if "value" in v]

    # ---------------------------------------------------------- permission

    async def _permission(self, params: JsonObject) -> str | None:
        assert self.view is not None
        view = self.view
        view.pause()
        call = get_object(params, "toolCall")
        self.console.print(f"\n[bold magenta]Permission:[/] {esc(call.get('title'))}")
        for item in objects(call.get("content")):
            if item.get("type") == "diff":
                view.show_diff(str(call.get("toolCallId")), item)
            elif item.get("type") == "content":
                text = get_object(item, "content").get("text", "")
                self.console.print(text, markup=False, highlight=False)
        options = objects(params.get("options"))
        for index, option in enumerate(options, 1):
            self.console.print(f"  {index}. {esc(option['name'])}")
        number = await self.keys.ask(lambda: keyboard.choose(len(options)))
        view.resume()
        return None if number is None else str(options[number - 1]["optionId"])

    # ------------------------------------------------------------ the loop

    def run(self) -> int:
        interrupts = 0
        while True:
            try:
                line = keyboard.read_message()
            except KeyboardInterrupt:
                if interrupts:
                    self.console.print()
                    return 0
                interrupts = 1
                self.console.print("\n[dim]press Ctrl-C again or type :quit to exit[/]")
                continue
            if line is None:
                self.console.print()
                return 0
            text = line.strip()
            if not text:
                continue
            interrupts = 0
            if text.startswith(":"):
                if not self.local(text):
                    return 0
                continue
            code = self.turn(text)
            if code is not None:
                return code

    def turn(self, text: str) -> int | None:
        """One prompt; a return code when the chat cannot go on."""
        assert self.client is not None and self.view is not None
        client, view = self.client, self.view
        view.begin()
        future = self.agent.submit(client.prompt(self.session, text))

        def cancel() -> None:
            self.agent.submit(client.cancel(self.session))
            self.console.print("\n[dim]cancelling…[/]")

        try:
            result = self.keys.wait(future, cancel)
        except RpcError as error:
            self._end_view()
            self.console.print(f"\n[red]agent error {error.code}: {esc(error.message)}[/]")
            return None
        except ConnectionError:
            self._end_view()
            self._agent_gone()
            return 1
        self._end_view()
        self.console.print(f"\n[dim]{esc('[' + str(result.get('stopReason')) + ']')}[/]")
        return None

    def _end_view(self) -> None:
        assert self.view is not None
        view = self.view

        async def end() -> None:
            view.end()

        self.agent.call(end(), timeout=10)

    def _agent_gone(self) -> None:
        assert self.client is not None
        process = self.client.process
        code = None
        if process is not None:
            # Its output closed first; the exit status follows within moments.
            with contextlib.suppress(Exception):
                code = self.agent.call(asyncio.wait_for(process.process.wait(), 2), timeout=5)
        said = (
            f"agent exited with status {code}"
            if code is not None
            else "the agent closed its output"
        )
        self.console.print(f"\n[red]{said}[/]")
        tail = process.stderr_tail() if process else ""
        if tail:
            self.console.print("\n".join(tail.splitlines()[-20:]), style="dim", markup=False)

    # ------------------------------------------------------ local commands

    def local(self, text: str) -> bool:
        """A `:` command; False means leave."""
        name, _, value = text.partition(" ")
        value = value.strip()
        if name in (":quit", ":q"):
            return False
        if name == ":help":
            for command, what in keyboard.CLIENT_COMMANDS.items():
                self.console.print(f"  [bold]{command}[/]  {esc(what)}")
            self.console.print("  [dim]/help asks the agent for its own commands[/]")
        elif name in (":mode", ":model"):
            self._switch(name[1:], value)
        else:
            self.console.print(f"[red]unknown command {esc(name)}[/]; :help lists them")
        return True

    def _switch(self, option: str, value: str) -> None:
        assert self.client is not None
        valid = self.values(option)
        current = self._current(option) or (
            self.view.mode if self.view and option == "mode" else None
        )
        if not value or value not in valid:
            if value:
                self.console.print(f"[red]unknown {option} {esc(value)!r}[/]")
            self.console.print(
                f"{option}: [cyan]{esc(current or '?')}[/]; valid: {esc(', '.join(valid) or 'none offered')}"
            )
            return
        try:
            if self._option(option) is not None:
                self.agent.call(self.client.set_config_option(self.session, option, value), 30)
            else:
                self.agent.call(self.client.set_mode(self.session, value), 30)
            if self.view is not None and option == "mode":
                self.view.mode = value
            self.console.print(f"[dim]{option} set to {esc(value)}[/]")
        except RpcError as error:
            self.console.print(f"[red]{esc(error.message)}[/]")

    # --------------------------------------------------------------- close

    def close(self) -> None:
        if self.client is not None:
            # Leaving anyway: a slow or broken agent must not end the chat in a traceback.
            with contextlib.suppress(Exception, KeyboardInterrupt):
                self.agent.call(self.client.close(), timeout=15)
        self.agent.stop()


def run_chat(ns: argparse.Namespace, agent: list[str]) -> int:
    from rich.console import Console

    console = Console(highlight=False)
    chat = Chat(ns, console)
    try:
        try:
            info = chat.agent.call(chat.connect(agent), timeout=60)
        except OSError as error:
            console.print(f"[red]cannot start {esc(agent[0])}: {esc(error)}[/]")
            return 1
        except RpcError as error:
            console.print(f"[red]agent error {error.code}: {esc(error.message)}[/]")
            return 1
        except (ConnectionError, TimeoutError):
            chat._agent_gone()
            return 1
        chat.banner(info)
        if sys.stdin.isatty():
            keyboard.install_completion(
                lambda: chat.view.commands if chat.view else [], chat.values, chat.cwd
            )
        return chat.run()
    except KeyboardInterrupt:
        console.print()
        return 130
    finally:
        chat.close()


__all__ = ["run_chat"]
