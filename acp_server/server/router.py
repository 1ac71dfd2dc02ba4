"""The method table: one declaration per agent-side ACP method.

Each `Method` names its handler (see handlers/), how its params are read,
whether its reply may overtake queued notifications, and the feature flag
that gates it (answered -32601 while the flag is off, and not advertised by
`initialize` either: both read the same resolved flags).

Params are decoded into the type `protocol.methods` declares for the method,
looked up on first use: the generated types cost start-up time editors feel,
and `session/new`'s type lives in a small module of its own, so the first
session of a process loads only that. Two kinds of method read raw builtins
instead: `initialize`, read leniently (a missing capability is "not
supported"), and methods the schema does not define (`session/set_model`,
legacy).

Every agent-side method of the vendored schema, stable or unstable, is either
declared here or listed in `NOT_SUPPORTED`, which the endpoint answers with
-32601 like any unknown method (a test holds the schema to this).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, NamedTuple

from acp_server.server.handlers import checkpoints, lifecycle, sessions, turns
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
    # Extension methods (advertised in agentCapabilities._meta, see lifecycle.py).
    Method("_acp_server/checkpoints", checkpoints.list_checkpoints, overtakes=True, raw=True),
    Method("_acp_server/rewind", checkpoints.rewind, raw=True),
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


def _handler(ctx: ServerContext, method: Method) -> Callable[[object], Awaitable[object]]:
    decode = _raw if method.raw else _typed_decoder(method.name)
    handler, flag, name = method.handler, method.flag, method.name

    async def handle(raw: object) -> object:
        if flag is not None and not ctx.features.get(flag):
            raise RpcError.method_not_found(name)
        return await handler(ctx, decode(raw))

    return handle


def _raw(raw: object) -> object:
    return raw


def _typed_decoder(name: str) -> Callable[[object], object]:
    params_type: type[object] | None = None

    def decode(raw: object) -> object:
        nonlocal params_type
        if params_type is None:
            from protocol.methods import params_type as declared

            params_type = declared(name)
        return convert(raw, params_type)

    return decode


__all__ = ["METHODS", "NOT_SUPPORTED", "Method", "build_routes"]
