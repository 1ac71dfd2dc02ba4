"""The stdio ACP agent: method table, sessions, translator and ledger."""

from acp_server.server.main import run_stdio

__all__ = ["run_stdio"]
