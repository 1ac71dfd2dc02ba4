"""The editor side of ACP: client library, terminal client, tracer, conformance kit.

Imports only `protocol`, so it can test any agent as a black box. The client
library's names load on first use, so `acp-client` and `acp-conformance` start
without it when they do not need it.
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from editor_clients.client import (
        ClientCapabilities,
        ClientConnection,
        SessionView,
        memory_connection,
    )

_LAZY = frozenset({"ClientCapabilities", "ClientConnection", "SessionView", "memory_connection"})


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'editor_clients' has no attribute {name!r}")
    value = getattr(_importlib.import_module("editor_clients.client"), name)
    globals()[name] = value  # the next lookup is a plain module attribute
    return value


__all__ = ["ClientCapabilities", "ClientConnection", "SessionView", "memory_connection"]
