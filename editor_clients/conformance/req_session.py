"""Requirements on sessions: new, unknown ids, load, resume, list, close,
delete, fork, modes and config options."""

from __future__ import annotations

import os
from collections.abc import Callable

from editor_clients.client import ClientConnection
from editor_clients.conformance.model import advertised, requirement
from editor_clients.conformance.outcomes import Fail, NotTested, Skip, check
from editor_clients.conformance.probe import Probe
from protocol import RpcError
from protocol.json_types import JsonObject, JsonValue, get_object, objects

REPLAYED = ("user_message_chunk", "agent_message_chunk")


def frame_index(
    client: ClientConnection, predicate: Callable[[str, JsonObject], bool]
) -> list[int]:
    return [i for i, (_, d, f) in enumerate(client.frames) if predicate(d, f)]


def response_index(client: ClientConnection, method: str) -> int:
    ids = {
        f["id"] for _, d, f in client.frames if d == "client->agent" and f.get("method") == method
    }
    found = frame_index(
        client, lambda d, f: d == "agent->client" and "method" not in f and f.get("id") in ids
    )
    check(bool(found), f"no response to {method}")
    return found[-1]


def updates_for(
    client: ClientConnection, session: str, kinds: tuple[str, ...]
) -> Callable[[str, JsonObject], bool]:
    def match(direction: str, frame: JsonObject) -> bool:
        params = get_object(frame, "params")
        return (
            frame.get("method") == "session/update"
            and params.get("sessionId") == session
            and get_object(params, "update").get("sessionUpdate") in kinds
        )

    return match


async def prompted_session(probe: Probe) -> tuple[ClientConnection, str]:
    client, session = await probe.session()
    await client.prompt(session, probe.prompts.text("remember", probe.ours), timeout=120)
    return client, session


@requirement(
    "SESS-001",
    "MUST",
    "session/new answers a unique id before any update for that session",
    "§12 row 8 (v1/session-setup): session/new returns a unique session id",
)
async def session_new(probe: Probe) -> str:
    client = await probe.ready()
    first = str((await client.new_session())["sessionId"])
    probe.reached.add("session")
    second = str((await client.new_session())["sessionId"])
    check(first != second, "two sessions got the same id")
    response = response_index(client, "session/new")
    early = frame_index(
        client,
        lambda d, f: (
            f.get("method") == "session/update"
            and get_object(f, "params").get("sessionId") == second
        ),
    )
    check(
        all(i > response for i in early),
        "an update for the session arrived before the session/new response",
    )
    return "unique ids, response first"


@requirement(
    "SESS-002",
    "MUST",
    "a prompt for an unknown session id is answered, and the agent lives on",
    "§12 row 18 (v1/overview): every request gets a response; v1 does not say it must be an error",
    needs="session",
)
async def unknown_session(probe: Probe) -> str:
    client = await probe.ready()
    try:
        await client.prompt("conformance-no-such-session", "hello", timeout=30)
        answer = "a result (v1 does not require an error)"
    except RpcError as error:
        if error.code == -32000:
            raise  # authentication, not the unknown id: the runner reports it
        answer = f"error {error.code}"
    except TimeoutError:
        raise Fail("a prompt for an unknown session was never answered") from None
    created = await client.new_session()
    check(bool(created.get("sessionId")), "the agent stopped working after the unknown id")
    return f"answered with {answer}; the agent still serves"


@requirement(
    "LOAD-001",
    "CAPABILITY",
    "session/load replays history before its response",
    "§12 row 9 (v1/session-setup): replay the entire conversation as session/update, then respond",
    capability="loadSession",
    needs="prompt",
)
async def load_replays(probe: Probe) -> str:
    client, session = await prompted_session(probe)
    before = len(client.frames)
    await client.load_session(session)
    response = response_index(client, "session/load")
    replayed = [
        i for i in frame_index(client, updates_for(client, session, REPLAYED)) if i >= before
    ]
    check(bool(replayed), "nothing was replayed")
    check(max(replayed) < response, "history arrived after the load response")
    return f"{len(replayed)} messages replayed before the response"


@requirement(
    "LOAD-002",
    "SHOULD",
    "session/load works in a fresh agent process (load after restart)",
    "v1/session-setup: loadSession lets clients resume previous conversations; v1 does "
    "not say they must outlive the process",
    capability="loadSession",
    needs="prompt",
)
async def load_after_restart(probe: Probe) -> str:
    first, session = await prompted_session(probe)
    await first.close()
    second = await probe.ready()
    await second.load_session(session)
    replayed = frame_index(second, updates_for(second, session, REPLAYED))
    check(bool(replayed), "a fresh process replayed nothing for the earlier session")
    return f"{len(replayed)} messages replayed by a fresh process"


@requirement(
    "RESUME-001",
    "CAPABILITY",
    "session/resume never replays history",
    "§12 row 10 (v1/session-setup): the agent MUST NOT replay history on resume",
    capability="sessionCapabilities.resume",
    needs="prompt",
)
async def resume_no_replay(probe: Probe) -> str:
    client, session = await prompted_session(probe)
    before = len(client.frames)
    await client.resume_session(session)
    kinds = [
        get_object(get_object(f, "params"), "update").get("sessionUpdate")
        for _, d, f in client.frames[before:]
        if f.get("method") == "session/update"
    ]
    check(
        not {"user_message_chunk", "agent_message_chunk", "tool_call"} & set(kinds),
        f"resume replayed: {kinds}",
    )
    return "no replay"


