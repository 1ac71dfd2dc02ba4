"""A foreign ACP agent (stdlib only) that acts on the kit's plain-language
prompts, with at most one defect, chosen by the first argument:

  none              behaves
  cancel-error      answers a cancelled long turn with an error
  open-tool-call    leaves its file-writing tool call in_progress
  late-update       sends a message chunk after the prompt response
  unadvertised-fs   reads a file through the client whatever it advertised
  echo-version      answers initialize with whatever version was asked
  needs-auth        refuses session/new with -32000 until authenticated
  unadvertised-notice  sends a notice whether or not the client opted in

It reads stdin on the main thread and runs each request on its own thread, so
a cancel reaches a turn that is waiting on the client.
"""

import json
import os
import subprocess
import sys
import threading
import uuid

DEFECT = sys.argv[1] if len(sys.argv) > 1 else "none"
out_lock = threading.Lock()
pending = {}  # our request id -> [event, reply]
cancelled = {}  # session id -> event
state = {"caps": {}, "authenticated": False, "next": 0}
history = {}
cwds = {}
mcp = {}


def send(obj):
    with out_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def reply(mid, result=None, error=None):
    send({"jsonrpc": "2.0", "id": mid, **({"error": error} if error else {"result": result})})


def call(method, params):
    with out_lock:
        state["next"] += 1
        mid = f"a{state['next']}"
    slot = [threading.Event(), None]
    pending[mid] = slot
    send({"jsonrpc": "2.0", "id": mid, "method": method, "params": params})
    slot[0].wait(60)
    return slot[1] or {}


STORE = os.path.join(os.environ.get("HOME", "."), ".fixture-agent.json")


def save():
    with out_lock, open(STORE, "w") as handle:
        json.dump({"history": history, "cwds": cwds}, handle)


def load():
    if os.path.exists(STORE):
        with open(STORE) as handle:
            data = json.load(handle)
        history.update(data["history"])
        cwds.update(data["cwds"])


def update(session, body, record=True):
    if record and body.get("sessionUpdate") in ("agent_message_chunk", "user_message_chunk"):
        history.setdefault(session, []).append(body)
        save()
    send(
        {
            "jsonrpc": "2.0",
            "method": "session/update",
            "params": {"sessionId": session, "update": body},
        }
    )


def say(session, text):
    update(
        session, {"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": text}}
    )


def tool(session, call_id, **fields):
    kind = "tool_call" if "title" in fields else "tool_call_update"
    update(session, {"sessionUpdate": kind, "toolCallId": call_id, **fields})


def can(*path):
    node = state["caps"]
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return bool(node)


def opted_in(name):
    """`clientCapabilities.session.<name>` is an object (`{}` opts in)."""
    session = state["caps"].get("session") if isinstance(state["caps"], dict) else None
    return isinstance(session, dict) and isinstance(session.get(name), dict)


def notice(session):
    """Behaving, only for a client that opted in to notices."""
    if opted_in("notices") or DEFECT == "unadvertised-notice":
        body = {"sessionUpdate": "notice", "severity": "info", "title": "Fixture notice"}
        update(session, body, record=False)


def compact(session):
    """`/compact`: a compaction, reported only to a client that opted in."""
    if not opted_in("compaction"):
        return say(session, "compacted")
    cid = "fixture-compaction"
    update(
        session,
        {"sessionUpdate": "compaction_update", "compactionId": cid, "status": "in_progress"},
        record=False,
    )
    chunk = {"type": "text", "text": "We talked about the fixture."}
    update(
        session,
        {"sessionUpdate": "compaction_summary_chunk", "compactionId": cid, "content": chunk},
        record=False,
    )
    update(
        session,
        {"sessionUpdate": "compaction_update", "compactionId": cid, "status": "completed"},
        record=False,
    )


def write_file(session, cwd):
    call_id = uuid.uuid4().hex[:8]
    tool(session, call_id, title="Write conformance-check.txt", kind="edit", status="pending")
    answer = call(
        "session/request_permission",
        {
            "sessionId": session,
            "toolCall": {"toolCallId": call_id},
            "options": [
                {"optionId": "yes", "name": "Allow", "kind": "allow_once"},
                {"optionId": "no", "name": "Reject", "kind": "reject_once"},
            ],
        },
    ).get("result", {})
    outcome = answer.get("outcome") or {}
    if outcome.get("outcome") == "cancelled" or cancelled[session].is_set():
        tool(session, call_id, status="failed")
        return "cancelled"
    if outcome.get("optionId") != "yes":
        tool(session, call_id, status="failed")
        return "end_turn"
    tool(session, call_id, status="in_progress")
    path = os.path.join(cwd, "conformance-check.txt")
    call("fs/write_text_file", {"sessionId": session, "path": path, "content": "ok"})
    if DEFECT != "open-tool-call":
        tool(session, call_id, status="completed")
    return "end_turn"


def run_command(session):
    call_id = uuid.uuid4().hex[:8]
    tool(session, call_id, title="echo conformance", kind="execute", status="in_progress")
    created = call(
        "terminal/create", {"sessionId": session, "command": "echo", "args": ["conformance"]}
    )
    terminal = (created.get("result") or {}).get("terminalId")
    ids = {"sessionId": session, "terminalId": terminal}
    call("terminal/wait_for_exit", ids)
    call("terminal/output", ids)
    call("terminal/release", ids)
    tool(
        session, call_id, status="completed", content=[{"type": "terminal", "terminalId": terminal}]
    )


