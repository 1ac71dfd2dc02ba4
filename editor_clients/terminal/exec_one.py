"""`acp-client exec`: one turn, headless, for scripts and CI.

Text mode writes the answer to stdout as it streams, with each tool call's
title, the output of commands run in our terminals (live, then the exit
status), and the reason of a failed or denied call. Why a run ended early
(the agent exited, or `--timeout` fired), notices and context compactions go
to stderr, one line each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time

from editor_clients.client import (
    ClientCapabilities,
    ClientConnection,
    PermissionPolicy,
    SessionView,
)
from editor_clients.terminal.commands_output import TerminalWatch, exit_text, failure_reason
from editor_clients.terminal.notices_output import compaction_line, notice_line
from protocol import RpcError
from protocol.json_types import JsonObject, get_object, get_str

EXIT = {"end_turn": 0, "max_tokens": 3, "max_turn_requests": 4, "refusal": 5, "cancelled": 130}


async def run_exec(ns: argparse.Namespace, agent: list[str]) -> int:
    start = time.monotonic()
    as_json = ns.format == "json"

    piped = {"open": True}

    def on_frame(direction: str, frame: JsonObject) -> None:
        if as_json and piped["open"]:
            try:
                sys.stdout.write(
                    json.dumps(
                        {
                            "ts": round(time.monotonic() - start, 6),
                            "direction": direction,
                            "message": frame,
                        }
                    )
                    + "\n"
                )
                sys.stdout.flush()
            except BrokenPipeError:
                piped["open"] = False  # the reader went away (e.g. `| head`); keep the turn going

    caps = ClientCapabilities(
        fs_read=not ns.no_fs,
        fs_write=not ns.no_fs,
        terminal=not ns.no_terminal,
        notices=True,  # printed to stderr, apart from the answer
        compaction=True,
    )
    policy = PermissionPolicy("approve" if ns.approve_all else "deny")
    try:
        client = await ClientConnection.spawn(
            agent,
            cwd=ns.cwd or os.getcwd(),
            capabilities=caps,
            permissions=policy,
            on_frame=on_frame,
        )
    except OSError as error:
        print(f"acp-client: cannot start {agent[0]}: {error}", file=sys.stderr)
        return 1
    printer = TextPrinter(TerminalWatch(client.terminals))
    follow = None
    if not as_json:
        client.on_update = lambda _sid, update: printer.update(update)
        follow = asyncio.create_task(printer.follow())
    try:
        await client.initialize()
        session = str((await client.new_session())["sessionId"])
        result = await client.prompt(session, ns.prompt, timeout=ns.timeout)
    except RpcError as error:
        print(
            f"\nacp-client: the agent answered with error {error.code}: {error.message}",
            file=sys.stderr,
        )
        return 1
    except (ConnectionError, TimeoutError) as error:
        await _explain_stop(error, client, ns.timeout)
        return 1
    finally:
        if follow is not None:
            follow.cancel()
        await client.close()
    stop = str(result.get("stopReason"))
    if not as_json:
        print(f"\n[{stop}]", file=sys.stderr)
    return EXIT.get(stop, 1)


async def _explain_stop(error: Exception, client: ClientConnection, timeout: float) -> None:
    """Say why the turn ended without an answer, with the agent's stderr tail."""
    process = client.process
    if isinstance(error, TimeoutError):
        message = f"no answer within --timeout {timeout:g}s; the turn was abandoned"
    else:
        code = None
        if process is not None:
            with contextlib.suppress(TimeoutError):
                code = await asyncio.wait_for(process.process.wait(), 2)
        message = (
            f"agent exited with status {code}"
            if code is not None
            else "the agent closed its output"
        )
    tail = process.stderr_tail() if process else ""
    print(f"\nacp-client: {message}", file=sys.stderr)
    if tail.strip():
        print("agent stderr (last lines):\n" + "\n".join(tail.splitlines()[-20:]), file=sys.stderr)


class TextPrinter:
    """Text-mode output of one turn."""

    def __init__(self, watch: TerminalWatch) -> None:
        self.watch = watch
        self.compactions = SessionView("")

    @staticmethod
    def _note(line: str | None) -> None:
        """Notices and compactions go to stderr: stdout is the answer."""
        if line:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    def _write(self, text: str) -> None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader went away (`| head`): the turn goes on
            from editor_clients.terminal.exits import discard_stdout

            discard_stdout()

    async def follow(self) -> None:
        """Copy running commands' output to stdout as it arrives."""
        while True:
            for watched in self.watch.running():
                if fresh := watched.unseen():
                    self._write(fresh)
            await asyncio.sleep(0.1)

    def update(self, update: JsonObject) -> None:
        kind = update.get("sessionUpdate")
        if kind == "agent_message_chunk":
            self._write(get_str(get_object(update, "content"), "text") or "")
        elif kind == "tool_call":
            self._write(f"\n▶ {update.get('title')}\n")
        elif kind == "notice":
            self._note(notice_line(update))
        elif kind in ("compaction_update", "compaction_summary_chunk"):
            self.compactions.apply(update)
            entry = self.compactions.compactions.get(str(update.get("compactionId")))
            self._note(compaction_line(update, entry))
        if kind in ("tool_call", "tool_call_update"):
            self.watch.observe(update)
            if update.get("status") in ("completed", "failed"):
                self._finished(update)

    def _finished(self, update: JsonObject) -> None:
        watched = self.watch.finish(str(update.get("toolCallId")))
        status = None
        if watched is not None:
            rest = watched.unseen()
            self._write(rest if not rest or rest.endswith("\n") else rest + "\n")
            status = watched.status()
        status = status or exit_text(update)
        if update["status"] == "completed":
            self._write(f"✓ {status}\n" if status else "✓\n")
        else:
            detail = [part for part in (status, failure_reason(update)) if part]
            self._write("✗ " + (": ".join(detail) or "failed, no reason given") + "\n")
