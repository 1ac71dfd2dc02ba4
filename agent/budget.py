"""The session's spending limit (`EngineConfig.max_budget_usd`), checked before
each model request.

Contract: `budget_stop` returns None while the session may go on, and the
turn's stop message once it has spent its budget. Either way what the user
should know is emitted as a `Notice` (a warning), never as model text: a
stop is the turn's outcome, not something the agent said.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.events import Event, Notice


def budget_stop(budget: float | None, spent: float, emit: Callable[[Event], None]) -> str | None:
    if budget is None or spent < budget:
        return None
    emit(
        Notice(
            "warning",
            f"Session budget of ${budget:.2f} reached\n"
            f"Spent ${spent:.4f}; the turn stopped before its next model request. "
            "Raise the budget or start a new session to go on.",
        )
    )
    return f"Stopped: the session reached its budget of ${budget:.2f} (spent ${spent:.4f})."


__all__ = ["budget_stop"]
