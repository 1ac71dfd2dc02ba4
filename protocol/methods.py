"""Method tables: each ACP method with the types of its params and result.

`AGENT_METHODS` are handled by the agent (the client calls them);
`CLIENT_METHODS` are handled by the client. A result type of None marks a
notification.

Each method is declared once, by the schema names of its types, and the
types are looked up in `protocol.schema` when first asked for: the tables
load the whole schema, `params_type(method)` only the module holding that
one type (for `session/new`, the small one), so a router can decode the first
session without paying for every type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from protocol import schema

#: method -> (params type, result type or None for a notification)
MethodTable = dict[str, tuple[type[object], type[object] | None]]

if TYPE_CHECKING:
    AGENT_METHODS: MethodTable
    CLIENT_METHODS: MethodTable

_AGENT: dict[str, tuple[str, str | None]] = {
    "initialize": ("InitializeRequest", "InitializeResponse"),
    "authenticate": ("AuthenticateRequest", "AuthenticateResponse"),
    "logout": ("LogoutRequest", "LogoutResponse"),
    "session/new": ("NewSessionRequest", "NewSessionResponse"),
    "session/load": ("LoadSessionRequest", "LoadSessionResponse"),
    "session/resume": ("ResumeSessionRequest", "ResumeSessionResponse"),
    "session/close": ("CloseSessionRequest", "CloseSessionResponse"),
    "session/list": ("ListSessionsRequest", "ListSessionsResponse"),
    "session/delete": ("DeleteSessionRequest", "DeleteSessionResponse"),
    "session/fork": ("ForkSessionRequest", "ForkSessionResponse"),
    "session/set_title": ("SetSessionTitleRequest", "SetSessionTitleResponse"),
    "session/set_mode": ("SetSessionModeRequest", "SetSessionModeResponse"),
    "session/set_config_option": (
        "SetSessionConfigOptionRequest",
        "SetSessionConfigOptionResponse",
    ),
    "session/prompt": ("PromptRequest", "PromptResponse"),
    "session/cancel": ("CancelNotification", None),
}

_CLIENT: dict[str, tuple[str, str | None]] = {
    "session/update": ("SessionNotification", None),
    "session/request_permission": ("RequestPermissionRequest", "RequestPermissionResponse"),
    "fs/read_text_file": ("ReadTextFileRequest", "ReadTextFileResponse"),
    "fs/write_text_file": ("WriteTextFileRequest", "WriteTextFileResponse"),
    "terminal/create": ("CreateTerminalRequest", "CreateTerminalResponse"),
    "terminal/output": ("TerminalOutputRequest", "TerminalOutputResponse"),
    "terminal/wait_for_exit": ("WaitForTerminalExitRequest", "WaitForTerminalExitResponse"),
    "terminal/kill": ("KillTerminalRequest", "KillTerminalResponse"),
    "terminal/release": ("ReleaseTerminalRequest", "ReleaseTerminalResponse"),
    "elicitation/create": ("CreateElicitationRequest", "CreateElicitationResponse"),
    "elicitation/complete": ("CompleteElicitationNotification", None),
}

_DECLARED = {"AGENT_METHODS": _AGENT, "CLIENT_METHODS": _CLIENT}


def params_type(method: str) -> type[object]:
    """The params type of an agent-side method; KeyError for any other name."""
    resolved: type[object] = getattr(schema, _AGENT[method][0])
    return resolved


def _resolve(declared: dict[str, tuple[str, str | None]]) -> MethodTable:
    return {
        method: (getattr(schema, params), getattr(schema, result) if result else None)
        for method, (params, result) in declared.items()
    }


def __getattr__(name: str) -> MethodTable:
    if name not in _DECLARED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    table = _resolve(_DECLARED[name])
    globals()[name] = table  # built once; later lookups skip this function
    return table


__all__ = ["AGENT_METHODS", "CLIENT_METHODS", "MethodTable", "params_type"]
