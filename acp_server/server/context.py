"""What a session may use, and what a method handler may use: nothing more.

A `Session` is given a `SessionContext` when it is made: the store, the audit
log, a snapshot of the configuration, the home, factories for the engine's
settings and the MCP hub, the client's capabilities and a `ClientLink` to the
client. It never sees the server, so a session (and the slash commands it
serves) can be built and tested without one.

Method handlers are given a `ServerContext` (handlers/base.py): the session
registry and the few things only the server holds.

Everything here is loaded before the first session is answered, so it holds
declarations only (no import of the store, the engine or the config loader).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol, cast

from acp_server.opt_ins import SessionOptIns

if TYPE_CHECKING:
    from acp_server.audit import AuditLog
    from acp_server.config import Config
    from acp_server.store import SessionStore
    from agent import EngineConfig
    from agent.mcp import McpHub
    from agent.messages import Message


class ClientLink(Protocol):
    """The way to the client: a request that waits for its reply, and
    notifications whose params are compact JSON objects already encoded."""

    async def request(
        self, method: str, params: object = None, *, timeout: float | None = None
    ) -> object: ...

    async def notify_encoded(self, method: str, params: Sequence[bytes]) -> None: ...


class ClientCaps:
    """What the client advertised (a plain class: this loads before `initialize`)."""

    __slots__ = ("auth_terminal", "fs_read", "fs_write", "opt_ins", "terminal")

    def __init__(
        self,
        fs_read: bool = False,
        fs_write: bool = False,
        terminal: bool = False,
        auth_terminal: bool = False,
        opt_ins: SessionOptIns | None = None,
    ) -> None:
        self.fs_read = fs_read
        self.fs_write = fs_write
        self.terminal = terminal
        self.auth_terminal = auth_terminal
        #: `session.notices` / `session.compaction`: the updates only they unlock
        self.opt_ins = opt_ins if opt_ins is not None else SessionOptIns()


class SessionState(NamedTuple):
    """What a session starts from: new, or restored from the store."""

    model: str | None
    mode: str
    thought_level: str | None = None
    messages: list[Message] | None = None
    grants: list[str] | None = None
    title: str | None = None
    cost_usd: float = 0.0


class SessionOpening(NamedTuple):
    """A session checked and ready to build: what `prepare_session` found."""

    cwd: str
    roots: tuple[str, ...]  # the cwd, then the additional directories
    state: SessionState
    config: Config
    store: SessionStore


class SessionContext(NamedTuple):
    """Everything a session uses. `config` is the snapshot the session was
    opened with; `engine_config` reads the current one when the engine is
    built, so a key set after `session/new` counts on the first prompt."""

    link: ClientLink
    store: SessionStore
    audit: AuditLog
    config: Config
    home: str | None  # a str: pathlib loads after the first session/new reply
    client_caps: ClientCaps
    features: Mapping[str, bool]
    engine_config: Callable[[], EngineConfig]
    mcp_hub: Callable[[], McpHub]
    #: whether a session other than the one named runs a turn now
    turn_running_elsewhere: Callable[[str], bool]


def stored_messages(data: Sequence[Mapping[str, object]]) -> list[Message]:
    """A history read from the store, as the engine's typed messages. The store
    keeps exactly what the engine's messages were when saved (JSON objects of
    the same shape), so this is a change of static type, not a conversion."""
    return cast("list[Message]", list(data))


__all__ = [
    "ClientCaps",
    "ClientLink",
    "SessionContext",
    "SessionOpening",
    "SessionState",
    "stored_messages",
]
