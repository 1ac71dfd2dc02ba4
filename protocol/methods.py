"""Method tables: each ACP method with the types of its params and result.

`AGENT_METHODS` are handled by the agent (the client calls them);
`CLIENT_METHODS` are handled by the client. A result type of None marks a
notification.
"""

from __future__ import annotations

from typing import Any

from protocol import _generated as acp

MethodTable = dict[str, tuple[type[Any], type[Any] | None]]

AGENT_METHODS: MethodTable = {
    "initialize": (acp.InitializeRequest, acp.InitializeResponse),
    "authenticate": (acp.AuthenticateRequest, acp.AuthenticateResponse),
    "logout": (acp.LogoutRequest, acp.LogoutResponse),
    "session/new": (acp.NewSessionRequest, acp.NewSessionResponse),
    "session/load": (acp.LoadSessionRequest, acp.LoadSessionResponse),
    "session/resume": (acp.ResumeSessionRequest, acp.ResumeSessionResponse),
    "session/close": (acp.CloseSessionRequest, acp.CloseSessionResponse),
    "session/list": (acp.ListSessionsRequest, acp.ListSessionsResponse),
    "session/delete": (acp.DeleteSessionRequest, acp.DeleteSessionResponse),
    "session/fork": (acp.ForkSessionRequest, acp.ForkSessionResponse),
    "session/set_title": (acp.SetSessionTitleRequest, acp.SetSessionTitleResponse),
    "session/set_mode": (acp.SetSessionModeRequest, acp.SetSessionModeResponse),
    "session/set_config_option": (
        acp.SetSessionConfigOptionRequest,
        acp.SetSessionConfigOptionResponse,
    ),
    "session/prompt": (acp.PromptRequest, acp.PromptResponse),
    "session/cancel": (acp.CancelNotification, None),
}

CLIENT_METHODS: MethodTable = {
    "session/update": (acp.SessionNotification, None),
    "session/request_permission": (acp.RequestPermissionRequest, acp.RequestPermissionResponse),
    "fs/read_text_file": (acp.ReadTextFileRequest, acp.ReadTextFileResponse),
    "fs/write_text_file": (acp.WriteTextFileRequest, acp.WriteTextFileResponse),
    "terminal/create": (acp.CreateTerminalRequest, acp.CreateTerminalResponse),
    "terminal/output": (acp.TerminalOutputRequest, acp.TerminalOutputResponse),
    "terminal/wait_for_exit": (acp.WaitForTerminalExitRequest, acp.WaitForTerminalExitResponse),
    "terminal/kill": (acp.KillTerminalRequest, acp.KillTerminalResponse),
    "terminal/release": (acp.ReleaseTerminalRequest, acp.ReleaseTerminalResponse),
    "elicitation/create": (acp.CreateElicitationRequest, acp.CreateElicitationResponse),
    "elicitation/complete": (acp.CompleteElicitationNotification, None),
}
