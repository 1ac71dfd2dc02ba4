"""Turn and wire invariants, checked on every frame of every probe.

Whatever a requirement sends, what comes back is held to the rules that need
no directive language: every turn update before the prompt response and none
after, every tool call of a finished turn at `completed` or `failed`, no client
method called that was not advertised, no `notice` or compaction update for a
client that did not opt in to it, every created terminal released, every
frame valid against the vendored schema (the generated types in `protocol`,
shipped in the package), no custom keys at the root of a spec type, and nothing
but JSON-RPC frames on stdout.

`observe(probe)` returns, per invariant requirement id, what was checked and
what broke; the runner folds these into those requirements' outcomes, so one
defect fails its own requirement once instead of every requirement that saw it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, get_args

import msgspec

from editor_clients.client import ClientConnection
from editor_clients.conformance.probe import Probe
from protocol import _generated as acp
from protocol.json_types import get_object
from protocol.methods import AGENT_METHODS, CLIENT_METHODS

TURN_KINDS = {"agent_message_chunk", "agent_thought_chunk", "tool_call", "tool_call_update", "plan"}
FINAL = {"completed", "failed"}
GATED = {
    "fs/read_text_file": "fs_read",
    "fs/write_text_file": "fs_write",
    "terminal/create": "terminal",
    "terminal/output": "terminal",
    "terminal/wait_for_exit": "terminal",
    "terminal/kill": "terminal",
    "terminal/release": "terminal",
    "elicitation/create": "elicitation",
}
KNOWN_UPDATES = {variant.__struct_config__.tag for variant in get_args(acp.SessionUpdate)}
INVARIANTS = (
    "TURN-001",
    "TOOL-001",
    "CAP-001",
    "CAP-002",
    "TERM-001",
    "SCHEMA-001",
    "EXT-002",
    "IO-001",
)


@dataclass
class Observations:
    seen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INVARIANTS, 0))
    violations: dict[str, list[str]] = field(default_factory=dict)

    def saw(self, rid: str, count: int = 1) -> None:
        self.seen[rid] = self.seen.get(rid, 0) + count

    def broke(self, rid: str, detail: str) -> None:
        self.violations.setdefault(rid, []).append(detail)


def observe(probe: Probe) -> Observations:
    found = Observations()
    for client in probe.clients:
        _client_frames(client, probe.started_at, found)
    _hygiene(((t, d, f) for t, d, f in probe.raw_frames), probe.started_at, found)
    return found


def _client_frames(client: ClientConnection, t0: float, found: Observations) -> None:
    frames = client.frames
    _hygiene(frames, t0, found)
    _turns(frames, t0, found)
    _unadvertised(client, found)
    _opted_in_updates(client, t0, found)
    _terminals(client, frames, found)
    _schema(frames, found)


def _hygiene(
    frames: Iterable[tuple[float, str, dict[str, Any]]], t0: float, found: Observations
) -> None:
    for t, direction, frame in frames:
        if direction != "agent->client":
            continue
        found.saw("IO-001")
        if "unparseable" in frame:
            found.broke(
                "IO-001",
                f"non-JSON line on stdout at t={t - t0:.3f}: {frame['unparseable'][:120]!r}",
            )
        elif frame.get("jsonrpc") != "2.0":
            found.broke("IO-001", f"not a JSON-RPC 2.0 frame at t={t - t0:.3f}: {str(frame)[:120]}")


def _turns(frames: list[tuple[float, str, dict[str, Any]]], t0: float, found: Observations) -> None:
    """Walk the frames in order, tracking each session's open turn and replay."""
    requests: dict[Any, tuple[str, dict[str, Any]]] = {}
    open_turn: dict[str, Any] = {}  # session -> prompt request id
    replaying: dict[str, int] = {}
    prompted: set[str] = set()
    turn_calls: dict[str, dict[str, str]] = {}  # session -> tool call id -> status
    for t, direction, frame in frames:
        method, params = frame.get("method"), frame.get("params") or {}
        if direction == "client->agent" and method and "id" in frame:
            requests[frame["id"]] = (method, params)
            session = str(params.get("sessionId"))
            if method == "session/prompt":
                open_turn[session] = frame["id"]
                turn_calls[session] = {}
            elif method in ("session/load", "session/resume", "session/fork"):
                replaying[session] = replaying.get(session, 0) + 1
        elif direction == "agent->client" and method == "session/update":
            _update(params, t - t0, open_turn, replaying, prompted, turn_calls, found)
        elif direction == "agent->client" and method is None and frame.get("id") in requests:
            sent, sent_params = requests.pop(frame["id"])
            session = str(sent_params.get("sessionId"))
            if sent in ("session/load", "session/resume", "session/fork"):
                replaying[session] = max(0, replaying.get(session, 0) - 1)
            if sent == "session/prompt" and open_turn.get(session) == frame["id"]:
                del open_turn[session]
                prompted.add(session)
                found.saw("TURN-001")
                _turn_end(session, frame, turn_calls.pop(session, {}), found)


def _update(
    params: dict[str, Any],
    at: float,
    open_turn: dict[str, Any],
    replaying: dict[str, int],
    prompted: set[str],
    turn_calls: dict[str, dict[str, str]],
    found: Observations,
) -> None:
    session = str(params.get("sessionId"))
    update = params.get("update") or {}
    kind = update.get("sessionUpdate")
    if kind in ("tool_call", "tool_call_update") and session in open_turn:
        calls = turn_calls.setdefault(session, {})
        call_id = str(update.get("toolCallId"))
        if kind == "tool_call":
            calls[call_id] = str(update.get("status") or "pending")
        elif update.get("status") and call_id in calls:
            calls[call_id] = str(update["status"])
    if (
        kind in TURN_KINDS
        and session in prompted
        and session not in open_turn
        and not replaying.get(session)
    ):
        found.broke(
            "TURN-001",
            f"{kind} for session {session} arrived after the prompt response (t={at:.3f})",
        )


