"""`acp-client exec`: one turn, headless, for scripts and CI."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from editor_clients.client import ClientCapabilities, ClientConnection, PermissionPolicy
from protocol import RpcError

EXIT = {"end_turn": 0, "max_tokens": 3, "max_turn_requests": 4, "refusal": 5, "cancelled": 130}


async def run_exec(ns: argparse.Namespace, agent: list[str]) -> int:
    start = time.monotonic()
    as_json = ns.format == "json"

    piped = {"open": True}

    def on_frame(direction: str, frame: dict[str, Any]) -> None:
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
        fs_read=not ns.no_fs, fs_write=not ns.no_fs, terminal=not ns.no_terminal
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
    if not as_json:
        client.on_update = lambda _sid, update: _print_update(update)
    try:
        await client.initialize()
        session = (await client.new_session())["sessionId"]
        result = await client.prompt(session, ns.prompt, timeout=ns.timeout)
    except RpcError as error:
        print(
            f"\nacp-client: the agent answered with error {error.code}: {error.message}",
            file=sys.stderr,
        )
        return 1
    except (ConnectionError, TimeoutError) as error:
        tail = client.process.stderr_tail() if client.process else ""
        print(
            f"\nacp-client: the agent stopped answering ({type(error).__name__}). stderr tail:\n{tail}",
            file=sys.stderr,
        )
        return 1
    finally:
        await client.close()
    stop = str(result.get("stopReason"))
    if not as_json:
        print(f"\n[{stop}]", file=sys.stderr)
    return EXIT.get(stop, 1)


def _print_update(update: dict[str, Any]) -> None:
    kind = update.get("sessionUpdate")
    if kind == "agent_message_chunk":
        sys.stdout.write((update.get("content") or {}).get("text", ""))
    elif kind == "tool_call":
        sys.stdout.write(f"\n▶ {update.get('title')}\n")
    elif kind == "tool_call_update" and update.get("status") in ("completed", "failed"):
        sys.stdout.write(("✓" if update["status"] == "completed" else "✗") + "\n")
    sys.stdout.flush()
