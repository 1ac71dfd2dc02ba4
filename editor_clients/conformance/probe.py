"""A probe: the fresh agent processes one requirement runs, with their evidence.

Each probe gets its own temporary directory holding a working directory (the
session cwd) and a fresh HOME, with the agent's home variables
(`ACP_SERVER_HOME`, the XDG directories) pointed inside it, so a run never
writes into the user's real session store. `--env` entries are laid over that
environment last, so an author can still point an agent at real credentials.

Every frame either way is recorded with a timestamp relative to the probe's
start, and the stderr tail of every process is kept for the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from editor_clients.client import ClientCapabilities, ClientConnection, PermissionPolicy
from editor_clients.conformance.outcomes import Fail, NotTested
from editor_clients.conformance.prompts import PromptPack
from protocol import RpcError
from protocol.json_types import JsonObject, get_object, objects

NOTHING = ClientCapabilities(fs_read=False, fs_write=False, terminal=False)
FULL = ClientCapabilities(fs_read=True, fs_write=True, terminal=True)
AUTH_REQUIRED = -32000


@dataclass(frozen=True)
class AgentSpec:
    """How to start the agent under test, as the command line gave it."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    auth_method: str | None = None
    startup_timeout: float = 30.0
    prompts: PromptPack = field(default_factory=PromptPack)


class AgentDidNotStart(Exception):
    """The agent exited, or stayed silent, before answering initialize."""


def resolve_argv(argv: Sequence[str], cwd: str | None = None) -> tuple[str, ...]:
    """Relative paths (`./agent`, `bin/agent`, `agent.py`) are resolved against
    the caller's cwd, because every probe starts the agent from its own
    directory: the program when it names a path, and any argument that names
    an existing file or directory relative to the caller."""
    base = cwd or os.getcwd()
    resolved = []
    for index, item in enumerate(argv):
        pathlike = os.sep in item or os.path.splitext(item)[1] != ""
        if os.path.isabs(item) or item.startswith("-") or not pathlike:
            resolved.append(item)
        elif (index == 0 and os.sep in item) or os.path.exists(os.path.join(base, item)):
            resolved.append(os.path.abspath(os.path.join(base, item)))
        else:
            resolved.append(item)
    return tuple(resolved)


def probe_env(spec: AgentSpec, root: str) -> dict[str, str]:
    home = os.path.join(root, "home")
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "HOME": home,
            "ACP_SERVER_HOME": os.path.join(home, ".acp-server"),
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
            "XDG_STATE_HOME": os.path.join(home, ".local", "state"),
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        }
    )
    env.update(spec.env)
    return env


