"""Every requirement, registered by the modules that define them: `req_wire`
(initialize, JSON-RPC, stdio), `req_session` (sessions) and `req_turn` (prompt
turns and what the agent does through the client), `req_cancel` (cancellation),
`req_setup` (auth, additional directories, robustness, registry checks),
`req_notices` (updates a client opts in to). Reported wire first."""

from __future__ import annotations

from editor_clients.conformance import (
    req_cancel,
    req_notices,
    req_session,
    req_setup,
    req_turn,
    req_wire,
)
from editor_clients.conformance.model import REQUIREMENTS, Requirement, advertised

_AREAS = [
    req_wire.__name__,
    req_setup.__name__,
    req_session.__name__,
    req_turn.__name__,
    req_notices.__name__,
    req_cancel.__name__,
]
REQUIREMENTS.sort(key=lambda r: _AREAS.index(r.run.__module__))

__all__ = ["REQUIREMENTS", "Requirement", "advertised"]
