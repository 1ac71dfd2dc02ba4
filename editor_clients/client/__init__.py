"""The client library: speak ACP to any agent, as an editor would."""

from editor_clients.client.accumulator import (
    CompactionView,
    NoticeView,
    SessionView,
    ToolCallView,
)
from editor_clients.client.connection import ClientCapabilities, ClientConnection, memory_connection
from editor_clients.client.handlers import LocalFiles, LocalTerminals, PermissionPolicy

__all__ = [
    "ClientCapabilities",
    "ClientConnection",
    "CompactionView",
    "LocalFiles",
    "LocalTerminals",
    "NoticeView",
    "PermissionPolicy",
    "SessionView",
    "ToolCallView",
    "memory_connection",
]
