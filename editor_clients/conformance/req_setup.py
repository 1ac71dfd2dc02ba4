"""Requirements on setup around the session: authentication and logout,
additional directories, robustness against an oversized line, and the checks
an agent registry makes before listing an agent (recorded, not ACP rules)."""

from __future__ import annotations

import json
import os

from editor_clients.client import ClientCapabilities
from editor_clients.conformance.model import requirement
from editor_clients.conformance.outcomes import Fail, NotTested, Skip, check
from editor_clients.conformance.probe import NOTHING, AgentSpec, Probe
from editor_clients.conformance.raw import SENTINEL_ID, raw_exchange
from protocol import RpcError

OVERSIZED_BYTES = 8 << 20  # well past the 1 MiB line limits common in SDKs


@requirement(
    "AUTH-001",
    "CAPABILITY",
    "authenticate with the method given by --auth-method answers, and session/new then works",
    "v1/authentication: the client calls authenticate with an advertised agent method id",
)
async def authenticate(probe: Probe) -> str:
    if not probe.spec.auth_method:
        raise Skip("no --auth-method given")
    client = await probe.client()
    probe.info = await probe.initialize(client)
    offered = [m.get("id") for m in probe.auth_methods() if m.get("type", "agent") == "agent"]
    if probe.spec.auth_method not in offered:
        raise Fail(
            f"--auth-method {probe.spec.auth_method} is not among the agent methods offered: {offered}"
        )
    await client.authenticate(probe.spec.auth_method)
    created = await client.new_session()
    check(bool(created.get("sessionId")), "session/new gave no id after authenticate")
    return f"authenticated with {probe.spec.auth_method}, then session/new worked"


@requirement(
    "LOGOUT-001",
    "CAPABILITY",
    "logout answers when auth.logout is advertised",
    "v1/authentication: logout is available when agentCapabilities.auth.logout is set",
    capability="auth.logout",
)
async def logout(probe: Probe) -> str:
    client = await probe.ready()
    await client.logout()
    try:
        await client.new_session()
        after = "session/new still works"
    except RpcError as error:
        if error.code != -32000:
            raise Fail(
                f"after logout, session/new answered {error.code}, not -32000 (auth required)"
            ) from None
        after = "session/new then needs authentication (-32000)"
    return f"logout answered; {after}"


@requirement(
    "ADDDIR-001",
    "CAPABILITY",
    "session/new accepts additionalDirectories when advertised",
    "v1/session-setup: additionalDirectories is accepted on new/load/resume when "
    "sessionCapabilities.additionalDirectories is advertised",
    capability="sessionCapabilities.additionalDirectories",
    needs="session",
)
async def additional_directories(probe: Probe) -> str:
    extra = os.path.join(probe.root, "extra")
    os.makedirs(extra, exist_ok=True)
    client = await probe.ready()
    created = await client.new_session(additionalDirectories=[extra])
    check(bool(created.get("sessionId")), "no session id with additionalDirectories")
    return "accepted"


@requirement(
    "IO-003",
    "SHOULD",
    "an oversized line is refused or ignored, and the agent lives on",
    "no ACP rule; robustness: v1/transports frames are lines of any length",
    needs=None,
)
async def oversized_line(probe: Probe) -> str:
    big = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "_conformance/big",
            "params": {"pad": "x" * OVERSIZED_BYTES},
        }
    ).encode()
    result = await raw_exchange(probe, [big], settle=30)
    check(result.reply(SENTINEL_ID) is not None, "the agent stopped answering after an 8 MiB line")
    answer = result.reply(7)
    return f"8 MiB line {'answered' if answer else 'dropped'}; the next request was answered"


@requirement(
    "REG-001",
    "INFO",
    "starts with a temporary HOME and a stripped environment (registry check, recorded)",
    "agent registry listing check, not an ACP rule",
    needs=None,
)
async def stripped_environment(probe: Probe) -> str:
    stripped = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": probe.env["HOME"]}
    bare = Probe(AgentSpec(probe.argv, startup_timeout=probe.spec.startup_timeout), probe.root)
    bare.env = stripped
    try:
        client = await bare.client(NOTHING)
        info = await bare.initialize(client)
    except Exception as error:
        probe.clients += bare.clients
        raise NotTested(f"did not answer initialize with only PATH and HOME set: {error}") from None
    finally:
        await bare.close()
    return f"answered initialize (protocolVersion {info.get('protocolVersion')}) with only PATH and HOME"


@requirement(
    "REG-002",
    "INFO",
    "offers at least one agent or terminal auth method (registry check, recorded)",
    "agent registry listing check, not an ACP rule",
)
async def registry_auth_methods(probe: Probe) -> str:
    client = await probe.client(
        ClientCapabilities(fs_read=False, fs_write=False, terminal=False, auth_terminal=True)
    )
    probe.info = await probe.initialize(client)
    kinds = sorted({str(m.get("type", "agent")) for m in probe.auth_methods()})
    if not {"agent", "terminal"} & set(kinds):
        return "no agent or terminal auth method (a registry would refuse the listing)"
    return f"auth method types: {', '.join(kinds)}"
