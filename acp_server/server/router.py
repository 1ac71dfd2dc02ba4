"""The method table: one declaration per agent-side ACP method.

Each `Method` names its handler (see handlers/), how its params are read,
whether its reply may overtake queued notifications, and the feature flag
that gates it (answered -32601 while the flag is off, and not advertised by
`initialize` either: both read the same resolved flags).

Params are decoded into the type `protocol.methods.AGENT_METHODS` gives for
the method, looked up on first use: the generated types cost start-up time
editors feel. Two kinds of method read raw builtins instead: `initialize`,
read leniently (a missing capability is "not supported"), and methods the
schema does not define (`session/set_model`, legacy). `session/new` in its
common shape (no MCP servers) is read by hand too, so the first session of a
process never loads the generated types; every other shape, valid or not,
goes through the generated type.

Every agent-side method of the vendored schema, stable or unstable, is either
declared here or listed in `NOT_SUPPORTED`, which the endpoint answers with
-32601 like any unknown method (a test holds the schema to this).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from acp_server.server.handlers import lifecycle, sessions, turns
from protocol import Route, RpcError, convert

if TYPE_CHECKING:
    from acp_server.server.handlers.base import ServerContext

Handler = Callable[..., Awaitable[object]]


class Method(NamedTuple):
    name: str
    handler: Handler
    #: the reply may go out ahead of notifications already queued
    overtakes: bool = False
    #: params stay raw builtins (no generated type)
    raw: bool = False
    #: the feature flag that must be on (see acp_server/features.py)
    flag: str | None = None
    notification: bool = False


# Replies that promise nothing about earlier notifications overtake queued
# ones, so they stay quick while another session streams. A prompt's reply
# follows its updates, a load's its replay, a resume's the closed turn's.
METHODS: tuple[Method, ...] = (
    Method("initialize", lifecycle.initialize, overtakes=True, raw=True),
    Method("authenticate", lifecycle.authenticate, overtakes=True),
    Method("logout", lifecycle.logout, overtakes=True, raw=True),
    Method("session/new", sessions.new_session, overtakes=True),
    Method("session/load", sessions.load_session),
    Method("session/resume", sessions.resume_session),
    # Unstable upstream: advertised and routed only with their flag on.
    Method("session/fork", sessions.fork_session, overtakes=True, flag="session_fork"),
    Method("session/set_title", turns.set_title, overtakes=True, flag="session_title"),
    Method("session/close", sessions.close_session),
    Method("session/list", sessions.list_sessions, overtakes=True),
    Method("session/delete", sessions.delete_session, overtakes=True),
    Method("session/prompt", turns.prompt),
    Method("session/set_mode", turns.set_mode, overtakes=True),
    Method("session/set_config_option", turns.set_config_option, overtakes=True),
    Method("session/set_model", turns.set_model, overtakes=True, raw=True),
    Method("session/cancel", turns.cancel, notification=True),
)

#: agent-side methods of the schema (unstable ones) that this agent does not serve
NOT_SUPPORTED = frozenset(
    {
        "auth/status",
        "mcp/message",
        "providers/disable",
        "providers/list",
        "providers/set",
        "session/archive",
        "session/status",
        "session/unarchive",
    }
)


def build_routes(ctx: ServerContext) -> tuple[dict[str, Route], dict[str, Route]]:
    """The endpoint's request and notification tables, from `METHODS`."""
    requests: dict[str, Route] = {}
    notifications: dict[str, Route] = {}
    for method in METHODS:
        table = notifications if method.notification else requests
        table[method.name] = Route(None, _handler(ctx, method), overtakes=method.overtakes)
    return requests, notifications


def _handler(ctx: ServerContext, method: Method) -> Callable[[object], Awaitable[Any]]:
    decode = _raw if method.raw else _typed_decoder(method.name)
    handler, flag, name = method.handler, method.flag, method.name

    async def handle(raw: object) -> Any:
        if flag is not None and not ctx.features.get(flag):
            raise RpcError.method_not_found(name)
        return await handler(ctx, decode(raw))

    return handle


def _raw(raw: object) -> object:
    return raw


def _typed_decoder(name: str) -> Callable[[object], object]:
    params_type: type[Any] | None = None

    def decode(raw: object) -> object:
        nonlocal params_type
        if name == "session/new" and (plain := PlainNewSession.read(raw)) is not None:
            return plain
        if params_type is None:
            from protocol.methods import AGENT_METHODS

            params_type = AGENT_METHODS[name][0]
        return convert(raw, params_type)

    return decode


class PlainNewSession:
    """session/new params without MCP servers, read without the generated types."""

    __slots__ = ("additional_directories", "cwd", "mcp_servers")

    def __init__(self, cwd: str, additional_directories: list[str] | None) -> None:
        self.cwd = cwd
        self.additional_directories = additional_directories
        self.mcp_servers: list[object] = []

    @classmethod
    def read(cls, raw: object) -> PlainNewSession | None:
        if not isinstance(raw, dict) or raw.get("mcpServers") != []:
            return None
        cwd, extra = raw.get("cwd"), raw.get("additionalDirectories")
        if not isinstance(cwd, str):
            return None
        if extra is None or (isinstance(extra, list) and all(isinstance(d, str) for d in extra)):
            return cls(cwd, extra)
        return None


__all__ = ["METHODS", "NOT_SUPPORTED", "Method", "build_routes"]