@dataclass
class Probe:
    spec: AgentSpec
    root: str
    clients: list[ClientConnection] = field(default_factory=list)
    info: JsonObject = field(default_factory=dict)
    raw_frames: list[tuple[float, str, JsonObject]] = field(default_factory=list)
    raw_stderr: list[str] = field(default_factory=list)
    startup: float | None = None  # seconds from spawn to the initialize reply
    reached: set[str] = field(default_factory=set)  # "init", "session", "prompt" done
    started_at: float = field(default_factory=lambda: asyncio.get_running_loop().time())

    def __post_init__(self) -> None:
        self.cwd = os.path.realpath(os.path.join(self.root, "work"))
        os.makedirs(self.cwd, exist_ok=True)
        self.env = probe_env(self.spec, self.root)

    @property
    def argv(self) -> tuple[str, ...]:
        return self.spec.argv

    @property
    def prompts(self) -> PromptPack:
        return self.spec.prompts

    @property
    def ours(self) -> bool:
        """acp-server understands the scripted directive language."""
        return get_object(self.info, "agentInfo").get("name") == "acp-server"

    # ------------------------------------------------------------ processes

    async def client(
        self, capabilities: ClientCapabilities = NOTHING, policy: str | PermissionPolicy = "approve"
    ) -> ClientConnection:
        client = await ClientConnection.spawn(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            capabilities=capabilities,
            permissions=policy
            if isinstance(policy, PermissionPolicy)
            else PermissionPolicy(policy),
        )
        self.clients.append(client)
        return client

    async def initialize(self, client: ClientConnection, version: int = 1) -> JsonObject:
        """initialize, waiting up to the startup timeout; an agent that exits or
        stays silent raises AgentDidNotStart with what it said on stderr."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        request = asyncio.ensure_future(client.initialize(protocol_version=version))
        exited = asyncio.ensure_future(_exited(client))
        done, _ = await asyncio.wait(
            {request, exited},
            timeout=self.spec.startup_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        exited.cancel()
        if request in done and not isinstance(request.exception(), ConnectionError):
            info = request.result()  # raises the agent's error reply, if any
            self.startup = loop.time() - start
            self.reached.add("init")
            return info
        gone = exited in done or request in done  # a broken connection: the agent is gone
        request.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError, RpcError):
            await request
        if gone:
            if client.process is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(client.process.process.wait(), 2)
            code = client.process.process.returncode if client.process else None
            raise AgentDidNotStart(f"exited before answering initialize (exit code {code})")
        raise AgentDidNotStart(
            f"no initialize reply within {self.spec.startup_timeout:g} s (--startup-timeout)"
        )

    async def ready(
        self, capabilities: ClientCapabilities = NOTHING, policy: str | PermissionPolicy = "approve"
    ) -> ClientConnection:
        """A client that is initialized and, with --auth-method, authenticated."""
        client = await self.client(capabilities, policy)
        self.info = await self.initialize(client)
        if self.spec.auth_method:
            await client.authenticate(self.spec.auth_method)
        return client

    async def session(
        self,
        capabilities: ClientCapabilities = NOTHING,
        policy: str | PermissionPolicy = "approve",
        mcp_servers: Sequence[Mapping[str, object]] | None = None,
    ) -> tuple[ClientConnection, str]:
        client = await self.ready(capabilities, policy)
        created = await client.new_session(mcp_servers=mcp_servers)
        self.reached.add("session")
        return client, str(created["sessionId"])

    def agent_caps(self) -> JsonObject:
        return dict(get_object(self.info, "agentCapabilities"))

    def auth_methods(self) -> list[JsonObject]:
        return objects(self.info.get("authMethods"))

    # ------------------------------------------------------------ evidence

    def transcript(self) -> list[JsonObject]:
        rows = [(t, d, f) for client in self.clients for t, d, f in client.frames] + self.raw_frames
        rows.sort(key=lambda row: row[0])
        return [
            {"t": round(t - self.started_at, 4), "direction": d, "frame": f} for t, d, f in rows
        ]

    def stderr_tail(self, lines: int = 40) -> str:
        tails = [c.process.stderr_tail() for c in self.clients if c.process is not None]
        tails += self.raw_stderr
        text = "\n".join(t for t in tails if t)
        return "\n".join(text.splitlines()[-lines:])

    async def close(self) -> None:
        for client in self.clients:
            with contextlib.suppress(TimeoutError, OSError):
                await asyncio.wait_for(client.close(), 10)


async def _exited(client: ClientConnection) -> None:
    if client.process is not None:
        await client.process.process.wait()
    else:  # pragma: no cover - probes always spawn
        await asyncio.Event().wait()


def auth_blocked(probe: Probe, method: str) -> NotTested:
    offered = ", ".join(f"{m.get('id')} ({m.get('type', 'agent')})" for m in probe.auth_methods())
    hint = f"; the agent offers: {offered}; rerun with --auth-method ID" if offered else ""
    return NotTested(f"blocked by authentication: {method} answered -32000{hint}")


def refused(error: RpcError, what: str) -> Fail:
    return Fail(f"{what} answered error {error.code}: {error.message}")
