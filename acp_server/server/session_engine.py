"""A session's engine and host, built on first use, and the state they hold.

A `session/new` reply needs only the session's mode, model and options, so
the engine and its host (the editor's fs and terminal, or local ones) wait
for the first prompt, option change or command that needs them. Until then
the stored `SessionState` answers every question about them; after, the
engine does. Building them here also keeps the imports of the proxies and the
engine off the first session's path.

Every request the host makes to the client goes through the session's sink,
ordered after what the engine emitted (`Engine.delivered`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from acp_server.server.options import checked_option, config_options, mode_state, model_choices

if TYPE_CHECKING:
    from acp_server.checkpoints.restore import TextWriter
    from acp_server.server.checkpointing import SessionCheckpoints
    from acp_server.server.context import SessionContext, SessionState
    from acp_server.server.outbound import UpdateSink
    from agent import Engine
    from agent.messages import Message
    from agent.ports import Host


class SessionEngine:
    def __init__(
        self,
        ctx: SessionContext,
        sink: UpdateSink,
        checkpoints: SessionCheckpoints,
        *,
        cwd: str,
        roots: tuple[str, ...],
        state: SessionState,
        grants: set[str],
        on_grants_change: Callable[[], None],
    ) -> None:
        self._ctx = ctx
        self._sink = sink
        self._checkpoints = checkpoints
        self._cwd = cwd
        self._roots = roots
        self._start = state
        self._grants = grants
        self._on_grants_change = on_grants_change
        self._engine: Engine | None = None
        self._host: Host | None = None
        self._editor_write: TextWriter | None = None
        # The client's `systemPrompt` (append mode): after our prompt and AGENTS.md.
        self._instructions: str | None = None

    @property
    def built(self) -> Engine | None:
        """The engine if something needed it yet, else None (no turn ever ran)."""
        return self._engine

    @property
    def host(self) -> Host:
        """The editor's fs and terminal where the client offers them, local
        ones otherwise, with checkpoint capture in front of the files."""
        if self._host is None:
            from acp_server.server.proxies import select_host

            caps = self._ctx.client_caps
            host = select_host(
                self._sink.request,
                self._sink.session_id,
                fs_read=caps.fs_read,
                fs_write=caps.fs_write,
                terminal=caps.terminal,
                client_timeout=self._ctx.config.timeouts.client_request,
                grants=self._grants,
                on_grants_change=self._on_grants_change,
                audit=self._ctx.audit,
                on_terminal_output=self._sink.terminal_output.__setitem__,
            )
            # Rewinds write back through the editor too, but are not captured.
            self._editor_write = host.files.write_text if caps.fs_write else None
            self._host = self._checkpoints.wrap(host)
        return self._host

    @property
    def editor_write(self) -> TextWriter | None:
        """The editor's own file writer (None: the files are local)."""
        _ = self.host  # built now if no prompt needed it yet
        return self._editor_write

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from agent import Engine

            start = self._start
            engine = Engine(
                self._ctx.engine_config(),
                self.host,
                cwd=self._cwd,
                roots=self._roots,
                mode=start.mode,
                model=start.model,
                messages=start.messages,
                tool_sources=(),
                session_cost_usd=start.cost_usd,
                instructions=self._instructions,
            )
            if start.thought_level:
                engine.thought_level = start.thought_level
            self._sink.order_after(engine.delivered)
            self._engine = engine
        return self._engine

    # ------------------------------------------------------------ state

    @property
    def mode(self) -> str:
        return self._engine.mode if self._engine is not None else self._start.mode

    @property
    def model(self) -> str | None:
        return self._engine.model if self._engine is not None else self._start.model

    @property
    def thought_level(self) -> str | None:
        if self._engine is not None:
            return self._engine.thought_level
        return self._start.thought_level

    @property
    def messages(self) -> list[Message]:
        if self._engine is not None:
            return self._engine.messages
        return list(self._start.messages or [])

    def append_instructions(self, text: str) -> None:
        self._instructions = text
        if self._engine is not None:
            self._engine.instructions = text

    def adopt_history(self, messages: list[Message]) -> None:
        """Continue from a history another process wrote."""
        if self._engine is not None:
            self._engine.messages[:] = messages
        else:
            self._start = self._start._replace(messages=messages)

    def replace_history(self, messages: Sequence[Mapping[str, object]]) -> None:
        """A rewind's cut history: the engine's own entries, the same objects."""
        from acp_server.server.context import stored_messages

        kept = stored_messages(list(messages))
        if self._engine is not None:
            self._engine.clear()  # also forgets the context size of the longer history
            self._engine.messages.extend(kept)
        else:
            self._start = self._start._replace(messages=kept)

    def reload_cost(self) -> None:
        if self._engine is not None:
            self._engine.session_cost_usd = self._ctx.store.cost_usd(self._sink.session_id)

    def cancel(self) -> None:
        if self._engine is not None:  # no engine: no turn ever ran
            self._engine.cancel()

    # ------------------------------------------------------------ options

    def model_choices(self) -> list[str]:
        return model_choices(self.model, self._ctx.config)

    def options(self) -> list[dict[str, object]]:
        return config_options(self.model, self.mode, self.thought_level, self._ctx.config)

    def modes(self) -> dict[str, object]:
        return mode_state(self.mode)

    def set_option(self, config_id: str, value: object) -> list[dict[str, object]]:
        """Check, apply and store one option; the options as they now are."""
        setting = checked_option(config_id, value)
        engine = self.engine
        if config_id == "mode":
            engine.mode = setting
        elif config_id == "model":
            engine.model = setting
        else:
            engine.thought_level = setting
        self._ctx.store.update_meta(
            self._sink.session_id,
            model=engine.model,
            mode=engine.mode,
            thought_level=engine.thought_level,
        )
        return self.options()


__all__ = ["SessionEngine"]
