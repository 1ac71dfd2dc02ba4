"""Protocol rules the tracer checks on raw frames, without altering them.

Each check returns violations as (rule, detail). Rules:
- invalid-json: a line that is not JSON;
- schema: params or results that do not decode as the ACP v1 types;
- unadvertised-client-call: fs/terminal/elicitation calls the client did not advertise;
- unadvertised-update: a `notice` without the client's `session.notices`
  opt-in, or a `compaction_update` / `compaction_summary_chunk` without
  `session.compaction` (live or in a replay);
- update-before-session-response: an update for a session before new/resume/fork answered;
- update-after-prompt-response: turn content for a session with no prompt in flight;
- tool-call-not-completed: a prompt answered while its tool calls are still open;
- update-before-tool-call: a tool_call_update for a call no tool_call announced;
- request-before-tool-call: a request to the client made for a tool call (a
  permission request's toolCall, or `_meta.toolCallId`) before the tool_call
  that announces it: causal order;
- request-after-prompt-response: a request made for a tool call of a session
  with no prompt in flight (nothing of a turn after its response);
- response-to-unknown-id: a reply to a request that was never sent (or was answered).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from protocol.json_types import JsonObject, JsonValue, as_object, get_object

TURN_CONTENT = {
    "agent_message_chunk",
    "agent_thought_chunk",
    "tool_call",
    "tool_call_update",
    "plan",
}
Violation = tuple[str, str]
# session/update kind -> the `clientCapabilities.session` key that opts in to it
OPT_IN_UPDATES = {
    "notice": "notices",
    "compaction_update": "compaction",
    "compaction_summary_chunk": "compaction",
}


@dataclass
class TraceChecker:
    caps: JsonObject = field(default_factory=dict)  # the client's, from `initialize`
    pending: dict[tuple[str, JsonValue], tuple[str, JsonObject]] = field(
        default_factory=dict
    )  # (sender, id) -> (method, params)
    opened: set[str] = field(default_factory=set)
    loading: set[str] = field(default_factory=set)
    prompting: dict[str, int] = field(default_factory=dict)
    open_calls: dict[str, dict[str, str]] = field(default_factory=dict)

    def check(self, sender: str, line: bytes) -> list[Violation]:
        """`sender` is "client" or "agent"."""
        try:
            frame = json.loads(line)
        except ValueError:
            return [("invalid-json", f"{sender} sent a line that is not JSON: {line[:120]!r}")]
        if not isinstance(frame, dict):
            return [("invalid-json", f"{sender} sent a JSON value that is not an object")]
        if "method" in frame:
            return self._call(sender, frame)
        return self._reply(sender, frame)

    # ------------------------------------------------------------ calls

    def _call(self, sender: str, frame: dict[str, Any]) -> list[Violation]:
        method, params = str(frame["method"]), frame.get("params") or {}
        found = self._schema(method, params, "params")
        if "id" in frame:
            self.pending[(sender, frame["id"])] = (method, params)
        if sender == "client":
            self._client_call(method, params)
        else:
            found += self._agent_call(method, params)
        return found

    def _client_call(self, method: str, params: dict[str, Any]) -> None:
        if method == "initialize":
            self.caps = as_object(params.get("clientCapabilities"))
        elif method == "session/load":
            self.loading.add(str(params.get("sessionId")))
        elif method == "session/prompt":
            session = str(params.get("sessionId"))
            self.prompting[session] = self.prompting.get(session, 0) + 1

    def _agent_call(self, method: str, params: dict[str, Any]) -> list[Violation]:
        found: list[Violation] = []
        fs = get_object(self.caps, "fs")
        gates = {
            "fs/read_text_file": fs.get("readTextFile"),
            "fs/write_text_file": fs.get("writeTextFile"),
        }
        if method.startswith("terminal/"):
            gates[method] = self.caps.get("terminal")
        if method == "elicitation/create":
            gates[method] = bool(self.caps.get("elicitation"))
        if method in gates and not gates[method]:
            found.append(
                (
                    "unadvertised-client-call",
                    f"the agent called {method} but the client did not advertise it",
                )
            )
        if method == "session/update":
            found += self._update(params)
        elif (call_id := _made_for(params)) is not None:
            found += self._request_for_call(method, str(params.get("sessionId")), call_id)
        return found

    def _request_for_call(self, method: str, session: str, call_id: str) -> list[Violation]:
        found: list[Violation] = []
        if call_id not in self.open_calls.get(session, {}):
            found.append(
                (
                    "request-before-tool-call",
                    f"{method} for tool call {call_id} of session {session} before its tool_call",
                )
            )
        if not self.prompting.get(session) and session not in self.loading:
            found.append(
                (
                    "request-after-prompt-response",
                    f"{method} for tool call {call_id} of session {session} "
                    "while no prompt is in flight",
                )
            )
        return found

    def _update(self, params: dict[str, Any]) -> list[Violation]:
        session = str(params.get("sessionId"))
        update = params.get("update") or {}
        kind = update.get("sessionUpdate")
        found = self._opted_in(session, kind)
        if session not in self.opened and session not in self.loading:
            found.append(
                (
                    "update-before-session-response",
                    f"{kind} for session {session} before its session response",
                )
            )
        elif (
            kind in TURN_CONTENT and session not in self.loading and not self.prompting.get(session)
        ):
            found.append(
                (
                    "update-after-prompt-response",
                    f"{kind} for session {session} while no prompt is in flight",
                )
            )
        if kind in ("tool_call", "tool_call_update"):
            calls = self.open_calls.setdefault(session, {})
            call_id = str(update.get("toolCallId"))
            if kind == "tool_call_update" and call_id not in calls:
                found.append(
                    (
                        "update-before-tool-call",
                        f"tool_call_update for {call_id} of session {session} before its tool_call",
                    )
                )
            status = update.get("status") or calls.get(call_id, "pending")
            calls[call_id] = status
        return found

    def _opted_in(self, session: str, kind: object) -> list[Violation]:
        needed = OPT_IN_UPDATES.get(str(kind))
        if needed is None:
            return []
        opted = self.caps.get("session") if isinstance(self.caps, dict) else None
        # The schema: `{}` opts in; omitted, null or a malformed value does not.
        if isinstance(opted, dict) and isinstance(opted.get(needed), dict):
            return []
        return [
            (
                "unadvertised-update",
                f"{kind} for session {session} but the client did not opt in to session.{needed}",
            )
        ]

    # ------------------------------------------------------------ replies

    def _reply(self, sender: str, frame: dict[str, Any]) -> list[Violation]:
        requester = "agent" if sender == "client" else "client"
        entry = self.pending.pop((requester, frame.get("id")), None)
        if entry is None:
            return [
                (
                    "response-to-unknown-id",
                    f"{sender} answered id {frame.get('id')!r}, which has no request in flight",
                )
            ]
        method, params = entry
        if "error" in frame:
            if method == "session/prompt":
                self._prompt_done(str(params.get("sessionId")))
            return []
        result = frame.get("result")
        found = self._schema(method, result, "result")
        if method in ("session/new", "session/fork") and isinstance(result, dict):
            self.opened.add(str(result.get("sessionId")))
        elif method in ("session/load", "session/resume"):
            session = str(params.get("sessionId"))
            self.loading.discard(session)
            self.opened.add(session)
        elif method == "session/prompt":
            session = str(params.get("sessionId"))
            unfinished = [
                cid
                for cid, status in self.open_calls.get(session, {}).items()
                if status not in ("completed", "failed")
            ]
            if unfinished:
                found.append(
                    (
                        "tool-call-not-completed",
                        f"prompt answered with tool calls still open: {', '.join(unfinished)}",
                    )
                )
                for cid in unfinished:
                    self.open_calls[session][cid] = "failed"
            self._prompt_done(session)
        return found

    def _prompt_done(self, session: str) -> None:
        self.prompting[session] = max(0, self.prompting.get(session, 0) - 1)

    @staticmethod
    def _schema(method: str, value: Any, part: str) -> list[Violation]:
        from protocol import AGENT_METHODS, CLIENT_METHODS, RpcError, convert

        types = AGENT_METHODS.get(method) or CLIENT_METHODS.get(method)
        if types is None:
            return []
        target = types[0] if part == "params" else types[1]
        if target is None:
            return []
        try:
            convert(value, target)
        except RpcError as error:
            return [("schema", f"{method} {part}: {error.message}")]
        return []


def _made_for(params: dict[str, Any]) -> str | None:
    """The tool call a request to the client is made for, when it says."""
    tool_call = params.get("toolCall")
    if isinstance(tool_call, dict) and tool_call.get("toolCallId") is not None:
        return str(tool_call["toolCallId"])
    meta = params.get("_meta")
    if isinstance(meta, dict) and meta.get("toolCallId") is not None:
        return str(meta["toolCallId"])
    return None
