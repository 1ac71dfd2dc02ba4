"""The ACP agent server: what it owns, and only that.

`AgentServer` holds the session registry, the lazily opened store, audit log
and MCP hub, the idle flush and shutdown. The method table is declared in
router.py and the handlers live in handlers/; they reach the server through
`ServerContext` (context.py), which this class satisfies, and each session is
given a `SessionContext`, never the server.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from acp_server.server.context import (
    ClientCaps,
    ClientLink,
    SessionContext,
    SessionOpening,
    SessionState,
)
from acp_server.server.handlers.sessions import normalise_cwd
from acp_server.server.handlers.turns import select_values
from acp_server.server.ids import session_id_source
from acp_server.server.router import build_routes
from protocol import Endpoint, Route, RpcError

if TYPE_CHECKING:
    from acp_server.audit import AuditLog

    # The engine and the config loader load on the first session, not before
    # `initialize` is answered: editors show "Loading..." until then.
    from acp_server.config import Config
    from acp_server.config_report import ConfigProblem
    from acp_server.server.session import Session
    from acp_server.store import SessionStore
    from agent import EngineConfig
    from agent.mcp import McpHub, McpServerSpec
    from protocol import schema as acp

IDLE_FLUSH_SECONDS = 0.5


class AgentServer:
    def __init__(
        self,
        config: Config | None,
        home: str | os.PathLike[str] | None,
        *,
        setup: Callable[[], tuple[Config, str | None]] | None = None,
        config_problem: Callable[[], ConfigProblem | None] | None = None,
    ) -> None:
        """Pass `config` and `home`, or a `setup` callable that provides both on
        first use, so nothing but the protocol loads before `initialize`.
        `config_problem` says what the last setup refused, if anything.
        The home is kept as a str: pathlib (with urllib.parse and ipaddress)
        is not loaded before the first session/new reply."""
        self._config = config
        self._home = os.fspath(home) if home is not None else None
        self._setup = setup
        self.client_caps = ClientCaps()
        self.sessions: dict[str, Session] = {}
        self.endpoint: Endpoint | None = None  # set by the runner
        self._store: SessionStore | None = None
        self._audit: AuditLog | None = None
        self._mcp_hub: McpHub | None = None
        self._idle_flush: asyncio.TimerHandle | None = None
        self._store_notices: list[str] = []
        self._config_problem = config_problem
        self._reported: ConfigProblem | None = None  # told in a session already
        self._features: dict[str, bool] | None = None
        self._engine_config: tuple[Config, EngineConfig] | None = None
        self.next_session_id = session_id_source()

    def routes(self) -> tuple[dict[str, Route], dict[str, Route]]:
        return build_routes(self)

    # ------------------------------------------------------------ shared parts

    @property
    def config(self) -> Config:
        if self._config is None:
            assert self._setup is not None
            self._config, self._home = self._setup()
        return self._config

    @property
    def home(self) -> str | None:
        if self._config is None and self._setup is not None:
            _ = self.config
        return self._home

    @property
    def features(self) -> Mapping[str, bool]:
        """Flag states, read once per connection so that what `initialize`
        advertised and what is routed never disagree. Before the config is
        loaded (answering `initialize`), config.yaml is only scanned for its
        `features:` block: no YAML parser is imported for it."""
        if self._features is None:
            from acp_server import features

            if self._config is not None:
                self._features = features.resolve(self._config.features)
            else:
                from acp_server.home import HomeError, home_path

                try:
                    home: str | None = home_path()
                except HomeError:
                    home = None
                self._features = features.resolve_for_home(home)
        return self._features

    @property
    def store(self) -> SessionStore:
        if self._store is None:
            from acp_server.store import SessionStore, StoreError

            if self.home is None:
                raise RpcError.internal_error("no home directory: set ACP_SERVER_HOME")
            try:
                self._store = SessionStore.open(os.path.join(self.home, "sessions.db"))
            except StoreError as error:  # its message names the file and the cause
                raise RpcError.internal_error(str(error)) from None
            # Damage found on open (and set aside) is told in the next session.
            self._store_notices = list(self._store.notices)
            if self.endpoint is not None:
                # Journal writes wait for the writer: one write() per batch of
                # frames, still always before those frames are sent.
                self.endpoint.before_write = self._store.write_ahead()
        return self._store

    @property
    def audit(self) -> AuditLog:
        if self._audit is None:
            from acp_server.audit import AuditLog

            home = self.home
            self._audit = (
                AuditLog(os.path.join(home, "logs", "audit.jsonl")) if home else AuditLog.null()
            )
        return self._audit

    def mcp_hub(self) -> McpHub:
        if self._mcp_hub is None:
            from agent.mcp import McpHub

            self._mcp_hub = McpHub(self.config.mcp.connect_timeout, self.config.mcp.call_timeout)
        return self._mcp_hub

    def mcp_specs(self, servers: list[acp.McpServer] | None, cwd: str) -> list[McpServerSpec]:
        from acp_server.server.mcp_specs import mcp_specs

        return mcp_specs(servers, self.config, cwd)

    def engine_config(self) -> EngineConfig:
        """The engine's settings for the current config, built once per loaded
        config (every session/new checks the model against its providers)."""
        config = self.config
        cached = self._engine_config
        if cached is None or cached[0] is not config:
            from acp_server.config.engine import engine_config

            cached = self._engine_config = (config, engine_config(config))
        return cached[1]

    # ------------------------------------------------------------ the registry

    def open_session(
        self, session_id: str, cwd: str, extra: list[str] | None, state: SessionState | None
    ) -> Session:
        return self.start_session(session_id, self.prepare_session(cwd, extra, state))

    def prepare_session(
        self, cwd: str, extra: list[str] | None, state: SessionState | None
    ) -> SessionOpening:
        """Everything a session needs that can fail, checked now."""
        if self._setup is not None and self._config is not None:
            # Re-read the configuration for every session: a rotated key needs no restart.
            self._config, self._home = self._setup()
        config = self.config
        if state is None:
            state = SessionState(model=config.model, mode=config.permissions.default_mode)
        roots = (cwd, *(normalise_cwd(d, "additionalDirectories") for d in extra or ()))
        store = self.store  # opened now, so damage it found is told in this session
        return SessionOpening(cwd, roots, state, config, store)

    def start_session(self, session_id: str, opening: SessionOpening) -> Session:
        from acp_server.server.session import Session

        session = Session(
            self._session_context(opening.store, opening.config),
            session_id,
            opening.cwd,
            opening.roots,
            opening.state,
        )
        self.sessions[session_id] = session
        for text in self._store_notices:
            session.hold_notice(text)
        self._store_notices.clear()
        self._report_config(session)
        return session

    def _report_config(self, session: Session) -> None:
        """Every session knows of a refused configuration; the first one
        after it was found tells the user (see acp_server/config_report.py)."""
        problem = self._config_problem() if self._config_problem is not None else None
        if problem is None:
            self._reported = None
            return
        from acp_server.config_report import ConfigReport

        first = problem != self._reported
        self._reported = problem
        session.report_config(
            ConfigReport(problem, first=first, notices=self.client_caps.opt_ins.notices)
        )

    def _session_context(self, store: SessionStore, config: Config) -> SessionContext:
        link: ClientLink | None = self.endpoint
        if link is None:
            raise RpcError.internal_error("the server has no connection to a client")
        return SessionContext(
            link=link,
            store=store,
            audit=self.audit,
            config=config,
            home=self.home,
            client_caps=self.client_caps,
            features=self.features,
            engine_config=self.engine_config,
            mcp_hub=self.mcp_hub,
            turn_running_elsewhere=self._turn_running_elsewhere,
        )

    def _turn_running_elsewhere(self, session_id: str) -> bool:
        return any(s.in_turn for s in self.sessions.values() if s.id != session_id)

    def turn_running(self) -> bool:
        return any(s.in_turn for s in self.sessions.values())

    # ------------------------------------------------------------ idle flush, shutdown

    def flush_soon(self) -> None:
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


__all__ = ["AgentServer", "normalise_cwd", "select_values"]
