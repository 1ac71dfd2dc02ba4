"""`_acp_server/checkpoints` and `_acp_server/rewind`: checkpoints for editor plugins.

- `_acp_server/checkpoints {sessionId}` → `{turns: [{turn, prompt, startedAt,
  files, commandsRan, mcpToolsRan, checkpointsDropped}]}`, for any stored session.
- `_acp_server/rewind {sessionId, turn, conflicts?}` → `{restored, skipped,
  conflicts, failed, applied, undecided}` for a session open on this
  connection. Between turns there is no prompt to ask the user in, so files
  changed since the agent wrote them (and sensitive ones) are reported
  (`applied: false`, `undecided`) unless `conflicts` is `"skip"` or
  `"restore"`: the plugin asks in its own UI, then calls again.

Errors: -32602 for bad params, an unknown session or turn; -32600 when the
session's mode or rules refuse to change the files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from protocol import RpcError

if TYPE_CHECKING:
    from acp_server.server.handlers.base import ServerContext

METHODS = ("_acp_server/checkpoints", "_acp_server/rewind")
_CHOICES = {"report", "skip", "restore"}


def _session_id(params: object) -> str:
    session_id = params.get("sessionId") if isinstance(params, dict) else None
    if not isinstance(session_id, str) or not session_id:
        raise RpcError.invalid_params("sessionId must be a session id")
    return session_id


async def list_checkpoints(ctx: ServerContext, params: object) -> dict[str, object]:
    from acp_server.checkpoints.live import wire_listing
    from agent.fileio import off_loop

    session_id = _session_id(params)
    return {"sessionId": session_id, "turns": await off_loop(wire_listing, ctx.store, session_id)}


async def rewind(ctx: ServerContext, params: object) -> dict[str, object]:
    from acp_server.checkpoints import RewindError, RewindRefused
    from acp_server.checkpoints.live import wire_result

    session_id = _session_id(params)
    fields = params if isinstance(params, dict) else {}
    turn, choice = fields.get("turn"), fields.get("conflicts", "report")
    if not isinstance(turn, int) or isinstance(turn, bool) or turn < 1:
        raise RpcError.invalid_params("turn must be a turn number (1 or more)")
    if choice not in _CHOICES:
        raise RpcError.invalid_params(f"conflicts must be one of {', '.join(sorted(_CHOICES))}")
    session = ctx.sessions.get(session_id)
    if session is None:
        raise RpcError.invalid_params(
            f"unknown or inactive session {session_id!r}; call session/load first"
        )
    try:
        outcome = await session.rewind_outside(turn, choice)
    except RewindRefused as error:
        raise RpcError.invalid_request(str(error)) from None
    except RewindError as error:
        raise RpcError.invalid_params(str(error)) from None
    return wire_result(outcome)


__all__ = ["METHODS", "list_checkpoints", "rewind"]
