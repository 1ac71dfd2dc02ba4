"""Requirements on prompt turns: answers, content blocks, cancellation, and
what the agent does through the client (files, terminals, MCP tools).

Requirements that need the agent to act send the prompt pack's words; an agent
that does not act leaves the requirement not-tested, with the reason, except
acp-server, whose scripted directives are deterministic. The turn invariants
(TURN-001, TOOL-001, CAP-001, TERM-001) are judged on every probe's frames by
the runner; the probes here make sure there is something to judge.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from editor_clients.client import ClientConnection
from editor_clients.conformance.mcp_http_stub import McpHttpStub
from editor_clients.conformance.model import Run, requirement
from editor_clients.conformance.outcomes import Fail, NotTested, check
from editor_clients.conformance.probe import FULL, NOTHING, Probe
from protocol.json_types import JsonObject, get_object, objects

STOP_REASONS = {"end_turn", "max_tokens", "max_turn_requests", "refusal", "cancelled"}
PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAhxbL2wAAAABJRU5ErkJggg=="
WAV_EMPTY = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA="


def not_acting(probe: Probe, reason: str) -> Exception:
    if probe.ours:
        return Fail(f"the scripted directive was not carried out: {reason}")
    return NotTested(f"the agent did not act on the request: {reason}")


async def turn(probe: Probe, client: ClientConnection, session: str, key: str) -> JsonObject:
    result = await client.prompt(session, probe.prompts.text(key, probe.ours), timeout=180)
    probe.reached.add("prompt")
    check(
        result.get("stopReason") in STOP_REASONS, f"invalid stopReason {result.get('stopReason')!r}"
    )
    return result


@requirement(
    "PROMPT-001",
    "MUST",
    "a text prompt is answered with a valid stop reason",
    "§12 rows 6 and 12 (v1/prompt-turn, v1/content): support text prompts; answer "
    "session/prompt with a stopReason",
    needs="session",
)
async def prompt_answered(probe: Probe) -> str:
    client, session = await probe.session()
    result = await turn(probe, client, session, "simple")
    return f"stopReason {result['stopReason']}"


@requirement(
    "PROMPT-002",
    "MUST",
    "a resource_link prompt block is accepted",
    "v1/content (schema ContentBlock resource_link): all agents MUST support resource links in prompts",
    needs="prompt",
)
async def resource_link(probe: Probe) -> str:
    client, session = await probe.session()
    path = os.path.join(probe.cwd, "notes.txt")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("conformance\n")
    blocks = [
        {"type": "text", "text": probe.prompts.text("simple", probe.ours)},
        {
            "type": "resource_link",
            "uri": f"file://{path}",
            "name": "notes.txt",
            "mimeType": "text/plain",
        },
    ]
    result = await client.prompt(session, blocks, timeout=180)
    check(
        result.get("stopReason") in STOP_REASONS, f"invalid stopReason {result.get('stopReason')!r}"
    )
    return f"accepted, stopReason {result['stopReason']}"


def _gated_block(block: JsonObject) -> Run:
    async def run(probe: Probe) -> str:
        client, session = await probe.session()
        text: JsonObject = {"type": "text", "text": probe.prompts.text("simple", probe.ours)}
        blocks = [text, block]
        result = await client.prompt(session, blocks, timeout=180)
        check(
            result.get("stopReason") in STOP_REASONS,
            f"invalid stopReason {result.get('stopReason')!r}",
        )
        return f"{block['type']} block accepted"

    return run


requirement(
    "PROMPT-003",
    "CAPABILITY",
    "an image block is accepted when promptCapabilities.image is advertised",
    "v1/initialization: promptCapabilities.image lets prompts carry image blocks",
    capability="promptCapabilities.image",
    needs="prompt",
)(_gated_block({"type": "image", "mimeType": "image/png", "data": PNG_1X1}))
requirement(
    "PROMPT-004",
    "CAPABILITY",
    "an audio block is accepted when promptCapabilities.audio is advertised",
    "v1/initialization: promptCapabilities.audio lets prompts carry audio blocks",
    capability="promptCapabilities.audio",
    needs="prompt",
)(_gated_block({"type": "audio", "mimeType": "audio/wav", "data": WAV_EMPTY}))
requirement(
    "PROMPT-005",
    "CAPABILITY",
    "an embedded resource block is accepted when embeddedContext is advertised",
    "v1/initialization: promptCapabilities.embeddedContext lets prompts carry resource blocks",
    capability="promptCapabilities.embeddedContext",
    needs="prompt",
)(
    _gated_block(
        {
            "type": "resource",
            "resource": {
                "uri": "file:///conformance/notes.txt",
                "text": "conformance",
                "mimeType": "text/plain",
            },
        }
    )
)


@requirement(
    "TURN-001",
    "MUST",
    "every update of a turn comes before its response, none after (every prompt of the run)",
    "§12 rows 12 and 13 (v1/prompt-turn): updates are sent during the turn; the response ends it",
    needs="prompt",
)
async def turn_order(probe: Probe) -> str:
    client, session = await probe.session()
    await turn(probe, client, session, "simple")
    return "checked on every prompt of the run"


@requirement(
    "TOOL-001",
    "SHOULD",
    "every tool call of a finished turn reaches completed or failed (every prompt of the run)",
    "v1/tool-calls: status runs pending -> in_progress -> completed | failed; v1 states "
    "no must, and clients mark a cancelled turn's open calls themselves",
    needs="prompt",
)
async def tool_calls_finish(probe: Probe) -> str:
    client, session = await probe.session(FULL, policy="deny")
    await turn(probe, client, session, "write_file")
    return "checked on every prompt of the run"


@requirement(
    "CAP-001",
    "MUST",
    "fs, terminal and elicitation are never called unless advertised (every prompt of the run)",
    "§12 rows 3 and 4 (v1/file-system, v1/terminals): never call fs/* or terminal/* "
    "without the matching client capability",
    needs="prompt",
)
async def capability_negatives(probe: Probe) -> str:
    client, session = await probe.session(NOTHING, policy="approve")
    await turn(probe, client, session, "write_file")
    await turn(probe, client, session, "run_command")
    return "checked on every prompt of the run"


@requirement(
    "TERM-001",
    "MUST",
    "every created terminal is released (every prompt of the run)",
    "§12 row 5 (v1/terminals): the agent MUST release every terminal it creates",
    needs="prompt",
)
async def terminal_surface(probe: Probe) -> str:
    client, session = await probe.session(FULL, policy="approve")
    await turn(probe, client, session, "run_command")
    if not client.terminals.created:
        raise not_acting(probe, "no terminal/create although the client offers terminals")
    return f"{len(client.terminals.created)} terminal(s) created"


@requirement(
    "FS-001",
    "MUST",
    "fs calls use absolute paths, and a requested write arrives",
    "§12 row 20 (v1/overview, v1/file-system): all file paths are absolute",
    needs="prompt",
)
async def fs_surface(probe: Probe) -> str:
    client, session = await probe.session(FULL, policy="approve")
    await turn(probe, client, session, "write_file")
    calls = [
        get_object(f, "params")
        for _, d, f in client.frames
        if d == "agent->client" and str(f.get("method", "")).startswith("fs/")
    ]
    if not calls:
        raise not_acting(probe, "no fs/* call although the client offers fs")
    check(
        all(os.path.isabs(str(c.get("path", ""))) for c in calls), "an fs call used a relative path"
    )
    diffs = [
        c
        for u in client.sessions[session].updates
        for c in objects(u.get("content"))
        if c.get("type") == "diff"
    ]
    check(all(os.path.isabs(str(d.get("path", ""))) for d in diffs), "a diff used a relative path")
    return f"{len(calls)} fs call(s), absolute paths"


@requirement(
    "MCP-001",
    "MUST",
    "stdio MCP servers given in session/new are connected and usable",
    "§12 row 7 (v1/session-setup): all agents MUST support stdio MCP servers",
    needs="prompt",
)
async def mcp_stdio(probe: Probe) -> str:
    marker = os.path.join(probe.cwd, "mcp-called.txt")
    server: JsonObject = {
        "name": "kit",
        "command": sys.executable,
        "args": ["-m", "editor_clients.conformance.mcp_stub", marker],
        "env": [],
    }
    return await _use_mcp(probe, marker, server)


async def _use_mcp(probe: Probe, marker: str, server: JsonObject) -> str:
    client, session = await probe.session(FULL, policy="approve", mcp_servers=[server])
    await turn(probe, client, session, "mcp_call")
    marks = Path(marker).read_text(encoding="utf-8").splitlines() if os.path.exists(marker) else []
    if "connected" not in marks:
        raise not_acting(probe, f"the {server.get('type', 'stdio')} MCP server was never connected")
    if not any(m.startswith("called:") for m in marks):
        raise not_acting(probe, "connected to the MCP server, but its tool was never called")
    return f"the tool was called through the {server.get('type', 'stdio')} MCP server"


def _remote_mcp(transport: str) -> Run:
    async def run(probe: Probe) -> str:
        marker = os.path.join(probe.cwd, f"mcp-{transport}-called.txt")
        with McpHttpStub(marker) as stub:
            server: JsonObject = {
                "type": transport,
                "name": "kit",
                "url": stub.url(transport),
                "headers": [],
            }
            return await _use_mcp(probe, marker, server)

    return run


requirement(
    "MCP-002",
    "CAPABILITY",
    "HTTP MCP servers given in session/new are connected and usable",
    "v1/session-setup: agents advertising mcpCapabilities.http accept type http servers",
    capability="mcpCapabilities.http",
    needs="prompt",
)(_remote_mcp("http"))
requirement(
    "MCP-003",
    "CAPABILITY",
    "SSE MCP servers given in session/new are connected and usable",
    "v1/session-setup: agents advertising mcpCapabilities.sse accept type sse servers",
    capability="mcpCapabilities.sse",
    needs="prompt",
)(_remote_mcp("sse"))
