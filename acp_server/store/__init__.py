"""The SQLite session store (see `acp_server.store.sqlite` for the API)."""

from acp_server.store.sqlite import (
    SCHEMA_VERSION,
    Refresh,
    SessionBusy,
    SessionGone,
    SessionRecord,
    SessionStore,
    StoreError,
)

__all__ = [
    "SCHEMA_VERSION",
    "Refresh",
    "SessionBusy",
    "SessionGone",
    "SessionRecord",
    "SessionStore",
    "StoreError",
]
