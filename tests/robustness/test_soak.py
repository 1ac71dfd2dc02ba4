"""The short soak: what `python -m tests.robustness.soak --minutes 30` runs, for 1,000 turns."""

from __future__ import annotations

import os

from tests.robustness.soak import run_soak


def test_continuous_turns_leak_no_memory_descriptors_threads_or_children() -> None:
    samples = run_soak(turns=1000, sample_every=100)
    assert [s.turn for s in samples] == list(range(100, 1001, 100))
    warm, last = samples[0], samples[-1]
    assert all(s.children == 0 for s in samples)  # every command reaped
    assert last.fds <= warm.fds  # no descriptor left open by a turn or a closed session
    assert all(s.journals <= 2 for s in samples)  # the current one, one being ingested
    # Main, the ingest thread, asyncio's default executor (grows to at most
    # min(32, cpus + 4) workers) and a watcher per running command: bounded,
    # where a thread leaked per turn or per session (20 here) would exceed it.
    bound = 2 + min(32, (os.cpu_count() or 1) + 4) + 1
    assert all(s.threads <= bound for s in samples)
    assert last.rss_kb <= warm.rss_kb * 1.5  # history is compressed; closed sessions freed
