"""session/new, load, resume, fork, close, delete and list.

The response to new/load/resume/fork goes out before any update for that
session (`AfterResponse`: the command list follows it); `session/load`
replays the whole history before it answers; `session/resume` never replays.
"""

from __future__ import annotations

import base64
import binascii
import os
import time
from typing import TYPE_CHECKING

from acp_server.server.context import SessionState, stored_messages
from acp_server.server.handlers.lifecycle import DEBUG_MODULES, dump_modules
from protocol import AfterResponse, RpcError

if TYPE_CHECKING:
    from acp_server.server.handlers.base import ServerContext
    from acp_server.server.session import Session
    from acp_server.store import SessionRecord
    from protocol import schema as acp

PAGE_SIZE = 50
_MAX_CURSOR_CHARS = 64  # ours are about 20; SQLite offsets stop at 2**63 - 1


def normalise_cwd(cwd: str, what: str = "cwd") -> str:
    """An absolute path without NUL bytes, normalised; it need not exist yet.
    Checked before any reply: a NUL would otherwise fail later, in a file call."""
    if "\0" in cwd:
        raise RpcError.invalid_params(f"{what} must not contain a NUL byte, got {clip(cwd)}")
    if not os.path.isabs(cwd):
        raise RpcError.invalid_params(f"{what} must be an absolute path, got {clip(cwd)}")
    normal = os.path.normpath(cwd)
    return normal if normal == "/" else normal.rstrip("/")