def mcp_echo(session):
    server = mcp.get(session)
    call_id = uuid.uuid4().hex[:8]
    tool(session, call_id, title="kit echo", kind="other", status="in_progress")
    child = subprocess.Popen(
        [server["command"], *server.get("args", [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    for message in (
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"protocolVersion": "2025-06-18"},
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "echo", "arguments": {"text": "conformance"}},
        },
    ):
        child.stdin.write(json.dumps(message) + "\n")
        child.stdin.flush()
        if "id" in message:
            child.stdout.readline()
    child.stdin.close()
    child.wait(10)
    tool(session, call_id, status="completed")


def prompt(mid, params):
    session = params["sessionId"]
    if session not in cwds:
        return reply(mid, error={"code": -32602, "message": f"unknown session {session}"})
    text = " ".join(b.get("text", "") for b in params.get("prompt", []) if b.get("type") == "text")
    cancelled[session] = threading.Event()
    history.setdefault(session, []).append(
        {"sessionUpdate": "user_message_chunk", "content": {"type": "text", "text": text}}
    )
    stop = "end_turn"
    notice(session)
    if DEFECT == "unadvertised-fs":
        call("fs/read_text_file", {"sessionId": session, "path": os.path.join(cwds[session], "x")})
    if "conformance-check.txt" in text and can("fs", "writeTextFile"):
        stop = write_file(session, cwds[session])
    elif "echo conformance" in text and can("terminal"):
        run_command(session)
    elif "MCP server" in text and session in mcp:
        mcp_echo(session)
    elif text.strip() == "/compact":
        compact(session)
    elif "essay" in text:
        say(session, "Version control began with ")
        if cancelled[session].wait(30):
            if DEFECT == "cancel-error" and not state.get("via_request"):
                return reply(mid, error={"code": -32603, "message": "aborted"})
            stop = "cancelled"
    else:
        say(session, "ok: " + text[:40])
    reply(mid, {"stopReason": stop})
    if DEFECT == "late-update":
        say(session, "one more thing")


def handle(msg):
    method, mid, params = msg.get("method"), msg.get("id"), msg.get("params") or {}
    if method == "initialize":
        state["caps"] = params.get("clientCapabilities") or {}
        asked = params.get("protocolVersion")
        version = asked if DEFECT == "echo-version" else 1
        methods = (
            [{"id": "fixture-login", "name": "Fixture login"}] if DEFECT == "needs-auth" else []
        )
        caps = {"loadSession": True, "sessionCapabilities": {"list": {}}}
        reply(
            mid,
            {
                "protocolVersion": version,
                "agentCapabilities": caps,
                "authMethods": methods,
                "agentInfo": {"name": "fixture-agent", "version": "1"},
            },
        )
    elif method == "authenticate":
        state["authenticated"] = params.get("methodId") == "fixture-login"
        reply(mid, {}) if state["authenticated"] else reply(
            mid, error={"code": -32602, "message": "unknown method"}
        )
    elif method in ("session/new", "session/load"):
        if not isinstance(params.get("cwd"), str) or not isinstance(params.get("mcpServers"), list):
            return reply(mid, error={"code": -32602, "message": "cwd and mcpServers are required"})
        if DEFECT == "needs-auth" and not state["authenticated"]:
            return reply(mid, error={"code": -32000, "message": "Authentication required"})
        session = params.get("sessionId") or uuid.uuid4().hex
        cwds[session] = params.get("cwd", "/")
        servers = [s for s in params.get("mcpServers") or [] if "command" in s]
        if servers:
            mcp[session] = servers[0]
        if method == "session/load":
            for item in history.get(session, []):
                update(session, item, record=False)
            return reply(mid, {})
        reply(mid, {"sessionId": session})
    elif method == "session/list":
        if params.get("cursor") is not None:
            return reply(mid, error={"code": -32602, "message": "this agent hands out no cursors"})
        wanted = params.get("cwd")
        reply(
            mid,
            {
                "sessions": [
                    {"sessionId": s, "cwd": c} for s, c in cwds.items() if wanted in (None, c)
                ]
            },
        )
    elif method == "session/prompt":
        prompt(mid, params)
    elif mid is not None:
        reply(mid, error={"code": -32601, "message": f"Method not found: {method}"})


def main():
    load()
    for raw in sys.stdin:
        try:
            msg = json.loads(raw)
        except ValueError:
            send(
                {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
            )
            continue
        if "method" not in msg:
            slot = pending.pop(msg.get("id"), None)
            if slot:
                slot[1] = msg
                slot[0].set()
        elif msg["method"] == "session/cancel":
            event = cancelled.get((msg.get("params") or {}).get("sessionId"))
            if event:
                event.set()
        elif msg["method"] == "$/cancel_request":
            state["via_request"] = True
            for event in cancelled.values():
                event.set()
        elif "id" in msg:
            threading.Thread(target=handle, args=(msg,), daemon=True).start()


main()