@requirement(
    "LIST-001",
    "CAPABILITY",
    "session/list returns an array, empty when nothing matches",
    "§12 row 16 (v1/session-list): sessions is an array (empty if no match)",
    capability="sessionCapabilities.list",
    needs="session",
)
async def list_sessions(probe: Probe) -> str:
    client, _ = await probe.session()
    result = await client.list_sessions()
    check(
        isinstance(result.get("sessions"), list),
        f"sessions is not an array: {type(result.get('sessions')).__name__}",
    )
    empty = await client.list_sessions(cwd=os.path.join(probe.cwd, "no-such-dir-for-conformance"))
    check(empty.get("sessions") == [], "a cwd filter with no match did not return []")
    return f"{len(objects(result['sessions']))} session(s); [] for a cwd with none"


@requirement(
    "LIST-002",
    "SHOULD",
    "an invalid cursor is answered with an error",
    "v1/session-list: the agent SHOULD return an error for an invalid cursor",
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
    "§12 row 11 (v1/session-setup): cancel as for session/cancel, then free resources",
    capability="sessionCapabilities.close",
    needs="session",
)
async def close_session(probe: Probe) -> str:
    client, session = await probe.session()
    await client.close_session(session)
    return "closed"


@requirement(
    "DELETE-001",
    "SHOULD",
    "deleting an unknown session succeeds; deleted sessions leave the list",
    "v1/session-delete: deleting an unknown session SHOULD succeed; deleted sessions vanish from lists",
    capability="sessionCapabilities.delete",
    needs="session",
)
async def delete_session(probe: Probe) -> str:
    client = await probe.ready()
    await client.delete_session("conformance-unknown-session")
    session = str((await client.new_session())["sessionId"])
    await client.delete_session(session)
    if advertised(probe.agent_caps(), "sessionCapabilities.list"):
        listed = objects((await client.list_sessions()).get("sessions"))
        ids = {s.get("sessionId") for s in listed}
        check(session not in ids, "a deleted session is still listed")
    return "ok"


@requirement(
    "FORK-001",
    "CAPABILITY",
    "session/fork of a session with a turn returns a new, usable session id",
    "v1 unstable schema (session/fork): returns the new session's id",
    capability="sessionCapabilities.fork",
    needs="prompt",
    unstable=True,
)
async def fork_session(probe: Probe) -> str:
    client, session = await prompted_session(probe)
    result = await client.fork_session(session)
    forked = result.get("sessionId")
    check(forked not in (None, session), "fork did not return a new id")
    answer = await client.prompt(str(forked), probe.prompts.text("simple", probe.ours), timeout=120)
    check("stopReason" in answer, "the forked session could not be prompted")
    return "new id, and it takes a prompt"


@requirement(
    "CONFIG-001",
    "CAPABILITY",
    "set_config_option changes the value and answers the complete option list",
    "§12 row 15 (v1/session-config-options): the response contains the complete option list",
    needs="session",
)
async def config_options(probe: Probe) -> str:
    client = await probe.ready()
    created = await client.new_session()
    options = objects(created.get("configOptions"))
    target = next(
        (o for o in options if o.get("type", "select") == "select" and len(_values(o)) > 1), None
    )
    if target is None:
        raise Skip("the agent returned no select config option with two values")
    wanted = next(v for v in _values(target) if v != target.get("currentValue"))
    target_id = str(target["id"])
    result = await client.set_config_option(str(created["sessionId"]), target_id, wanted)
    returned = {str(o["id"]): o for o in objects(result.get("configOptions"))}
    check(
        set(returned) == {str(o["id"]) for o in options},
        f"returned ids {sorted(returned)} differ from {sorted(str(o['id']) for o in options)}",
    )
    check(
        returned[target_id].get("currentValue") == wanted,
        f"{target_id} did not change to {wanted!r}",
    )
    return f"{target_id} -> {wanted}, {len(returned)} options returned"


def _values(option: JsonObject) -> list[str]:
    flat: list[JsonValue] = []
    for entry in objects(option.get("options")):
        if "value" in entry:
            flat.append(entry["value"])
        else:
            flat += [o["value"] for o in objects(entry.get("options")) if "value" in o]
    return [value for value in flat if isinstance(value, str)]


@requirement(
    "MODE-001",
    "CAPABILITY",
    "session/set_mode accepts an advertised mode id",
    "v1/session-modes: modeId must be one of availableModes; the response is {}",
    needs="session",
)
async def set_mode(probe: Probe) -> str:
    client = await probe.ready()
    created = await client.new_session()
    modes = get_object(created, "modes")
    others = [
        str(m["id"])
        for m in objects(modes.get("availableModes"))
        if m.get("id") != modes.get("currentModeId")
    ]
    if not others:
        raise Skip("the agent returned no second mode")
    session = str(created["sessionId"])
    await client.set_mode(session, others[0])
    told = client.sessions[session].mode == others[0]
    update = "with" if told else "without"  # v1 asks for the update only on agent-initiated changes
    return f"mode set to {others[0]}, {update} a current_mode_update"


def need_action(reason: str) -> NotTested:
    return NotTested(f"the agent did not act: {reason}")
