"""ACP v1 on the wire. Imports nothing else of this project.

Layers: `schema` (generated types), `codec`, `framing`, `jsonrpc` (sans-I/O),
and one asyncio edge, `Endpoint`, with its transports.
"""

from protocol import schema
from protocol.codec import convert, encode_frame, to_builtins
from protocol.endpoint import AfterResponse, Endpoint, FrameObserver, Route, current_request_id
from protocol.errors import ErrorCode, RpcError
from protocol.framing import DEFAULT_MAX_LINE_BYTES
from protocol.methods import AGENT_METHODS, CLIENT_METHODS, PROTOCOL_VERSION
from protocol.transports import SpawnedProcess, memory_pipe, open_stdio, spawn_process

__all__ = [
    "AGENT_METHODS",
    "CLIENT_METHODS",
    "DEFAULT_MAX_LINE_BYTES",
    "PROTOCOL_VERSION",
    "AfterResponse",
    "Endpoint",
    "ErrorCode",
    "FrameObserver",
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
