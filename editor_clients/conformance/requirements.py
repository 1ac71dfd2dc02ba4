"""The requirements, each with a stable id, a tier and the rule it checks.

Tiers: MUST (fails the verdict), CAPABILITY (tested only when the agent
advertises it; fails the verdict), SHOULD (reported, fails nothing), INFO
(recorded only). Each function gets a fresh `Probe` and returns a detail
string, or raises Fail / Skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from editor_clients.client import ClientCapabilities
from editor_clients.conformance.probe import (
    NOTHING,
    Fail,
    Probe,
    Skip,
    check,
    frames_of,
    raw_exchange,
)
from protocol import RpcError

FULL = ClientCapabilities(fs_read=True, fs_write=True, terminal=True)
TERMINAL_STATUSES = {"completed", "failed"}
STOP_REASONS = {"end_turn", "max_tokens", "max_turn_requests", "refusal", "cancelled"}


@dataclass(frozen=True)
class Requirement:
    id: str
    tier: str
    rule: str
    run: Callable[[Probe], Awaitable[str]]
    capability: str | None = None  # dotted path into agentCapabilities


REQUIREMENTS: list[Requirement] = []


def requirement(
    id: str, tier: str, rule: str, capability: str | None = None
) -> Callable[[Callable[[Probe], Awaitable[str]]], Callable[[Probe], Awaitable[str]]]:
    def register(fn: Callable[[Probe], Awaitable[str]]) -> Callable[[Probe], Awaitable[str]]:
        REQUIREMENTS.append(Requirement(id, tier, rule, fn, capability))
        return fn

    return register


def advertised(caps: dict[str, Any], path: str) -> bool:
    node: Any = caps
    for part in path.split("."):
        if not isinstance(node, dict) or node.get(part) in (None, False):
            return False
        node = node[part]
    return True


def _updates(client: Any, session: str) -> list[dict[str, Any]]:
    view = client.sessions.get(session)
    return list(view.updates) if view else []


def _frame_index(client: Any, predicate: Callable[[str, dict[str, Any]], bool]) -> list[int]:
    return [i for i, (_, d, f) in enumerate(client.frames) if predicate(d, f)]


def _response_index(client: Any, method: str) -> int:
    ids = {
        f["id"] for _, d, f in client.frames if d == "client->agent" and f.get("method") == method
    }
    found = _frame_index(
        client, lambda d, f: d == "agent->client" and "method" not in f and f.get("id") in ids
    )
    check(bool(found), f"no response to {method}")
    return found[-1]


# ------------------------------------------------------------------ initialize


@requirement(
    "INIT-001", "MUST", "answer initialize with the requested version when supported (v1 -> 1)"
)
async def init_version_one(probe: Probe) -> str:
    await probe.ready()
    check(
        probe.info.get("protocolVersion") == 1,
        f"asked for 1, got {probe.info.get('protocolVersion')!r}",
    )
    return "protocolVersion 1"


@requirement(
    "INIT-002", "MUST", "answer a newer version with one you support (never more than asked)"
)
async def init_version_two(probe: Probe) -> str:
    client = await probe.client()
    result = await client.initialize(protocol_version=2)
    version = result.get("protocolVersion")
    check(version in (1, 2), f"asked for 2, got {version!r}")
    return f"answered {version}"


@requirement("INIT-003", "INFO", "agentInfo and capabilities (recorded)")
async def init_info(probe: Probe) -> str:
    await probe.ready()
    return json.dumps(
        {"agentInfo": probe.info.get("agentInfo"), "agentCapabilities": probe.agent_caps()}
    )[:500]


@requirement(
    "INIT-004", "MUST", "list terminal auth methods only if the client advertised auth.terminal"
)
async def init_terminal_auth(probe: Probe) -> str:
    await probe.ready()
    methods = probe.info.get("authMethods") or []
    check(
        all(m.get("type") != "terminal" for m in methods),
        "a terminal auth method was offered to a client without auth.terminal",
    )
    return f"{len(methods)} auth method(s), none of type terminal"


# ------------------------------------------------------------------ JSON-RPC and stdio


@requirement(
    "RPC-001", "MUST", "garbage input is answered -32700 with id null, and the agent lives on"
)
async def rpc_parse_error(probe: Probe) -> str:
    init = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}}
    ).encode()
    lines, _ = await raw_exchange(probe.argv, probe.cwd, probe.env, [b"{this is not json", init])
    frames = frames_of(lines)
    check(
        any(f.get("id") is None and (f.get("error") or {}).get("code") == -32700 for f in frames),
        f"no -32700 with id null in {frames[:3]}",
    )
    check(
        any(f.get("id") == 1 and "result" in f for f in frames),
        "initialize was not answered after the garbage line",
    )
    return "-32700 id null, then initialize answered"


@requirement("RPC-002", "MUST", "unknown methods are answered -32601")
async def rpc_unknown_method(probe: Probe) -> str:
    client = await probe.ready()
    try:
        await client.request("conformance/no_such_method", {})
    except RpcError as error:
        check(error.code == -32601, f"expected -32601, got {error.code}")
        return "-32601"
    raise Fail("an unknown method returned a result")


@requirement("RPC-003", "SHOULD", "malformed params are answered -32602")
async def rpc_invalid_params(probe: Probe) -> str:
    client = await probe.ready()
    try:
        await client.request("session/new", {"cwd": 5, "mcpServers": "nope"})
    except RpcError as error:
        check(error.code == -32602, f"expected -32602, got {error.code}")
        return "-32602"
    raise Fail("session/new with a numeric cwd succeeded")


@requirement("EXT-001", "MUST", "`_` extension requests are answered (-32601 when unknown)")
async def ext_request(probe: Probe) -> str:
    client = await probe.ready()
    try:
        await client.request("_conformance/probe", {}, timeout=10)
    except RpcError as error:
        return f"answered with error {error.code}"
    except TimeoutError:
        raise Fail("no answer to a `_` extension request within 10 s") from None
    return "answered with a result"


@requirement("RPC-004", "MUST", "notifications are never answered")
async def notifications_unanswered(probe: Probe) -> str:
    lines = [
        json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}}
        ).encode(),
        json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "session/cancel",
                "params": {"sessionId": "no-such-session"},
            }
        ).encode(),
        json.dumps({"jsonrpc": "2.0", "method": "_conformance/notice", "params": {}}).encode(),
    ]
    out, _ = await raw_exchange(probe.argv, probe.cwd, probe.env, lines)
    replies = [f for f in frames_of(out) if "method" not in f]
    check(
        [f.get("id") for f in replies] == [1],
        f"expected only the initialize reply, got ids {[f.get('id') for f in replies]}",
    )
    return "only the request was answered"


@requirement("IO-001", "MUST", "stdout carries only JSON-RPC frames")
async def stdout_hygiene(probe: Probe) -> str:
    lines = [
        json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}}
        ).encode(),
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "session/new",
                "params": {"cwd": probe.cwd, "mcpServers": []},
            }
        ).encode(),
    ]
    out, _ = await raw_exchange(probe.argv, probe.cwd, probe.env, lines)
    for line in out:
        try:
            frame = json.loads(line)
        except ValueError:
            raise Fail(f"non-JSON line on stdout: {line[:120]!r}") from None
        check(
            isinstance(frame, dict) and frame.get("jsonrpc") == "2.0",
            f"not a JSON-RPC frame: {line[:120]!r}",
        )
    check(bool(out), "nothing on stdout")
    return f"{len(out)} lines, all frames"


@requirement("IO-002", "SHOULD", "the agent exits promptly when stdin closes")
async def exits_on_eof(probe: Probe) -> str:
    init = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}}
    ).encode()
    _, elapsed = await raw_exchange(probe.argv, probe.cwd, probe.env, [init], wait=0.5)
    check(elapsed is not None and elapsed < 5, "still running 5 s after stdin closed")
    return f"exited {elapsed:.2f} s after stdin closed"


# ------------------------------------------------------------------ sessions


@requirement(
    "SESS-001", "MUST", "session/new answers a unique id before any update for that session"
)
async def session_new(probe: Probe) -> str:
    client = await probe.ready()
    first = (await client.new_session())["sessionId"]
    second = (await client.new_session())["sessionId"]
    check(first != second, "two sessions got the same id")
    await asyncio.sleep(0.2)
    response = _response_index(client, "session/new")
    early = _frame_index(
        client,
        lambda d, f: (
            f.get("method") == "session/update"
            and (f.get("params") or {}).get("sessionId") == second
        ),
    )
    check(
        all(i > response for i in early),
        "an update for the session arrived before the session/new response",
    )
    return "unique ids, response first"


@requirement(
    "PROMPT-001", "MUST", "a turn's updates come before its response, with a valid stop reason"
)
async def prompt_turn(probe: Probe) -> str:
    client = await probe.ready()
    session = (await client.new_session())["sessionId"]
    text = (
        "say conformance\nthink briefly"
        if probe.ours
        else "Hello from the ACP conformance kit. Reply briefly."
    )
    result = await client.prompt(session, text, timeout=120)
    check(
        result.get("stopReason") in STOP_REASONS, f"invalid stopReason {result.get('stopReason')!r}"
    )
    await asyncio.sleep(0.3)
    response = _response_index(client, "session/prompt")
    late = _frame_index(
        client,
        lambda d, f: (
            f.get("method") == "session/update"
            and ((f.get("params") or {}).get("update") or {}).get("sessionUpdate")
            in (
                "agent_message_chunk",
                "agent_thought_chunk",
                "tool_call",
                "tool_call_update",
                "plan",
            )
        ),
    )
    check(all(i < response for i in late), "turn content arrived after the prompt response")
    return f"stopReason {result['stopReason']}"


@requirement("PROMPT-002", "MUST", "every tool call reaches completed or failed")
async def tool_calls_finish(probe: Probe) -> str:
    client = await probe.ready(FULL, policy="deny")
    probe.require_ours()
    session = (await client.new_session())["sessionId"]
    await client.prompt(session, "read missing-file.txt\nwrite denied.txt x\nsay done", timeout=120)
    view = client.sessions[session]
    check(bool(view.tool_calls), "no tool calls were made")
    open_calls = view.unfinished_tool_calls()
    check(not open_calls, f"tool calls left open: {open_calls}")
    return f"{len(view.tool_calls)} tool calls, all final"


@requirement("CANCEL-001", "MUST", "cancel ends the turn with stopReason cancelled (not an error)")
async def cancel_turn(probe: Probe) -> str:
    client = await probe.ready()
    probe.require_ours()
    session = (await client.new_session())["sessionId"]
    turn = asyncio.create_task(client.prompt(session, "say started\nwait 30", timeout=60))
    try:
        await client.wait_for(lambda: "started" in client.sessions[session].message, 10)
    except TimeoutError:
        turn.cancel()
        raise Skip("inconclusive: the turn never started streaming") from None
    if turn.done():
        raise Skip("inconclusive: the turn ended before the cancel was sent")
    await client.cancel(session)
    try:
        result = await asyncio.wait_for(turn, 10)
    except RpcError as error:
        raise Fail(
            f"cancel produced an error {error.code} instead of stopReason cancelled"
        ) from None
    check(result.get("stopReason") == "cancelled", f"stopReason {result.get('stopReason')!r}")
    after = await client.prompt(session, "say again", timeout=30)
    check(after.get("stopReason") == "end_turn", "the session was not usable after cancel")
    return "cancelled, then usable"


@requirement("CAP-001", "MUST", "fs, terminal and elicitation are never called unless advertised")
async def capability_negatives(probe: Probe) -> str:
    client = await probe.ready(NOTHING, policy="approve")
    session = (await client.new_session())["sessionId"]
    text = (
        "write neg.txt x\nread neg.txt\nrun echo hi"
        if probe.ours
        else "Please read README.md and run `ls`."
    )
    with contextlib.suppress(RpcError):
        await client.prompt(session, text, timeout=120)
    check(
        not client.unadvertised_calls,
        f"called without capability: {sorted(set(client.unadvertised_calls))}",
    )
    return "no unadvertised calls"


@requirement(
    "CONFIG-001",
    "CAPABILITY",
    "set_config_option answers with the complete option list",
    capability=None,
)
async def config_options(probe: Probe) -> str:
    client = await probe.ready()
    created = await client.new_session()
    options = created.get("configOptions") or []
    if not options:
        raise Skip("the agent returned no configOptions")
    target = next(
        (o for o in options if o.get("type", "select") == "select" and o.get("options")), None
    )
    if target is None:
        raise Skip("no select option to change")
    values = [o.get("value") for o in target["options"] if isinstance(o, dict) and "value" in o]
    result = await client.set_config_option(created["sessionId"], target["id"], values[-1])
    returned = {o["id"] for o in result.get("configOptions") or []}
    check(
        returned == {o["id"] for o in options},
        f"returned ids {sorted(returned)} differ from {sorted(o['id'] for o in options)}",
    )
    return f"{len(returned)} options returned after setting {target['id']}"


@requirement(
    "LOAD-001",
    "CAPABILITY",
    "session/load replays history before its response",
    capability="loadSession",
)
async def load_replays(probe: Probe) -> str:
    client = await probe.ready()
    session = (await client.new_session())["sessionId"]
    await client.prompt(
        session, "say remember me" if probe.ours else "Remember the word: conformance.", timeout=120
    )
    before = len(client.frames)
    await client.load_session(session)
    response = _response_index(client, "session/load")
    replayed = _frame_index(
        client,
        lambda d, f: (
            f.get("method") == "session/update"
            and ((f.get("params") or {}).get("update") or {}).get("sessionUpdate")
            in ("user_message_chunk", "agent_message_chunk")
        ),
    )
    replayed = [i for i in replayed if i >= before]
    check(bool(replayed), "nothing was replayed")
    check(max(replayed) < response, "history arrived after the load response")
    return f"{len(replayed)} messages replayed before the response"


@requirement(
    "RESUME-001",
    "CAPABILITY",
    "session/resume never replays history",
    capability="sessionCapabilities.resume",
)
async def resume_no_replay(probe: Probe) -> str:
    client = await probe.ready()
    session = (await client.new_session())["sessionId"]
    await client.prompt(session, "say history" if probe.ours else "Hello.", timeout=120)
    before = len(_updates(client, session))
    await client.resume_session(session)
    await asyncio.sleep(0.3)
    kinds = [u.get("sessionUpdate") for u in _updates(client, session)[before:]]
    check(
        not {"user_message_chunk", "agent_message_chunk", "tool_call"} & set(kinds),
        f"resume replayed: {kinds}",
    )
    return "no replay"


@requirement(
    "LIST-001",
    "CAPABILITY",
    "session/list returns an array, paged with an opaque cursor",
    capability="sessionCapabilities.list",
)
async def list_sessions(probe: Probe) -> str:
    client = await probe.ready()
    created = (await client.new_session())["sessionId"]
    result = await client.list_sessions()
    check(
        isinstance(result.get("sessions"), list),
        f"sessions is not an array: {type(result.get('sessions')).__name__}",
    )
    empty = await client.list_sessions(cwd=os.path.join(probe.cwd, "no-such-dir-for-conformance"))
    check(empty.get("sessions") == [], "a cwd filter with no match did not return []")
    ids = {s.get("sessionId") for s in result["sessions"]}
    check(
        created in ids or "nextCursor" in result, "the new session is missing from the first page"
    )
    return f"{len(result['sessions'])} session(s)"


@requirement(
    "LIST-002",
    "SHOULD",
    "an invalid cursor is answered with an error",
    capability="sessionCapabilities.list",
)
async def list_bad_cursor(probe: Probe) -> str:
    client = await probe.ready()
    try:
        await client.list_sessions(cursor="%%%not-a-cursor%%%")
    except RpcError as error:
        return f"error {error.code}"
    raise Fail("an invalid cursor returned a page")


@requirement(
    "CLOSE-001",
    "CAPABILITY",
    "session/close answers and frees the session",
    capability="sessionCapabilities.close",
)
async def close_session(probe: Probe) -> str:
    client = await probe.ready()
    session = (await client.new_session())["sessionId"]
    await client.close_session(session)
    return "closed"


@requirement(
    "DELETE-001",
    "CAPABILITY",
    "deleting an unknown session succeeds; deleted sessions leave the list",
    capability="sessionCapabilities.delete",
)
async def delete_session(probe: Probe) -> str:
    client = await probe.ready()
    await client.delete_session("conformance-unknown-session")
    session = (await client.new_session())["sessionId"]
    await client.delete_session(session)
    if advertised(probe.agent_caps(), "sessionCapabilities.list"):
        ids = {s.get("sessionId") for s in (await client.list_sessions()).get("sessions", [])}
        check(session not in ids, "a deleted session is still listed")
    return "ok"


@requirement(
    "FORK-001",
    "CAPABILITY",
    "session/fork returns a new session id",
    capability="sessionCapabilities.fork",
)
async def fork_session(probe: Probe) -> str:
    client = await probe.ready()
    session = (await client.new_session())["sessionId"]
    result = await client.fork_session(session)
    check(result.get("sessionId") not in (None, session), "fork did not return a new id")
    return "new id"


# ------------------------------------------------------------------ client surfaces


@requirement(
    "FS-001",
    "CAPABILITY",
    "writes go through fs/write_text_file with absolute paths when advertised",
)
async def fs_surface(probe: Probe) -> str:
    client = await probe.ready(FULL, policy="approve")
    probe.require_ours()
    session = (await client.new_session())["sessionId"]
    await client.prompt(
        session,
        "write conformance-fs.txt written via the client\nread conformance-fs.txt",
        timeout=120,
    )
    writes = [
        f["params"]
        for _, d, f in client.frames
        if d == "agent->client" and f.get("method") == "fs/write_text_file"
    ]
    check(bool(writes), "the agent wrote without fs/write_text_file")
    check(all(os.path.isabs(w.get("path", "")) for w in writes), "a write used a relative path")
    diffs = [
        c
        for u in _updates(client, session)
        for c in u.get("content") or []
        if c.get("type") == "diff"
    ]
    check(all(os.path.isabs(d.get("path", "")) for d in diffs), "a diff used a relative path")
    return f"{len(writes)} write(s) through the client"


@requirement("TERM-001", "CAPABILITY", "every created terminal is released")
async def terminal_surface(probe: Probe) -> str:
    client = await probe.ready(FULL, policy="approve")
    probe.require_ours()
    session = (await client.new_session())["sessionId"]
    await client.prompt(session, "run echo conformance\nrun sh -c 'exit 3'", timeout=120)
    created, released = client.terminals.created, client.terminals.released
    check(bool(created), "no terminal was created although terminal was advertised")
    check(
        sorted(created) == sorted(released),
        f"unreleased terminals: {sorted(set(created) - set(released))}",
    )
    return f"{len(created)} created, all released"


@requirement("MCP-001", "MUST", "stdio MCP servers given in session/new are connected and usable")
async def mcp_stdio(probe: Probe) -> str:
    client = await probe.ready(FULL, policy="approve")
    probe.require_ours()
    marker = os.path.join(probe.cwd, "mcp-called.txt")
    server = {
        "name": "kit",
        "command": sys.executable,
        "args": ["-m", "editor_clients.conformance.mcp_stub", marker],
        "env": [],
    }
    session = (await client.new_session(mcp_servers=[server]))["sessionId"]
    await client.prompt(session, 'mcp kit echo {"text": "conformance"}', timeout=120)
    view = client.sessions[session]
    statuses = [c.status for c in view.tool_calls.values()]
    check(statuses == ["completed"], f"MCP tool call statuses: {statuses}")
    check(os.path.exists(marker), "the MCP server was never called")
    return "tool call completed through the stdio MCP server"
