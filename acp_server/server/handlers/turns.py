"""session/prompt and session/cancel, and what changes a live session:
set_mode, set_config_option, the legacy set_model, and set_title.

An option change is answered first; its `current_mode_update` and
`config_option_update` follow the response (`AfterResponse`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from protocol import AfterResponse, RpcError

if TYPE_CHECKING:
    from acp_server.server.handlers.base import ServerContext
    from acp_server.server.session import Session
    from protocol import schema as acp


def active(ctx: ServerContext, session_id: str) -> Session:
    session = ctx.sessions.get(session_id)
    if session is None:
        raise RpcError.invalid_params(
            f"unknown or inactive session {session_id!r}; call session/load first"
        )
    return session


async def prompt(
    ctx: ServerContext, params: acp.PromptRequest
) -> dict[str, object] | AfterResponse:
    return await active(ctx, params.session_id).prompt(params)


async def cancel(ctx: ServerContext, params: acp.CancelNotification) -> None:
    session = ctx.sessions.get(params.session_id)
    if session is not None:
        session.cancel()


def _announcing(session: Session, result: dict[str, object], *changed: str) -> AfterResponse:
    async def then() -> None:
        for config_id in changed:
            await session.announce_option_change(config_id)

    return AfterResponse(result, then)


async def set_mode(ctx: ServerContext, params: acp.SetSessionModeRequest) -> AfterResponse:
    session = active(ctx, params.session_id)
    await session.set_option("mode", params.mode_id)
    return _announcing(session, {}, "mode")


async def set_config_option(
    ctx: ServerContext, params: acp.SetSessionConfigOptionRequest
) -> AfterResponse:
    session = active(ctx, params.session_id)
    require_offered(session.options(), params.config_id, params.value)
    if params.config_id == "model":
        require_sdk(ctx, params.value)
    options = await session.set_option(params.config_id, params.value)
    changed = ("mode",) if params.config_id == "mode" else ()
    return _announcing(session, {"configOptions": options}, *changed)


async def set_model(ctx: ServerContext, params: object) -> AfterResponse:
    """Legacy `session/set_model` (still sent by some clients): the same as
    setting the `model` config option, answered with an empty result."""
    fields = params if isinstance(params, dict) else {}
    session_id, model_id = fields.get("sessionId"), fields.get("modelId")
    if not isinstance(session_id, str) or not isinstance(model_id, str):
        raise RpcError.invalid_params("session/set_model needs string sessionId and modelId")
    session = active(ctx, session_id)
    require_offered(session.options(), "model", model_id)
    require_sdk(ctx, model_id)
    await session.set_option("model", model_id)
    return _announcing(session, {}, "model")


async def set_title(ctx: ServerContext, params: acp.SetSessionTitleRequest) -> dict[str, object]:
    """A client-set title, stored before the reply; setting it (not None)
    is what stops the first prompt from generating one."""
    title = " ".join(params.title.split())[:200]
    if not title:
        raise RpcError.invalid_params("title is empty")
    if ctx.store.get(params.session_id) is None:
        raise RpcError.resource_not_found(f"session {params.session_id}")
    session = ctx.sessions.get(params.session_id)
    if session is not None:
        session.title = title
    ctx.store.update_meta(params.session_id, title=title)
    return {"title": title}


def require_sdk(ctx: ServerContext, model: object) -> None:
    """A model whose provider's SDK is missing is refused when it is chosen
    (-32000 with the install command), as at session/new, not at the next prompt."""
    from acp_server.turn_failure import require_model_sdk

    if isinstance(model, str):
        require_model_sdk(model, ctx.engine_config().providers)


def require_offered(options: list[dict[str, object]], config_id: str, value: object) -> None:
    """A select option accepts only one of the values it offers: a typo'd model
    id is refused now (-32602), not on the next prompt."""
    option = next((o for o in options if o.get("id") == config_id), None)
    if option is None:
        raise RpcError.invalid_params(f"unknown config option {config_id!r}")
    offered = option.get("options")
    if option.get("type") == "select" and isinstance(offered, list):
        values = select_values(offered)
        if value not in values:
            raise RpcError.invalid_params(
                f"{value!r} is not a value of config option {config_id!r}; "
                f"offered: {', '.join(map(str, values))}"
            )


def select_values(offered: list[object]) -> list[object]:
    """The values of a select option, flat or grouped by provider (a group
    holds its own `options` list, as the schema's SessionConfigSelectGroup)."""
    values: list[object] = []
    for entry in offered:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("options"), list):
            values.extend(select_values(entry["options"]))
        elif "value" in entry:
            values.append(entry["value"])
    return values


__all__ = [
    "cancel",
    "prompt",
    "require_offered",
    "require_sdk",
    "select_values",
    "set_config_option",
    "set_mode",
    "set_model",
    "set_title",
]
