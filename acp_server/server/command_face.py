"""What the slash commands see of a session: `CommandHost` (commands.py),
over the session's parts. Built for the prompt that runs a command, so the
commands never hold the session itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from acp_server.server.session_notices import surfacing

if TYPE_CHECKING:
    from acp_server.checkpoints.live import Outcome
    from acp_server.server.checkpointing import Lent
    from acp_server.server.commands import Skill
    from acp_server.server.context import SessionContext
    from acp_server.server.outbound import UpdateSink
    from acp_server.server.turn_hold import TurnHold
    from agent import Engine, ToolInfo
    from agent.mcp import McpAttachment
    from agent.messages import Message


class FacedSession(Protocol):
    """What the face uses of its session (`Session` satisfies it)."""

    id: str
    ctx: SessionContext
    sink: UpdateSink
    turns: TurnHold
    grants: set[str]
    mcp: McpAttachment | None

    @property
    def model(self) -> str | None: ...

    @property
    def mode(self) -> str: ...

    @property
    def skills(self) -> list[Skill]: ...

    @property
    def engine(self) -> Engine: ...

    @property
    def messages(self) -> list[Message]: ...

    async def set_option(self, config_id: str, value: object) -> list[dict[str, object]]: ...

    def model_choices(self) -> list[str]: ...

    def lend(self) -> Lent: ...

    def rewound(self, outcome: Outcome) -> None: ...


class CommandFace:
    def __init__(self, session: FacedSession) -> None:
        self._session = session

    @property
    def model(self) -> str | None:
        return self._session.model

    @property
    def mode(self) -> str:
        return self._session.mode

    @property
    def skills(self) -> list[Skill]:
        return self._session.skills

    @property
    def grants(self) -> set[str]:
        return self._session.grants

    async def set_option(self, config_id: str, value: object) -> list[dict[str, object]]:
        return await self._session.set_option(config_id, value)

    def model_choices(self) -> list[str]:
        return self._session.model_choices()

    async def compact(self) -> bool:
        """`/compact`: its lifecycle goes out as it happens, in the form the
        client accepts; every update of it before the command's reply."""
        return await surfacing(self._session.sink, self._session.engine.compact)

    def context_usage(self) -> tuple[int, int]:
        return self._session.engine.context_usage()

    def message_count(self) -> int:
        return len(self._session.messages)

    def costs(self) -> tuple[float, float | None]:
        engine = self._session.engine
        return engine.session_cost_usd, engine.last_turn_cost_usd

    def tool_infos(self) -> list[ToolInfo]:
        return self._session.engine.tool_infos()

    def mcp_status(self) -> list[dict[str, object]]:
        from acp_server.server.mcp_specs import status_rows

        return status_rows(self._session.mcp)

    def clear_history(self) -> None:
        self._session.engine.clear()
        self._session.turns.save_history()

    async def checkpoint_listing(self) -> str:
        from acp_server.server.checkpointing import listing_reply

        return await listing_reply(self._session.ctx.store, self._session.id)

    async def rewind(self, turn: int | None) -> str:
        """`/rewind N` or `/undo` (None), inside the prompt that asked for it."""
        from acp_server.server.checkpointing import rewind_reply

        reply, outcome = await rewind_reply(self._session.lend(), turn)
        if outcome is not None and not outcome.cancelled:
            self._session.rewound(outcome)
        return reply

    async def fork_before(self, turn: int) -> str:
        from acp_server.server.checkpointing import fork_before

        session = self._session
        return fork_before(session.ctx.store, session.id, turn, session.messages)


__all__ = ["CommandFace", "FacedSession"]
