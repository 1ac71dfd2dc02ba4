"""The live rewind's rules, against a plain session stand-in that records what
it was asked (the protocol-level tests drive the real server)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from acp_server.checkpoints import RewindError
from acp_server.checkpoints.live import render_listing, report, rewind, wire_result
from acp_server.checkpoints.restore import TextWriter
from acp_server.checkpoints.rewind import listing
from acp_server.store import SessionStore
from tests.checkpoints.support import new_session, run_turn


class Lent:
    """What a session lends a rewind, with the user's answer fixed in advance."""

    def __init__(
        self, store: SessionStore, roots: Sequence[str], *, mode: str, answer: str
    ) -> None:
        self.id = "s1"
        self.store = store
        self.mode = mode
        self.roots = tuple(roots)
        self.rules: tuple[Sequence[str], Sequence[str]] = ((), ())
        self.answer = answer
        self.asked: list[dict[str, object]] = []
        self.sent: list[tuple[dict[str, object], bool]] = []
        record = store.get("s1")
        assert record is not None
        self._history = record.messages
        self.writer: TextWriter | None = None

    @property
    def history(self) -> list[dict[str, object]]:
        return self._history

    def replace_history(self, messages: list[dict[str, object]]) -> None:
        self._history = messages

    async def send(self, update: dict[str, object], *, persist: bool = True) -> None:
        self.sent.append((update, persist))

    async def ask(self, tool_call: dict[str, object], options: list[dict[str, object]]) -> str:
        self.asked.append(tool_call)
        return self.answer


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    opened = SessionStore.open(tmp_path / "home" / "sessions.db")
    new_session(opened)
    yield opened  # type: ignore[misc]
    opened.close()


async def test_read_only_mode_refuses_a_rewind_that_changes_files(
    store: SessionStore, tmp_path: Path
) -> None:
    target = tmp_path / "a.txt"
    target.write_text("before")
    await run_turn(store, "t", [(str(target), "after")])
    with pytest.raises(RewindError):
        await rewind(Lent(store, [str(tmp_path)], mode="read-only", answer=""), 1)
    assert target.read_text() == "after" and len(listing(store, "s1")) == 1


async def test_a_conflict_is_asked_with_its_diff_and_skipping_keeps_the_edit(
    store: SessionStore, tmp_path: Path
) -> None:
    target = tmp_path / "a.txt"
    target.write_text("before\n")
    await run_turn(store, "t", [(str(target), "after\n")])
    target.write_text("user\n")
    lent = Lent(store, [str(tmp_path)], mode="ask", answer="skip")
    outcome = await rewind(lent, 1)
    assert target.read_text() == "user\n"
    [asked] = lent.asked
    shown = str(asked["content"])
    assert "-user" in shown and "+before" in shown
    assert all(persist is False for _, persist in lent.sent)  # the question is not replayed
    assert wire_result(outcome)["skipped"] == [str(target)] and lent.history == []
    assert "kept" in report(outcome)


async def test_cancel_changes_nothing(store: SessionStore, tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("before")
    await run_turn(store, "t", [(str(target), "after")])
    target.write_text("user")
    lent = Lent(store, [str(tmp_path)], mode="ask", answer="cancel")
    outcome = await rewind(lent, 1)
    assert outcome.cancelled and target.read_text() == "user"
    assert len(listing(store, "s1")) == 1 and len(lent.history) == 2


async def test_a_sensitive_path_asks_even_without_a_conflict(
    store: SessionStore, tmp_path: Path
) -> None:
    secret = tmp_path / ".env"
    secret.write_text("KEY=1")
    await run_turn(store, "t", [(str(secret), "KEY=2")])
    refused = Lent(store, [str(tmp_path)], mode="accept-edits", answer="cancel")
    assert (await rewind(refused, 1)).cancelled and secret.read_text() == "KEY=2"
    allowed = Lent(store, [str(tmp_path)], mode="accept-edits", answer="restore")
    await rewind(allowed, 1)
    assert secret.read_text() == "KEY=1" and len(allowed.asked) == 1


async def test_the_listing_says_where_commands_ran(store: SessionStore, tmp_path: Path) -> None:
    capture = await run_turn(store, "run the tests\nplease", [(str(tmp_path / "x"), "x")])
    capture.note_effects(commands=True)
    text = render_listing(listing(store, "s1"))
    assert "1. " in text and "run the tests" in text and "commands ran" in text
