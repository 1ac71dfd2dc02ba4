"""The ACP agent: an explicit method table over sessions and the store.

The response to new/load/resume/fork goes out before any update for that
session (`AfterResponse`); `session/load` replays the whole history before it
answers; `session/resume` never replays.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from acp_server import __version__
from protocol import AfterResponse, Endpoint, Route, RpcError, convert

if TYPE_CHECKING:
    from pathlib import Path

    from acp_server.audit import AuditLog

    # The engine and the config loader load on the first session, not before
    # `initialize` is answered: editors show "Loading..." until then.
    from acp_server.config import Config
    from acp_server.server.session import Session
    from agent import EngineConfig
    from protocol import schema as acp

log = logging.getLogger("acp_server")
PAGE_SIZE = 50
IDLE_FLUSH_SECONDS = 0.5
AUTH_METHOD_ID = "provider-key"


class ClientCaps:
    """What the client advertised (a plain class: this loads before `initialize`)."""

    __slots__ = ("auth_terminal", "fs_read", "fs_write", "terminal")

    def __init__(
        self,
        fs_read: bool = False,
        fs_write: bool = False,
        terminal: bool = False,
        auth_terminal: bool = False,
    ) -> None:
        self.fs_read = fs_read
        self.fs_write = fs_write
        self.terminal = terminal
        self.auth_terminal = auth_terminal


def normalise_cwd(cwd: str, what: str = "cwd") -> str:
    """An absolute path without NUL bytes, normalised; it need not exist yet.
    Checked before any reply: a NUL would otherwise fail later, in a file call."""
    if "\0" in cwd:
        raise RpcError.invalid_params(f"{what} must not contain a NUL byte, got {_clip(cwd)}")
    if not os.path.isabs(cwd):
        raise RpcError.invalid_params(f"{what} must be an absolute path, got {_clip(cwd)}")
    normal = os.path.normpath(cwd)
    return normal if normal == "/" else normal.rstrip("/")


def client_caps_from(params: object) -> ClientCaps:
    """Lenient reading of initialize params: anything missing or malformed is
    "not supported", which is what the spec says an omitted capability means."""
    if not isinstance(params, dict):
        raise RpcError.invalid_params("initialize params must be an object")
    if "protocolVersion" not in params:
        raise RpcError.invalid_params("initialize needs protocolVersion")

    def part(node: object, key: str) -> object:
        return node.get(key) if isinstance(node, dict) else None

    caps = params.get("clientCapabilities")
    fs = part(caps, "fs")
    return ClientCaps(
        fs_read=part(fs, "readTextFile") is True,
        fs_write=part(fs, "writeTextFile") is True,
        terminal=part(caps, "terminal") is True,
        # The registry's checker asks through `_meta["terminal-auth"]`, the
        # schema through `auth.terminal`: either one counts.
        auth_terminal=part(part(caps, "auth"), "terminal") is True
        or part(part(caps, "_meta"), "terminal-auth") is True,
    )


def _clip(text: str, limit: int = 80) -> str:
    """`text` for an error message: quoted, and cut when long (a client may send megabytes)."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


_MAX_CURSOR_CHARS = 64  # ours are about 20; SQLite offsets stop at 2**63 - 1


