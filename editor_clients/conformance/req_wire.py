"""Requirements on initialize, JSON-RPC and stdio.

Tiers follow the spec's words (research digest §12 rows and the v1 pages);
where ACP itself states no rule (a parse error reply), the requirement is a
SHOULD citing JSON-RPC 2.0, never a MUST.
"""

from __future__ import annotations

import json

from editor_clients.conformance.model import requirement
from editor_clients.conformance.outcomes import Fail, check
from editor_clients.conformance.probe import Probe
from editor_clients.conformance.raw import SENTINEL_ID, raw_exchange
from protocol import RpcError
from protocol.json_types import get_object

UNKNOWABLE_VERSION = 65535  # the largest uint16: no agent can support it yet


@requirement(
    "INIT-001",
    "MUST",
    "answer initialize with the requested version when supported (v1 -> 1)",
    "§12 row 2 (v1/initialization): if the agent supports the requested version it "
    "MUST respond with the same version",
    needs=None,
)
async def init_version_one(probe: Probe) -> str:
    client = await probe.client()
    probe.info = await probe.initialize(client)
    check(
        probe.info.get("protocolVersion") == 1,
        f"asked for 1, got {probe.info.get('protocolVersion')!r}",
    )
    return f"protocolVersion 1, answered in {probe.startup or 0:.2f} s"


@requirement(
    "INIT-002",
    "MUST",
    "a version the agent cannot know is answered with one it supports",
    "§12 row 2 (v1/initialization): otherwise the agent MUST respond with the latest "
    "version it supports",
)
async def init_negotiation(probe: Probe) -> str:
    client = await probe.client()
    try:
        result = await probe.initialize(client, version=UNKNOWABLE_VERSION)
    except RpcError as error:
        raise Fail(
            f"initialize with protocolVersion {UNKNOWABLE_VERSION} was refused "
            f"({error.code}) instead of answered with a supported version"
        ) from None
    version = result.get("protocolVersion")
    if not isinstance(version, int) or isinstance(version, bool):
        raise Fail(f"protocolVersion {version!r} is not an integer")
    check(
        version != UNKNOWABLE_VERSION,
        f"echoed {UNKNOWABLE_VERSION}: the agent claims a version it cannot support",
    )
    check(1 <= version < UNKNOWABLE_VERSION, f"answered an unusable version {version}")
    return f"asked for {UNKNOWABLE_VERSION}, answered {version}"


@requirement("INIT-003", "INFO", "agentInfo and capabilities (recorded)", "v1/initialization")
async def init_info(probe: Probe) -> str:
    await probe.ready()
    return json.dumps(
        {
            "agentInfo": probe.info.get("agentInfo"),
            "agentCapabilities": probe.agent_caps(),
            "authMethods": probe.auth_methods(),
        }
    )[:600]


@requirement(
    "INIT-004",
    "MUST",
    "list terminal auth methods only if the client advertised auth.terminal",
    "§12 row 21 (v1/authentication): the agent may list type terminal methods only "
    "if clientCapabilities.auth.terminal",
)
async def init_terminal_auth(probe: Probe) -> str:
    await probe.ready()
    methods = probe.auth_methods()
    check(
        all(m.get("type") != "terminal" for m in methods),
        "a terminal auth method was offered to a client without auth.terminal",
    )
    return f"{len(methods)} auth method(s), none of type terminal"


@requirement(
    "RPC-001",
    "INFO",
    "how an unparseable line is answered, and whether the agent lives on (recorded)",
    "JSON-RPC 2.0 §5.1 asks for -32700; ACP v1 states no rule for unparseable input",
    needs=None,
)
async def rpc_parse_error(probe: Probe) -> str:
    result = await raw_exchange(probe, [b"{this is not json"])
    replied = any(
        f.get("id") is None and get_object(f, "error").get("code") == -32700 for f in result.frames
    )
    alive = result.reply(SENTINEL_ID) is not None
    return (
        f"{'-32700 with id null' if replied else 'no -32700 reply'}; "
        f"{'the next request was answered' if alive else 'the next request went unanswered'}"
    )


