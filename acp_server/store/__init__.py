"""The SQLite session store (see `acp_server.store.sqlite` for the API)."""

from acp_server.store.sqlite import SCHEMA_VERSION, SessionRecord, SessionStore, StoreError

__all__ = ["SCHEMA_VERSION", "SessionRecord", "SessionStore", "StoreError"]