def _turn_end(
    session: str, response: dict[str, Any], calls: dict[str, str], found: Observations
) -> None:
    stop = (response.get("result") or {}).get("stopReason")
    if stop == "cancelled" or "error" in response:
        return  # clients mark a cancelled turn's open calls themselves (v1/prompt-turn)
    found.saw("TOOL-001", len(calls))
    for call_id, status in calls.items():
        if status not in FINAL:
            found.broke(
                "TOOL-001", f"tool call {call_id} ended the turn {status!r} (stopReason {stop})"
            )


def _unadvertised(client: ClientConnection, found: Observations) -> None:
    caps = client.capabilities
    withheld = [m for m, flag in GATED.items() if not getattr(caps, flag)]
    if withheld and any(
        d == "client->agent" and f.get("method") == "session/prompt" for _, d, f in client.frames
    ):
        found.saw("CAP-001")
    for method in client.unadvertised_calls:
        found.broke("CAP-001", f"{method} called although the client did not advertise it")


def _opted_in_updates(client: ClientConnection, t0: float, found: Observations) -> None:
    caps = client.capabilities
    for t, direction, frame in client.frames:
        if direction != "agent->client" or frame.get("method") != "session/update":
            continue
        params = get_object(frame, "params")
        kind = get_object(params, "update").get("sessionUpdate")
        found.saw("CAP-002")
        if not caps.accepts_update(kind):
            found.broke(
                "CAP-002",
                f"{kind} for session {params.get('sessionId')} at t={t - t0:.3f}, but the client "
                f"opted in to {caps.session_opt_ins() or 'nothing'} under session",
            )


def _terminals(
    client: ClientConnection, frames: list[tuple[float, str, dict[str, Any]]], found: Observations
) -> None:
    created, released = client.terminals.created, set(client.terminals.released)
    if not created:
        return
    prompts = sum(
        1 for _, d, f in frames if d == "client->agent" and f.get("method") == "session/prompt"
    )
    answers = {f.get("id") for _, d, f in frames if d == "agent->client" and "method" not in f}
    open_turns = [
        f
        for _, d, f in frames
        if d == "client->agent"
        and f.get("method") == "session/prompt"
        and f.get("id") not in answers
    ]
    if open_turns or not prompts:
        return  # a turn still running may still release its terminals
    found.saw("TERM-001", len(created))
    for terminal in created:
        if terminal not in released:
            found.broke("TERM-001", f"terminal {terminal} was created and never released")


def _schema(frames: list[tuple[float, str, dict[str, Any]]], found: Observations) -> None:
    methods: dict[Any, str] = {}
    for _, direction, frame in frames:
        if direction == "client->agent" and "method" in frame and "id" in frame:
            methods[frame["id"]] = frame["method"]
            continue
        if direction != "agent->client" or "unparseable" in frame:
            continue
        found.saw("SCHEMA-001")
        method = frame.get("method")
        if method is not None:
            spec = CLIENT_METHODS.get(method)
            if spec is not None:
                _validate(frame.get("params"), spec[0], method, found)
        elif "error" in frame:
            error = frame["error"]
            if not (
                isinstance(error, dict)
                and isinstance(error.get("code"), int)
                and isinstance(error.get("message"), str)
            ):
                found.broke(
                    "SCHEMA-001",
                    f"malformed error object for request {frame.get('id')!r}: {error!r}",
                )
        elif frame.get("id") in methods:
            sent = methods[frame["id"]]
            spec = AGENT_METHODS.get(sent)
            if spec is not None and spec[1] is not None:
                _validate(frame.get("result"), spec[1], f"{sent} result", found)


def _validate(data: Any, type_: type[Any], what: str, found: Observations) -> None:
    if data is None:
        data = {}  # the docs show `null` for empty results; the schema says `{}` (§13)
    if isinstance(data, dict) and type_ is acp.SessionNotification:
        kind = (data.get("update") or {}).get("sessionUpdate")
        if kind not in KNOWN_UPDATES:
            return  # an unstable or future update kind: not in the stable schema
    try:
        msgspec.convert(data, type_, strict=True)
    except msgspec.ValidationError as error:
        found.broke("SCHEMA-001", f"{what} does not match the schema: {error}")
        return
    _root_keys(data, type_, what, found)


def _root_keys(data: Any, type_: type[Any], what: str, found: Observations) -> None:
    if not isinstance(data, dict):
        return
    found.saw("EXT-002")
    names = {f.encode_name for f in msgspec.structs.fields(type_)}
    tag_field = type_.__struct_config__.tag_field
    if tag_field:
        names.add(tag_field)
    extra = sorted(k for k in data if k not in names and k != "_meta")
    if extra:
        found.broke(
            "EXT-002", f"custom key(s) {extra} at the root of {what}; extra data belongs in _meta"
        )
    if type_ is acp.SessionNotification and isinstance(data.get("update"), dict):
        update = data["update"]
        variant = next(
            (
                v
                for v in get_args(acp.SessionUpdate)
                if v.__struct_config__.tag == update.get("sessionUpdate")
            ),
            None,
        )
        if variant is not None:
            _root_keys(update, variant, f"a {update.get('sessionUpdate')} update", found)
