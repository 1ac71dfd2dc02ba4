"""What method handlers may use: the session registry and the server's
shared parts. `AgentServer` satisfies it; nothing below app.py imports it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from acp_server.config import Config
    from acp_server.server.context import ClientCaps, SessionOpening, SessionState
    from acp_server.server.session import Session
    from acp_server.store import SessionStore
    from agent import EngineConfig
    from agent.mcp import McpServerSpec
    from protocol import schema as acp


class ServerContext(Protocol):
    """What method handlers use: the registry and the server's shared parts."""

    sessions: dict[str, Session]
    client_caps: ClientCaps

    @property
    def config(self) -> Config: ...

    @property
    def store(self) -> SessionStore: ...

    @property
    def features(self) -> Mapping[str, bool]: ...

    def engine_config(self) -> EngineConfig: ...

    def mcp_specs(self, servers: list[acp.McpServer] | None, cwd: str) -> list[McpServerSpec]: ...

    def next_session_id(self) -> str: ...

    def open_session(
        self, session_id: str, cwd: str, extra: list[str] | None, state: SessionState | None
    ) -> Session:
        """A registered session; `state` None: a new one, with the model and
        mode of the configuration as re-read now."""
        ...

    def prepare_session(
        self, cwd: str, extra: list[str] | None, state: SessionState | None
    ) -> SessionOpening:
        """`open_session`'s checks (the configuration re-read, the directories,
        the store), without building the session."""
        ...

    def start_session(self, session_id: str, opening: SessionOpening) -> Session:
        """The session `opening` describes, built and registered."""
        ...

    def flush_soon(self) -> None: ...


__all__ = ["ServerContext"]
