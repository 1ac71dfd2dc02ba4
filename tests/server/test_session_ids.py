"""Session ids: distinct early, unique in a process, different across processes."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from acp_server.server.ids import scramble, session_id_source
from tests.server.harness import connect


def test_consecutive_session_ids_almost_never_share_their_first_four_characters() -> None:
    # Scrambled, two ids share four hex digits by chance (1 in 65,536 per
    # pair, ~1.5% over 1,000 pairs): more than a handful means no scramble.
    next_id = session_id_source()
    ids = [next_id()[5:9] for _ in range(1001)]
    shared = sum(a == b for a, b in itertools.pairwise(ids))
    assert shared <= 3, shared


def test_ten_thousand_session_ids_from_one_process_are_unique_and_well_formed() -> None:
    next_id = session_id_source()
    ids = [next_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"sess_[0-9a-f]{32}", i) for i in ids)


def test_two_processes_mint_different_ids_from_their_first_call() -> None:
    first, second = session_id_source(), session_id_source()
    assert first() != second()


def test_the_scramble_is_a_bijection_on_a_counter_range() -> None:
    values = {scramble(n) for n in range(1, 50_001)}
    assert len(values) == 50_000
    assert all(0 <= v < 2**64 for v in values)


async def test_sessions_opened_one_after_the_other_differ_early_in_their_ids(
    tmp_path: Path,
) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        ids = [await editor.new_session(tmp_path) for _ in range(3)]
    assert len(set(ids)) == 3
    for previous, current in itertools.pairwise(ids):
        assert previous[5:9] != current[5:9], (previous, current)