@requirement(
    "RPC-002",
    "MUST",
    "unknown methods are answered with error -32601",
    "§12 row 18 (v1/overview, §9): answer every request; -32601 is method not found",
)
async def rpc_unknown_method(probe: Probe) -> str:
    client = await probe.ready()
    try:
        await client.request("conformance/no_such_method", {}, timeout=30)
    except RpcError as error:
        check(error.code == -32601, f"expected -32601, got {error.code}")
        return "-32601"
    except TimeoutError:
        raise Fail("an unknown method was never answered") from None
    raise Fail("an unknown method returned a result")


@requirement(
    "RPC-003",
    "SHOULD",
    "malformed params are answered -32602",
    "§9 (-32602 invalid params); v1 names the code but states no rule",
)
async def rpc_invalid_params(probe: Probe) -> str:
    client = await probe.ready()
    try:
        await client.request("session/new", {"cwd": 5, "mcpServers": "nope"}, timeout=30)
    except RpcError as error:
        check(error.code == -32602, f"expected -32602, got {error.code}")
        return "-32602"
    raise Fail("session/new with a numeric cwd succeeded")


@requirement(
    "EXT-001",
    "MUST",
    "`_` extension requests are answered (-32601 when unknown)",
    "§12 row 18 (v1/extensibility): extension requests must be answered; unknown ones -32601",
)
async def ext_request(probe: Probe) -> str:
    client = await probe.ready()
    try:
        await client.request("_conformance/probe", {}, timeout=30)
    except RpcError as error:
        return f"answered with error {error.code}"
    except TimeoutError:
        raise Fail("no answer to a `_` extension request within 30 s") from None
    return "answered with a result"


@requirement(
    "RPC-004",
    "MUST",
    "notifications are never answered",
    "§12 row 18 (v1/overview): notifications never get a reply, not even an error",
    needs=None,
)
async def notifications_unanswered(probe: Probe) -> str:
    lines = [
        json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "session/cancel",
                "params": {"sessionId": "no-such-session"},
            }
        ).encode(),
        json.dumps({"jsonrpc": "2.0", "method": "_conformance/notice", "params": {}}).encode(),
    ]
    result = await raw_exchange(probe, lines)
    ids = [f.get("id") for f in result.frames if "method" not in f]
    extra = [i for i in ids if i not in (1, SENTINEL_ID)]
    check(not extra, f"replies to notifications: ids {extra}")
    return "only the requests were answered"


@requirement(
    "IO-001",
    "MUST",
    "stdout carries only JSON-RPC frames, for the whole run",
    "§12 row 1 (v1/transports): the agent MUST NOT write anything to stdout that is "
    "not a valid ACP message",
    needs=None,
)
async def stdout_hygiene(probe: Probe) -> str:
    session_new = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "session/new",
            "params": {"cwd": probe.cwd, "mcpServers": []},
        }
    ).encode()
    result = await raw_exchange(probe, [session_new])
    check(bool(result.lines), "nothing on stdout")
    return f"{len(result.lines)} lines in this probe"  # the runner adds every probe's lines


@requirement(
    "IO-002",
    "SHOULD",
    "the agent exits promptly when stdin closes",
    "v1/transports: the connection ends when the client closes stdin",
    needs=None,
)
async def exits_on_eof(probe: Probe) -> str:
    result = await raw_exchange(probe, [], sentinel=False)
    check(result.exit_time is not None, "still running 5 s after stdin closed")
    return f"exited {result.exit_time:.2f} s after stdin closed"


@requirement(
    "SCHEMA-001",
    "MUST",
    "every frame the agent sends matches the schema, across the run",
    "§12 row 1 (v1/transports): only valid ACP messages; shapes per the vendored "
    "v1 schema (protocol/schema)",
    needs="prompt",
)
async def schema_frames(probe: Probe) -> str:
    client, session = await probe.session()
    await client.prompt(session, probe.prompts.text("simple", probe.ours), timeout=120)
    return "frames checked"  # the runner adds every probe's frames


@requirement(
    "EXT-002",
    "MUST",
    "no custom keys at the root of spec types (extra data only in _meta)",
    "§12 row 19 (v1/extensibility): implementations MUST NOT add custom fields at the "
    "root of a type that is part of the specification",
    needs="prompt",
)
async def root_keys(probe: Probe) -> str:
    client, session = await probe.session()
    await client.prompt(session, probe.prompts.text("simple", probe.ours), timeout=120)
    return "root keys checked"
