"""What a client opted in to under `clientCapabilities.session`, and which
`session/update` kinds those opt-ins unlock.

Contract:
- `session.notices` and `session.compaction` count only as objects (`{}`, or
  one with `_meta`): the schema says omitted or `null` means unsupported, and a
  malformed value deserialises to the default, so `true`, `"yes"` or a list
  count as not opted in.
- `allows(opt_ins, kind)` is False for a `notice` without `notices` and for
  `compaction_update` / `compaction_summary_chunk` without `compaction`; True
  for every other kind. An agent MUST NOT send a gated kind to a client that
  did not opt in, live or in a replay.

Pure functions over plain values: the server reads the initialize params with
them, and the outbound path of each session asks `allows` before sending.
Loaded while answering `initialize`, so it imports nothing but `typing`.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

OptIn = Literal["notices", "compaction"]

# session/update kind -> the client opt-in it needs
GATED_KINDS: dict[str, OptIn] = {
    "notice": "notices",
    "compaction_update": "compaction",
    "compaction_summary_chunk": "compaction",
}


class SessionOptIns(NamedTuple):
    notices: bool = False
    compaction: bool = False

    def has(self, opt_in: OptIn) -> bool:
        return self.notices if opt_in == "notices" else self.compaction


def session_opt_ins(client_capabilities: object) -> SessionOptIns:
    """The opt-ins of an initialize request's `clientCapabilities`, leniently."""
    session = client_capabilities.get("session") if isinstance(client_capabilities, dict) else None
    if not isinstance(session, dict):
        return SessionOptIns()
    return SessionOptIns(
        notices=isinstance(session.get("notices"), dict),
        compaction=isinstance(session.get("compaction"), dict),
    )


def allows(opt_ins: SessionOptIns, kind: object) -> bool:
    """May an update of `kind` go to a client with these opt-ins?"""
    needed = GATED_KINDS.get(kind) if isinstance(kind, str) else None
    return needed is None or opt_ins.has(needed)


__all__ = ["GATED_KINDS", "OptIn", "SessionOptIns", "allows", "session_opt_ins"]
