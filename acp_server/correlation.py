"""Correlation ids (connection, session, turn) carried by every log line.

Kept apart from `acp_server.logs` so the stdio start-up path can bind the
connection id without importing the logging machinery before `initialize`.
"""

from __future__ import annotations

import contextvars

_EMPTY: dict[str, str] = {}
current_ids: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar(
    "acp_log_ids", default=_EMPTY
)


def bind_ids(**ids: object) -> None:
    """Bind ids for the rest of the current task (each request runs in its own)."""
    current_ids.set({**current_ids.get(), **{k: str(v) for k, v in ids.items() if v is not None}})
