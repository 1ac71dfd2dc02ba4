"""A deliberately broken ACP agent (stdlib only) for tracer and kit tests.

Its defect is chosen by the first argument:
  update-before-response   sends an update before answering session/new
  unadvertised-fs          calls fs/read_text_file without the capability
  open-tool-call           answers a prompt with a tool call still pending
  late-update              sends turn content after the prompt response
  stdout-banner            prints a banner line on stdout first
  answers-notification     answers session/cancel
  wrong-version            answers initialize with protocolVersion 2
  no-replay                loads sessions without replaying history
  list-not-array           session/list returns an object for sessions
  ignores-eof              keeps running after stdin closes
  none                     behaves
"""

import json
import sys
import time

DEFECT = sys.argv[1] if len(sys.argv) > 1 else "none"
next_id = 1000


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def update(session, body):
    send(
        {
            "jsonrpc": "2.0",
            "method": "session/update",
            "params": {"sessionId": session, "update": body},
        }
    )


def text(session, value):
    update(
        session,
        {"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": value}},
    )


if DEFECT == "stdout-banner":
    print("Welcome to the broken agent!", flush=True)

history = {}
cwds = {}
caps = {}
for raw in sys.stdin:
    try:
        msg = json.loads(raw)
    except ValueError:
        send({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
        continue
    method, mid, params = msg.get("method"), msg.get("id"), msg.get("params") or {}
    if method is None:
        continue  # a reply to one of our requests
    if method == "initialize":
        caps = params.get("clientCapabilities") or {}
        version = 2 if DEFECT == "wrong-version" else 1
        result = {
            "protocolVersion": version,
            "agentCapabilities": {"loadSession": True, "sessionCapabilities": {"list": {}}},
            "agentInfo": {"name": "misbehaving", "version": "0"},
        }
        send({"jsonrpc": "2.0", "id": mid, "result": result})
    elif method == "session/new":
        session = f"s{len(history) + 1}"
        history[session] = []
        cwds[session] = params.get("cwd", "/")
        if DEFECT == "update-before-response":
            text(session, "too early")
        send({"jsonrpc": "2.0", "id": mid, "result": {"sessionId": session}})
    elif method == "session/load":
        session = params["sessionId"]
        if DEFECT != "no-replay":
            for item in history.get(session, []):
                update(session, item)
        send({"jsonrpc": "2.0", "id": mid, "result": {}})
    elif method == "session/list":
        wanted = params.get("cwd")
        sessions = [
            {"sessionId": s, "cwd": cwds.get(s, "/")}
            for s in history
            if wanted in (None, cwds.get(s))
        ]
        send(
            {
                "jsonrpc": "2.0",
                "id": mid,
                "result": {
                    "sessions": {"all": sessions} if DEFECT == "list-not-array" else sessions
                },
            }
        )
    elif method == "session/prompt":
        session = params["sessionId"]
        prompt = "".join(b.get("text", "") for b in params.get("prompt", []))
        history.setdefault(session, []).append(
            {"sessionUpdate": "user_message_chunk", "content": {"type": "text", "text": prompt}}
        )
        if DEFECT == "unadvertised-fs":
            next_id += 1
            send(
                {
                    "jsonrpc": "2.0",
                    "id": next_id,
                    "method": "fs/read_text_file",
                    "params": {"sessionId": session, "path": "/etc/hostname"},
                }
            )
        if DEFECT == "open-tool-call":
            update(
                session,
                {
                    "sessionUpdate": "tool_call",
                    "toolCallId": "t1",
                    "title": "Never finishes",
                    "status": "pending",
                },
            )
        text(session, "echo: " + prompt)
        history[session].append(
            {
                "sessionUpdate": "agent_message_chunk",
                "content": {"type": "text", "text": "echo: " + prompt},
            }
        )
        send({"jsonrpc": "2.0", "id": mid, "result": {"stopReason": "end_turn"}})
        if DEFECT == "late-update":
            text(session, "after the end")
    elif method == "session/cancel":
        if DEFECT == "answers-notification":
            send({"jsonrpc": "2.0", "id": None, "result": {}})
    elif mid is not None:
        send(
            {
                "jsonrpc": "2.0",
                "id": mid,
                "error": {"code": -32601, "message": f"Method not found: {method}"},
            }
        )

if DEFECT == "ignores-eof":
    time.sleep(60)
