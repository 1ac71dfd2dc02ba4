"""A session's turn across processes: taken before a prompt or a rewind, and
given back, with the turn's model history saved, once its reply is out.

`take` claims the turn (`claim_turn`, store/turnlock.py) and catches up with
the turns another process ran since: their model history, and their updates
shown to this editor (stored already, so sent without storing them again).
`close_out` saves the history and returns the claim. It runs right after the
reply (or first thing in the next turn, a rewind or `close`, whichever comes
first), not before it: the SQLite transaction and the claim's release cost a
cancel ~0.4 ms of its ~1 ms. A second process that wants the turn meanwhile
waits for the claim (`CLAIM_PATIENCE`) and then reads the saved history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from acp_server.server.checkpointing import SessionCheckpoints
    from acp_server.server.outbound import UpdateSink
    from acp_server.server.session_engine import SessionEngine
    from acp_server.store import SessionStore


class TurnHold:
    def __init__(
        self,
        store: SessionStore,
        session_id: str,
        live: SessionEngine,
        sink: UpdateSink,
        checkpoints: SessionCheckpoints,
    ) -> None:
        self._store = store
        self._session_id = session_id
        self._live = live
        self._sink = sink
        self._checkpoints = checkpoints
        self._open = False  # a prompt's turn whose close-out is still to come

    async def take(self) -> None:
        """Claim the turn, after closing out the last one if its reply's
        follow-up has not run yet (and sealing its checkpoint)."""
        from acp_server.server.context import stored_messages
        from acp_server.server.turn import claim_turn

        self.close_out()
        await self._checkpoints.settle()
        refresh = await claim_turn(self._store, self._session_id)
        if refresh is None:
            return
        try:
            self._live.adopt_history(stored_messages(refresh.messages))
            for payload in refresh.missed:
                await self._sink.send(msgspec.json.decode(payload), persist=False)
        except BaseException:
            self.give_back()
            raise

    def keep_until_close_out(self) -> None:
        """A prompt's turn: `close_out` saves its history and gives it back."""
        self._open = True

    def close_out(self) -> None:
        if not self._open:
            return
        self._open = False
        try:
            if self._live.built is not None:
                self.save_history()
        finally:
            self.give_back()

    def give_back(self) -> None:
        """Return the claim now (a rewind's turn, or a failed catch-up)."""
        self._store.end_turn(self._session_id)

    def save_history(self) -> None:
        # Only what is new since the last step is written (see store/history.py).
        self._store.save_history(self._session_id, self._live.engine.messages)


__all__ = ["TurnHold"]