def clip(text: str, limit: int = 80) -> str:
    """`text` for an error message: quoted, and cut when long (a client may send megabytes)."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def _system_prompt(ctx: ServerContext, value: acp.SystemPrompt | None) -> str | None:
    """The text to append, checked before anything is created, loaded or forked."""
    if value is None:
        return None  # the usual case: no need for the generated types
    from acp_server.system_prompt import FLAG, appended_text

    return appended_text(value, bool(ctx.features.get(FLAG)))


def _apply(session: Session, appended: str | None) -> None:
    if appended is not None:
        session.append_system_prompt(appended)


def opened(session: Session, extra: dict[str, object] | None = None) -> AfterResponse:
    result = {"modes": session.modes(), "configOptions": session.options(), **(extra or {})}
    return AfterResponse(result, session.announce)


async def _dump_modules_if_asked() -> None:
    # What a first session loaded before its reply (ACP_SERVER_DEBUG_MODULES).
    if DEBUG_MODULES:
        await dump_modules(".session")


async def new_session(ctx: ServerContext, params: acp.NewSessionRequest) -> AfterResponse:
    from acp_server.server.options import config_options, mode_state
    from acp_server.store import SessionRecord
    from acp_server.turn_failure import require_model_sdk

    cwd = normalise_cwd(params.cwd)
    appended = _system_prompt(ctx, params.system_prompt)
    opening = ctx.prepare_session(cwd, params.additional_directories, None)
    state = opening.state
    # A model that cannot work is refused now, not in the middle of a turn.
    require_model_sdk(state.model, ctx.engine_config().providers)
    session_id = ctx.next_session_id()
    ctx.store.create(
        SessionRecord(session_id, cwd, list(opening.roots[1:]), model=state.model, mode=state.mode)
    )
    ctx.flush_soon()
    specs = list(ctx.mcp_specs(params.mcp_servers, cwd))
    if specs:  # the reply waits for the MCP servers (up to mcp.connect_timeout)
        session = ctx.start_session(session_id, opening)
        _apply(session, appended)
        await session.attach_mcp(specs)
        await _dump_modules_if_asked()
        return opened(session, {"sessionId": session_id})
    await _dump_modules_if_asked()

    async def then() -> None:
        # Built while the client reads the reply, and before the next frame is
        # read: `then` starts in the same turn of the loop as the reply's write
        # (or one turn after it is queued), and a frame naming this session can
        # only come once the client has read the reply.
        session = ctx.start_session(session_id, opening)
        _apply(session, appended)
        await session.announce()

    options = config_options(state.model, state.mode, state.thought_level, opening.config)
    result = {"modes": mode_state(state.mode), "configOptions": options, "sessionId": session_id}
    return AfterResponse(result, then)


async def _restore(
    ctx: ServerContext,
    session_id: str,
    cwd: str,
    extra: list[str] | None,
    system_prompt: acp.SystemPrompt | None,
) -> Session:
    cwd = normalise_cwd(cwd)  # before the active session is closed
    appended = _system_prompt(ctx, system_prompt)
    record = ctx.store.get(session_id)
    if record is None:
        raise RpcError.resource_not_found(f"session {session_id}")
    if (active := ctx.sessions.pop(session_id, None)) is not None:
        await active.close()
    state = SessionState(
        model=record.model or ctx.config.model,
        mode=record.mode or ctx.config.permissions.default_mode,
        thought_level=record.thought_level,
        messages=stored_messages(record.messages),
        grants=record.grants,
        title=record.title,
        cost_usd=record.cost_usd,
    )
    session = ctx.open_session(session_id, cwd, extra if extra is not None else [], state)
    ctx.store.update_meta(session_id, cwd=session.cwd, additional_dirs=list(session.roots[1:]))
    _apply(session, appended)
    return session


async def load_session(ctx: ServerContext, params: acp.LoadSessionRequest) -> AfterResponse:
    session = await _restore(
        ctx, params.session_id, params.cwd, params.additional_directories, params.system_prompt
    )
    await session.attach_mcp(list(ctx.mcp_specs(params.mcp_servers, session.cwd)))
    await session.replay()  # the whole history, before the response
    return opened(session)


async def resume_session(ctx: ServerContext, params: acp.ResumeSessionRequest) -> AfterResponse:
    session = await _restore(
        ctx, params.session_id, params.cwd, params.additional_directories, params.system_prompt
    )
    await session.attach_mcp(list(ctx.mcp_specs(params.mcp_servers, session.cwd)))
    return opened(session)


async def fork_session(ctx: ServerContext, params: acp.ForkSessionRequest) -> AfterResponse:
    appended = _system_prompt(ctx, params.system_prompt)
    source = ctx.store.get(params.session_id)
    if source is None:
        raise RpcError.resource_not_found(f"session {params.session_id}")
    from msgspec.structs import replace

    if (active := ctx.sessions.get(params.session_id)) is not None:
        source = replace(source, messages=active.messages, mode=active.mode, model=active.model)
    before = _before_turn(params.field_meta)
    updates = None
    if before is not None:  # from before that turn (see docs/checkpoints.md)
        source, updates = _fork_start(ctx, source, before)
    new_id = ctx.next_session_id()
    cwd = normalise_cwd(params.cwd)
    record = replace(
        source,
        id=new_id,
        cwd=cwd,
        title=f"{source.title} (fork)" if source.title else None,
        created_at=0.0,
    )
    ctx.store.create(record)
    ctx.store.append_updates(
        new_id, updates if updates is not None else ctx.store.updates(params.session_id)
    )
    if before is not None:
        ctx.store.checkpoints.copy_turns(params.session_id, new_id, before)
    state = SessionState(
        model=record.model,
        mode=record.mode or ctx.config.permissions.default_mode,
        thought_level=record.thought_level,
        messages=stored_messages(record.messages),
        grants=record.grants,
        title=record.title,
    )
    session = ctx.open_session(new_id, cwd, params.additional_directories, state)
    _apply(session, appended)
    await session.attach_mcp(list(ctx.mcp_specs(params.mcp_servers, cwd)))
    return opened(session, {"sessionId": new_id})


def _before_turn(meta: dict[str, object] | None) -> int | None:
    """`_meta["acp-server"]["beforeTurn"]`: fork the conversation before that turn."""
    ours = meta.get("acp-server") if isinstance(meta, dict) else None
    turn = ours.get("beforeTurn") if isinstance(ours, dict) else None
    if turn is None:
        return None
    if not isinstance(turn, int) or isinstance(turn, bool) or turn < 1:
        raise RpcError.invalid_params("_meta.acp-server.beforeTurn must be a turn number")
    return turn


def _fork_start(
    ctx: ServerContext, source: SessionRecord, turn: int
) -> tuple[SessionRecord, list[bytes]]:
    from msgspec.structs import replace

    from acp_server.checkpoints import RewindError
    from acp_server.checkpoints.rewind import fork_start

    try:
        start = fork_start(ctx.store, source.id, turn, source.messages)
    except RewindError as error:
        raise RpcError.invalid_params(str(error)) from None
    return replace(source, messages=start.messages), start.updates


async def close_session(ctx: ServerContext, params: acp.CloseSessionRequest) -> dict[str, object]:
    session = ctx.sessions.pop(params.session_id, None)
    if session is not None:
        await session.close()
    return {}


async def delete_session(ctx: ServerContext, params: acp.DeleteSessionRequest) -> dict[str, object]:
    if (session := ctx.sessions.pop(params.session_id, None)) is not None:
        await session.close()
    ctx.store.delete(params.session_id)  # unknown ids succeed silently
    return {}


async def list_sessions(ctx: ServerContext, params: acp.ListSessionsRequest) -> dict[str, object]:
    offset = _cursor(params.cursor)
    cwd = normalise_cwd(params.cwd) if params.cwd else None
    records, next_offset = ctx.store.list(cwd=cwd, cursor=offset, limit=PAGE_SIZE)
    sessions = []
    for record in records:
        info: dict[str, object] = {
            "sessionId": record.id,
            "cwd": record.cwd,
            "updatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.updated_at)),
        }
        if record.title:
            info["title"] = record.title
        if record.additional_dirs:
            info["additionalDirectories"] = record.additional_dirs
        sessions.append(info)
    result: dict[str, object] = {"sessions": sessions}
    if next_offset is not None:
        result["nextCursor"] = base64.urlsafe_b64encode(f"offset:{next_offset}".encode()).decode()
    return result


def _cursor(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        if len(raw) > _MAX_CURSOR_CHARS:
            raise ValueError("too long")
        value = int(base64.urlsafe_b64decode(raw.encode()).decode().removeprefix("offset:"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise RpcError.invalid_params(f"invalid cursor {clip(raw)}") from None
    if not 0 <= value < 2**63:
        raise RpcError.invalid_params(f"invalid cursor {clip(raw)}")
    return value


__all__ = [
    "close_session",
    "delete_session",
    "fork_session",
    "list_sessions",
    "load_session",
    "new_session",
    "normalise_cwd",
    "resume_session",
]
