"""How the session store's costs grow with history.

    .venv/bin/python bench/bench_store.py [--quick] [--tree DIR]

Three figures, each at several sizes, so the growth is visible:

- listing: `SessionStore.list()` (what `session/list` calls on the event loop)
  over 20 sessions, by the size of each session's model history;
- export: `acp-server sessions export --format md` and `sessions show` (stdout
  to /dev/null), in process, by the number of stored agent text chunks;
- persist: one model step's `update_meta(messages=...)` (what the server calls
  after every model call, on the event loop), by the size of the history.

Only API that older stores also have is used, so `--tree DIR` runs the same
figures against another checkout (for example an export of an earlier
commit) for a before/after table. Median of 3 (5 for persist) runs each, with
min and max. Prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _tree() -> Path:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parent.parent))
    args, _ = parser.parse_known_args()
    return Path(args.tree)


sys.path.insert(0, str(_tree()))

from acp_server.store import SessionRecord, SessionStore  # noqa: E402

SESSIONS = 20


def _timed(action: Callable[[], object], runs: int) -> tuple[float, float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples), max(samples)


def _history(total_bytes: int, message_bytes: int = 4096) -> list[dict[str, object]]:
    """Alternating user and assistant messages adding up to `total_bytes`."""
    count = max(1, total_bytes // message_bytes)
    return [
        {
            "role": "user" if i % 2 == 0 else "assistant",
            "content": f"{i:08d} " + "x" * message_bytes,
        }
        for i in range(count)
    ]


def bench_list(root: Path, sizes: list[int]) -> list[tuple[str, tuple[float, float, float]]]:
    rows = []
    for size in sizes:
        store = SessionStore.open(root / f"list-{size}" / "sessions.db")
        history = _history(size)
        for n in range(SESSIONS):
            store.create(SessionRecord(id=f"s{n}", cwd="/w"))
            store.update_meta(f"s{n}", messages=history)
        store.close()
        store = SessionStore.open(root / f"list-{size}" / "sessions.db")
        rows.append((_mb(size), _timed(functools.partial(store.list, limit=50), 3)))
        store.close()
    return rows


def _chunked_home(root: Path, chunks: int) -> tuple[Path, str]:
    home = root / f"export-{chunks}"
    home.mkdir(mode=0o700)
    store = SessionStore.open(home / "sessions.db")
    store.create(SessionRecord(id="s", cwd="/w", title="bench"))
    store.append_updates(
        "s",
        [
            b'{"sessionUpdate":"user_message_chunk","content":{"type":"text","text":"go"}}',
            *(
                b'{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"%07d chunk of text "}}'
                % i
                for i in range(chunks)
            ),
        ],
    )
    store.close()
    return home, "s"


def _cli(home: Path, *argv: str) -> None:
    from acp_server.cli import sessions

    os.environ["ACP_SERVER_HOME"] = str(home)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(io.StringIO()):
        sessions.main(["sessions", *argv])


def bench_export(root: Path, counts: list[int]) -> list[tuple[str, Any, Any]]:
    rows = []
    for chunks in counts:
        home, session = _chunked_home(root, chunks)
        out = str(home / "export.md")
        export_md = ("export", session, "--format", "md", "--out", out)
        export = _timed(functools.partial(_cli, home, *export_md), 3)
        show = _timed(functools.partial(_cli, home, "show", session), 3)
        rows.append((f"{chunks:,}", export, show))
    return rows


def bench_persist(root: Path, sizes: list[int]) -> list[tuple[str, tuple[float, float, float]]]:
    rows = []
    for size in sizes:
        store = SessionStore.open(root / f"persist-{size}" / "sessions.db")
        store.create(SessionRecord(id="s", cwd="/w"))
        history = _history(size)
        store.update_meta("s", messages=history)

        rows.append((_mb(size), _timed(functools.partial(_step, store, history), 5)))
        store.close()
    return rows


def _step(store: SessionStore, history: list[dict[str, object]]) -> None:
    """What the server does after a model call: the history, one message longer."""
    history.append({"role": "assistant", "content": "one more step"})
    store.update_meta("s", messages=history)


def _mb(size: int) -> str:
    return f"{size / 1e6:g} MB"


def _fmt(figure: tuple[float, float, float]) -> str:
    median, low, high = figure
    return f"{median:.2f} ms ({low:.2f}-{high:.2f})"


def main() -> None:
    quick = "--quick" in sys.argv
    history_sizes = [10_000, 100_000, 1_000_000] if quick else [10_000, 1_000_000, 10_000_000]
    chunk_counts = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    persist_sizes = [100_000, 1_000_000] if quick else [1_000_000, 10_000_000, 60_000_000]
    print(f"tree: {_tree()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(f"\nsession list of {SESSIONS} sessions, by history size per session")
        for label, figure in bench_list(root, history_sizes):
            print(f"  {label:>10}: {_fmt(figure)}")
        print("\nexport --format md and show, by agent text chunks")
        for label, export, show in bench_export(root, chunk_counts):
            print(f"  {label:>10}: export {_fmt(export)}; show {_fmt(show)}")
        print("\none model step's history persist, by history size")
        for label, figure in bench_persist(root, persist_sizes):
            print(f"  {label:>10}: {_fmt(figure)}")


if __name__ == "__main__":
    main()
