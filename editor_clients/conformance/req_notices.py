"""Updates a client must opt in to: `notice` (`session.notices`) and
`compaction_update` / `compaction_summary_chunk` (`session.compaction`).

CAP-002 is an invariant, judged on every frame of every probe (see
`invariants`); its own probe gives the agent something to report: a stdio MCP
server that cannot start, then a turn, once for a client that opted in to
nothing and once for one that opted in to both (what that one receives is held
to the schema by SCHEMA-001). acp-server also compacts its context there
(`/compact`), so its compaction updates are seen with and without the opt-in.
"""

from __future__ import annotations

import os
from typing import Any

from editor_clients.client import ClientCapabilities, ClientConnection
from editor_clients.conformance.model import requirement
from editor_clients.conformance.probe import NOTHING, Probe
from editor_clients.conformance.req_turn import turn
from protocol import RpcError

OPTED_IN = ClientCapabilities(
    fs_read=False, fs_write=False, terminal=False, notices=True, compaction=True
)


def _broken_mcp_server(probe: Probe) -> dict[str, Any]:
    return {
        "name": "kit-missing",
        "command": os.path.join(probe.cwd, "no-such-mcp-server"),
        "args": [],
        "env": [],
    }


async def _session(probe: Probe, caps: ClientCapabilities) -> tuple[ClientConnection, str]:
    """A session with an MCP server that cannot start; an agent may refuse
    such a server outright, which is fair: then a session without it."""
    try:
        return await probe.session(caps, mcp_servers=[_broken_mcp_server(probe)])
    except RpcError:
        return await probe.session(caps)


@requirement(
    "CAP-002",
    "MUST",
    "notice and compaction updates go only to a client that opted in to them "
    "(every update of the run)",
    "v1 schema, SessionUpdate: agents MUST only send `notice` when the client advertised "
    "session.notices, and compaction updates only when it advertised session.compaction",
    needs="prompt",
)
async def opt_in_updates(probe: Probe) -> str:
    for caps in (NOTHING, OPTED_IN):
        client, session = await _session(probe, caps)
        await turn(probe, client, session, "simple")
        if probe.ours:
            await client.prompt(session, "/compact", timeout=60)
    return "checked on every update of the run"
