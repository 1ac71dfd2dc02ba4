"""ACP v1 on the wire. Imports nothing else of this project.

Layers: `schema` (generated types), `codec`, `framing`, `jsonrpc` (sans-I/O),
and one asyncio edge, `Endpoint`, with its transports.
"""

import importlib
from typing import TYPE_CHECKING

from protocol.codec import convert, encode_frame, to_builtins
from protocol.endpoint import AfterResponse, Endpoint, FrameObserver, Route, current_request_id
from protocol.errors import ErrorCode, RpcError
from protocol.framing import DEFAULT_MAX_LINE_BYTES
from protocol.json_types import JsonObject, JsonValue
from protocol.transports import SpawnedProcess, memory_pipe, open_stdio, spawn_process

if TYPE_CHECKING:
    # What `__getattr__` loads on first use, declared for type checkers.
    from protocol import schema as schema
    from protocol.methods import AGENT_METHODS as AGENT_METHODS
    from protocol.methods import CLIENT_METHODS as CLIENT_METHODS

PROTOCOL_VERSION = 1


def __getattr__(name: str) -> object:
    # The generated types load on first use: an agent can answer `initialize`
    # before paying for ~180 type definitions.
    if name == "schema":
        return importlib.import_module("protocol.schema")
    if name in ("AGENT_METHODS", "CLIENT_METHODS"):
        return getattr(importlib.import_module("protocol.methods"), name)
    raise AttributeError(f"module 'protocol' has no attribute {name!r}")


__all__ = [
    "AGENT_METHODS",
    "CLIENT_METHODS",
    "DEFAULT_MAX_LINE_BYTES",
    "PROTOCOL_VERSION",
    "AfterResponse",
    "Endpoint",
    "ErrorCode",
    "FrameObserver",
    "JsonObject",
    "JsonValue",
    "Route",
    "RpcError",
    "SpawnedProcess",
    "convert",
    "current_request_id",
    "encode_frame",
    "memory_pipe",
    "open_stdio",
    "schema",
    "spawn_process",
    "to_builtins",
]