def _cursor(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        if len(raw) > _MAX_CURSOR_CHARS:
            raise ValueError("too long")
        value = int(base64.urlsafe_b64decode(raw.encode()).decode().removeprefix("offset:"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise RpcError.invalid_params(f"invalid cursor {_clip(raw)}") from None
    if not 0 <= value < 2**63:
        raise RpcError.invalid_params(f"invalid cursor {_clip(raw)}")
    return value


def _make_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


class _PlainNewSession:
    """session/new params without MCP servers, read without the generated types."""

    __slots__ = ("additional_directories", "cwd", "mcp_servers")

    def __init__(self, cwd: str, additional_directories: list[str] | None) -> None:
        self.cwd = cwd
        self.additional_directories = additional_directories
        self.mcp_servers: list[Any] = []


def new_session_route(handler: Callable[[Any], Awaitable[Any]]) -> Route:
    """session/new, decoded by hand in its common shape (no MCP servers): the
    generated types cost ~4 ms of the first session editors wait for. Any
    other shape, valid or not, goes through the generated type as before."""
    typed_route = typed("NewSessionRequest", handler)

    async def decode_then_handle(raw: object) -> Any:
        if (
            isinstance(raw, dict)
            and isinstance(raw.get("cwd"), str)
            and raw.get("mcpServers") == []
        ):
            extra = raw.get("additionalDirectories")
            if extra is None or (
                isinstance(extra, list) and all(isinstance(d, str) for d in extra)
            ):
                return await handler(_PlainNewSession(raw["cwd"], extra))
        return await typed_route.handler(raw)

    return Route(None, decode_then_handle, overtakes=True)


def typed(
    type_name: str, handler: Callable[[Any], Awaitable[Any]], *, overtakes: bool = False
) -> Route:
    """A route whose params decode into a generated schema type, imported on
    first use (the ~180 generated types cost start-up time editors feel)."""

    async def decode_then_handle(raw: object) -> Any:
        from protocol import schema

        return await handler(convert(raw, getattr(schema, type_name)))

    return Route(None, decode_then_handle, overtakes=overtakes)


class AgentServer:
    def __init__(
        self,
        config: Config | None,
        home: Path | None,
        *,
        setup: Callable[[], tuple[Config, Path | None]] | None = None,
    ) -> None:
        """Pass `config` and `home`, or a `setup` callable that provides both on
        first use, so nothing but the protocol loads before `initialize`."""
        self._config = config
        self._home = home
        self._setup = setup
        self.client_caps = ClientCaps()
        self.sessions: dict[str, Session] = {}
        self.endpoint: Endpoint = None  # type: ignore[assignment]  # set by the runner
        self._store: Any = None
        self._audit: AuditLog | None = None
        self._mcp_hub: Any = None
        self._idle_flush: asyncio.TimerHandle | None = None
        self._store_notices: list[str] = []
        self._id_prefix = os.urandom(8).hex()
        self._features: dict[str, bool] | None = None
        self._id_counter = itertools.count(1)

    # ------------------------------------------------------------ plumbing

    @property
    def config(self) -> Config:
        if self._config is None:
            assert self._setup is not None
            self._config, self._home = self._setup()
        return self._config

    @property
    def features(self) -> dict[str, bool]:
        """Flag states, read once per connection so that what `initialize`
        advertised and what is routed never disagree. Before the config is
        loaded (answering `initialize`), config.yaml is only scanned for its
        `features:` block: no YAML parser is imported for it."""
        if self._features is None:
            from acp_server import features

            if self._config is not None:
                self._features = features.resolve(self._config.features)
            else:
                from acp_server.home import HomeError, resolve_home

                try:
                    home: Path | None = resolve_home()
                except HomeError:
                    home = None
                self._features = features.resolve_for_home(home)
        return self._features

    def _gated(self, flag: str, method: str, route: Route) -> Route:
        """`route`, answering -32601 while `flag` is off."""
        handler = route.handler

        async def guarded(params: Any) -> Any:
            if not self.features.get(flag):
                raise RpcError.method_not_found(method)
            return await handler(params)

        return Route(route.params, guarded, overtakes=route.overtakes)

    @property
    def home(self) -> Path | None:
        if self._config is None and self._setup is not None:
            _ = self.config
        return self._home

    def mcp_hub(self) -> Any:
        if self._mcp_hub is None:
            from agent.mcp import McpHub

            self._mcp_hub = McpHub(self.config.mcp.connect_timeout, self.config.mcp.call_timeout)
        return self._mcp_hub

    def mcp_specs(self, servers: list[acp.McpServer] | None, cwd: str) -> list[Any]:
        """ACP McpServer entries plus the user's configured servers, as hub specs."""
        if not servers and not self.config.mcp_servers:
            return []  # and the MCP modules stay unimported
        from agent.mcp import McpServerSpec

        specs = []
        for server in servers or []:
            kind = (server.type or "stdio").lower()
            if kind == "stdio":
                env = tuple((e.name, e.value) for e in server.env or [])
                specs.append(
                    McpServerSpec(
                        server.name or "server",
                        "stdio",
                        command=server.command,
                        args=tuple(server.args or ()),
                        env=env,
                        cwd=cwd,
                    )
                )
            elif kind in ("http", "sse"):
                headers = tuple((h.name, h.value) for h in server.headers or [])
                specs.append(
                    McpServerSpec(server.name or "server", kind, url=server.url, headers=headers)
                )  # type: ignore[arg-type]
            else:
                log.warning("MCP server %s uses unsupported transport %s", server.name, kind)
        for name, settings in self.config.mcp_servers.items():
            if settings.command:
                specs.append(
                    McpServerSpec(
                        name,
                        "stdio",
                        command=settings.command,
                        args=settings.args,
                        env=settings.env,
                        cwd=cwd,
                    )
                )
            else:
                specs.append(
                    McpServerSpec(
                        name, settings.transport, url=settings.url, headers=settings.headers
                    )
                )
        return specs

    def _next_session_id(self) -> str:
        # A random prefix per process and a counter: unique across the processes
        # sharing a store without a getrandom() call per session. Session ids name
        # sessions; they grant nothing, so they need not be unpredictable.
        return f"sess_{self._id_prefix}{next(self._id_counter):016x}"

    def turn_running(self, besides: Session | None = None) -> bool:
        return any(s.in_turn for s in self.sessions.values() if s is not besides)

    def _flush_soon(self) -> None:
        """Move journaled rows into SQLite shortly, unless a turn is running
        then (its end does it): new sessions become visible to other processes
        (`acp-server sessions`) within a second, at one ingest per burst."""
        if self._idle_flush is None:
            self._idle_flush = asyncio.get_running_loop().call_later(
                IDLE_FLUSH_SECONDS, self._flush_if_idle
            )

    def _flush_if_idle(self) -> None:
        self._idle_flush = None
        if self._store is not None and not self.turn_running():
            self._store.flush(wait=False)

    @property
    def audit(self) -> AuditLog:
        if self._audit is None:
            from acp_server.audit import AuditLog

            self._audit = (
                AuditLog(self.home / "logs" / "audit.jsonl") if self.home else AuditLog.null()
            )
        return self._audit

    @property
    def default_mode(self) -> str:
        return self.config.permissions.default_mode

    @property
    def store(self) -> Any:
        if self._store is None:
            from acp_server.store import SessionStore, StoreError

            if self.home is None:
                raise RpcError.internal_error("no home directory: set ACP_SERVER_HOME")
            try:
                self._store = SessionStore.open(self.home / "sessions.db")
            except StoreError as error:  # its message names the file and the cause
                raise RpcError.internal_error(str(error)) from None
            # Damage found on open (and set aside) is told in the next session.
            self._store_notices = list(self._store.notices)
            if self.endpoint is not None:
                # Journal writes wait for the writer: one write() per batch of
                # frames, still always before those frames are sent.
                self.endpoint.before_write = self._store.write_ahead()
        return self._store

    def engine_config(self) -> EngineConfig:
        from acp_server.config.engine import engine_config

        return engine_config(self.config)

    def routes(self) -> tuple[dict[str, Route], dict[str, Route]]:
        # Replies that promise nothing about earlier notifications overtake queued
        # ones, so they stay quick while another session streams. A prompt's reply
        # follows its updates, a load's its replay, a resume's the closed turn's.
        quick = {"overtakes": True}
        requests = {
            # Decoded by hand: the generated types are not needed to answer it.
            "initialize": Route(None, self.initialize, **quick),
            "authenticate": typed("AuthenticateRequest", self.authenticate, **quick),
            "logout": Route(None, self.logout, **quick),
            "session/new": new_session_route(self.new_session),
            "session/load": typed("LoadSessionRequest", self.load_session),
            "session/resume": typed("ResumeSessionRequest", self.resume_session),
            # Unstable upstream: advertised and routed only with their flag on.
            "session/fork": self._gated(
                "session_fork",
                "session/fork",
                typed("ForkSessionRequest", self.fork_session, **quick),
            ),
            "session/set_title": self._gated(
                "session_title",
                "session/set_title",
                typed("SetSessionTitleRequest", self.set_title, **quick),
            ),
            "session/close": typed("CloseSessionRequest", self.close_session),
            "session/list": typed("ListSessionsRequest", self.list_sessions, **quick),
            "session/delete": typed("DeleteSessionRequest", self.delete_session, **quick),
            "session/prompt": typed("PromptRequest", self.prompt),
            "session/set_mode": typed("SetSessionModeRequest", self.set_mode, **quick),
            "session/set_config_option": typed(
                "SetSessionConfigOptionRequest", self.set_config_option, **quick
            ),
            "session/set_model": Route(None, self.set_model, **quick),
        }
        notifications = {"session/cancel": typed("CancelNotification", self.cancel)}
        return requests, notifications

    async def shutdown(self) -> None:
        if self._idle_flush is not None:
            self._idle_flush.cancel()  # the store's close flushes
        for session in list(self.sessions.values()):
            await session.close()
        self.sessions.clear()
        if self._mcp_hub is not None:
            await self._mcp_hub.aclose()
        if self._store is not None:
            self._store.close()
        if self._audit is not None:
            self._audit.close()

    # ------------------------------------------------------------ lifecycle

    async def initialize(self, params: object) -> AfterResponse:
        self.client_caps = client_caps_from(params)
        auth_methods: list[dict[str, object]] = [
            {
                "id": AUTH_METHOD_ID,
                "name": "Provider API key",
                "description": "Set OPENAI_API_KEY, ANTHROPIC_API_KEY or OPENROUTER_API_KEY (environment or "
                "$ACP_SERVER_HOME/.env) and a model (`acp-server models set ID`), then authenticate.",
            }
        ]
        if self.client_caps.auth_terminal:
            auth_methods.append(
                {
                    "type": "terminal",
                    "id": "setup-provider",
                    "name": "Set up a provider",
                    "description": "Pick a provider and store its key",
                    "args": ["setup-provider"],
                }
            )
        result = {
            "protocolVersion": 1,
            "agentCapabilities": {
                "loadSession": True,
                "promptCapabilities": {"image": True, "audio": False, "embeddedContext": True},
                "mcpCapabilities": {"http": True, "sse": True},
                "sessionCapabilities": {
                    "list": {},
                    "resume": {},
                    "close": {},
                    "delete": {},
                    "additionalDirectories": {},
                    **self._flagged_session_capabilities(),
                },
                "auth": {"logout": {}},
            },
            "authMethods": auth_methods,
            "agentInfo": {"name": "acp-server", "title": "acp-server", "version": __version__},
        }
        return AfterResponse(result, _dump_modules)

    def _flagged_session_capabilities(self) -> dict[str, object]:
        flags = self.features
        caps: dict[str, object] = {}
        if flags.get("session_fork"):
            caps["fork"] = {}
        if flags.get("session_title"):
            caps["title"] = {}
        return caps

    async def authenticate(self, params: acp.AuthenticateRequest) -> dict[str, object]:
        if params.method_id != AUTH_METHOD_ID:
            raise RpcError.invalid_params(f"unknown auth method {params.method_id!r}")
        from agent import ModelNotConfigured, check_model

        try:
            check_model(self.config.model, self.engine_config().providers)
        except ModelNotConfigured as error:
            raise RpcError.auth_required(f"{error}. {error.hint}") from None
        return {}

    async def logout(self, params: object) -> dict[str, object]:
        return {}  # keys live in the user's environment and .env; nothing is cached here

    # ------------------------------------------------------------ sessions

    def _new(self, session_id: str, cwd: str, extra: list[str] | None, **state: Any) -> Session:
        from acp_server.server.session import Session

        if self._setup is not None and self._config is not None:
            # Re-read the configuration for every session: a rotated key needs no restart.
            self._config, self._home = self._setup()

        roots = (cwd, *(normalise_cwd(d, "additionalDirectories") for d in extra or ()))
        state.setdefault("model", self.config.model)
        state.setdefault("mode", self.default_mode)
        state.setdefault("thought_level", None)
        session = Session(self, session_id, cwd, roots, **state)
        self.sessions[session_id] = session
        _ = self.store  # opened now, so damage it found is told in this session
        for text in self._store_notices:
            session.hold_notice(text)
        self._store_notices.clear()
        return session

    def _opened(self, session: Session, extra: dict[str, object] | None = None) -> AfterResponse:
        result = {"modes": session.modes(), "configOptions": session.options(), **(extra or {})}
        return AfterResponse(result, session.announce)

    async def new_session(self, params: acp.NewSessionRequest) -> AfterResponse:
        from acp_server.store import SessionRecord
        from acp_server.turn_failure import require_model_sdk

        cwd = normalise_cwd(params.cwd)
        session_id = self._next_session_id()
        session = self._new(session_id, cwd, params.additional_directories)
        try:  # a model that cannot work is refused now, not in the middle of a turn
            require_model_sdk(session.model, self.engine_config().providers)
        except RpcError:
            self.sessions.pop(session_id, None)
            raise
        self.store.create(
            SessionRecord(
                session_id,
                cwd,
                list(session.roots[1:]),
                model=session.model,
                mode=session.mode,
            )
        )
        self._flush_soon()
        await session.attach_mcp(self.mcp_specs(params.mcp_servers, cwd))
        if _DEBUG_MODULES:
            await _dump_modules(".session")
        return self._opened(session, {"sessionId": session_id})

    async def _restore(self, session_id: str, cwd: str, extra: list[str] | None) -> Session:
        cwd = normalise_cwd(cwd)  # before the active session is closed
        record = self.store.get(session_id)
        if record is None:
            raise RpcError.resource_not_found(f"session {session_id}")
        if (active := self.sessions.pop(session_id, None)) is not None:
            await active.close()
        roots_dirs = extra if extra is not None else []
        session = self._new(
            session_id,
            normalise_cwd(cwd),
            roots_dirs,
            model=record.model or self.config.model,
            mode=record.mode or self.default_mode,
            thought_level=record.thought_level,
            messages=record.messages,
            grants=record.grants,
            title=record.title,
            cost_usd=record.cost_usd,
        )
        self.store.update_meta(session_id, cwd=session.cwd, additional_dirs=list(session.roots[1:]))
        return session

    async def load_session(self, params: acp.LoadSessionRequest) -> AfterResponse:
        session = await self._restore(params.session_id, params.cwd, params.additional_directories)
        await session.attach_mcp(self.mcp_specs(params.mcp_servers, session.cwd))
        await session.replay()  # the whole history, before the response
        return self._opened(session)

    async def resume_session(self, params: acp.ResumeSessionRequest) -> AfterResponse:
        session = await self._restore(params.session_id, params.cwd, params.additional_directories)
        await session.attach_mcp(self.mcp_specs(params.mcp_servers, session.cwd))
        return self._opened(session)

    async def fork_session(self, params: acp.ForkSessionRequest) -> AfterResponse:

        source = self.store.get(params.session_id)
        if source is None:
            raise RpcError.resource_not_found(f"session {params.session_id}")
        from msgspec.structs import replace

        if (active := self.sessions.get(params.session_id)) is not None:
            source = replace(
                source,
                messages=active.messages,
                mode=active.mode,
                model=active.model,
            )
        new_id = self._next_session_id()
        cwd = normalise_cwd(params.cwd)
        record = replace(
            source,
            id=new_id,
            cwd=cwd,
            title=f"{source.title} (fork)" if source.title else None,
            created_at=0.0,
        )
        self.store.create(record)
        self.store.append_updates(new_id, self.store.updates(params.session_id))
        session = self._new(
            new_id,
            cwd,
            params.additional_directories,
            model=record.model,
            mode=record.mode or self.default_mode,
            thought_level=record.thought_level,
            messages=list(record.messages),
            grants=record.grants,
            title=record.title,
        )
        await session.attach_mcp(self.mcp_specs(params.mcp_servers, cwd))
        return self._opened(session, {"sessionId": new_id})

    async def close_session(self, params: acp.CloseSessionRequest) -> dict[str, object]:
        session = self.sessions.pop(params.session_id, None)
        if session is not None:
            await session.close()
        return {}

    async def delete_session(self, params: acp.DeleteSessionRequest) -> dict[str, object]:
        if (session := self.sessions.pop(params.session_id, None)) is not None:
            await session.close()
        self.store.delete(params.session_id)  # unknown ids succeed silently
        return {}

    async def list_sessions(self, params: acp.ListSessionsRequest) -> dict[str, object]:
        offset = _cursor(params.cursor)
        cwd = normalise_cwd(params.cwd) if params.cwd else None
        records, next_offset = self.store.list(cwd=cwd, cursor=offset, limit=PAGE_SIZE)
        sessions = []
        for record in records:
            info: dict[str, object] = {
                "sessionId": record.id,
                "cwd": record.cwd,
                "updatedAt": _iso(record.updated_at),
            }
            if record.title:
                info["title"] = record.title
            if record.additional_dirs:
                info["additionalDirectories"] = record.additional_dirs
            sessions.append(info)
        result: dict[str, object] = {"sessions": sessions}
        if next_offset is not None:
            result["nextCursor"] = _make_cursor(next_offset)
        return result

    # ------------------------------------------------------------ turns and options

    def _session(self, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            raise RpcError.invalid_params(
                f"unknown or inactive session {session_id!r}; call session/load first"
            )
        return session

    async def prompt(self, params: acp.PromptRequest) -> dict[str, object]:
        return await self._session(params.session_id).prompt(params)

    async def cancel(self, params: acp.CancelNotification) -> None:
        session = self.sessions.get(params.session_id)
        if session is not None:
            session.cancel()

    async def set_mode(self, params: acp.SetSessionModeRequest) -> AfterResponse:
        session = self._session(params.session_id)
        await session.set_option("mode", params.mode_id)

        async def then() -> None:
            await session.announce_option_change("mode")

        return AfterResponse({}, then)

    async def set_config_option(self, params: acp.SetSessionConfigOptionRequest) -> AfterResponse:
        session = self._session(params.session_id)
        _require_offered(session.options(), params.config_id, params.value)
        options = await session.set_option(params.config_id, params.value)

        async def then() -> None:
            if params.config_id == "mode":
                await session.announce_option_change("mode")

        return AfterResponse({"configOptions": options}, then)

    async def set_title(self, params: acp.SetSessionTitleRequest) -> dict[str, object]:
        """A client-set title, stored before the reply; setting it (not None)
        is what stops the first prompt from generating one."""
        title = " ".join(params.title.split())[:200]
        if not title:
            raise RpcError.invalid_params("title is empty")
        if self.store.get(params.session_id) is None:
            raise RpcError.resource_not_found(f"session {params.session_id}")
        active = self.sessions.get(params.session_id)
        if active is not None:
            active.title = title
        self.store.update_meta(params.session_id, title=title)
        return {"title": title}

    async def set_model(self, params: object) -> AfterResponse:
        """Legacy `session/set_model` (still sent by some clients): the same as
        setting the `model` config option, answered with an empty result."""
        fields = params if isinstance(params, dict) else {}
        session_id, model_id = fields.get("sessionId"), fields.get("modelId")
        if not isinstance(session_id, str) or not isinstance(model_id, str):
            raise RpcError.invalid_params("session/set_model needs string sessionId and modelId")
        session = self._session(session_id)
        _require_offered(session.options(), "model", model_id)
        await session.set_option("model", model_id)

        async def then() -> None:
            await session.announce_option_change("model")

        return AfterResponse({}, then)


def _require_offered(options: list[dict[str, object]], config_id: str, value: object) -> None:
    """A select option accepts only one of the values it offers: a typo'd model
    id is refused now (-32602), not on the next prompt."""
    option = next((o for o in options if o.get("id") == config_id), None)
    if option is None:
        raise RpcError.invalid_params(f"unknown config option {config_id!r}")
    offered = option.get("options")
    if option.get("type") == "select" and isinstance(offered, list):
        values = select_values(offered)
        if value not in values:
            raise RpcError.invalid_params(
                f"{value!r} is not a value of config option {config_id!r}; "
                f"offered: {', '.join(map(str, values))}"
            )


def select_values(offered: list[object]) -> list[object]:
    """The values of a select option, flat or grouped by provider (a group
    holds its own `options` list, as the schema's SessionConfigSelectGroup)."""
    values: list[object] = []
    for entry in offered:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("options"), list):
            values.extend(select_values(entry["options"]))
        elif "value" in entry:
            values.append(entry["value"])
    return values


_DEBUG_MODULES = os.environ.get("ACP_SERVER_DEBUG_MODULES")


async def _dump_modules(suffix: str = "") -> None:
    """ACP_SERVER_DEBUG_MODULES=FILE records what was imported to answer
    `initialize` (in FILE) and the first `session/new` (in FILE.session), so a
    test can prove no heavy module loads before either."""
    import sys

    target = _DEBUG_MODULES
    if target and not os.path.exists(target + suffix):
        with open(target + suffix, "w", encoding="utf-8") as handle:
            handle.write("\n".join(sorted(sys.modules)))


def _iso(timestamp: float) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
