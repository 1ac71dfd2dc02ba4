# ruff: noqa: RUF001
"""Markdown tables from several `bench/run.py` result files: one row per figure,
each run's value (as a ratio to the floor of the same run where there is one),
the range, the target, and whether it is met in every run, in some, or in none.

    .venv/bin/python bench/summarise.py bench/results/final-*.json [--agent before]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Data = dict[str, dict[str, Any]]
Figure = tuple[str, Callable[[Data, str], float | None], str, Callable[[float], bool | None], str]


def _get(data: Data, agent: str, *path: str) -> float | None:
    node: Any = data.get(agent, {})
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return float(node)


def _vs_floor(*path: str) -> Callable[[Data, str], float | None]:
    def value(data: Data, agent: str) -> float | None:
        ours, floor = _get(data, agent, *path), _get(data, "floor", *path)
        return ours / floor if ours is not None and floor else None

    return value


def _sdk_over_ours(data: Data, agent: str) -> float | None:
    ours, sdk = (
        _get(data, agent, "cold_start", "ms", "median"),
        _get(data, "sdk", "cold_start", "ms", "median"),
    )
    return sdk / ours if ours and sdk is not None else None


def _fairness(data: Data, agent: str) -> float | None:
    """p50 in ms, or as a ratio to the floor's when the floor's is above 1 ms
    (then reported as a negative number of the ratio, see _fairness_ok)."""
    return _get(data, agent, "fairness", "p50_ms")


def _plain(*path: str) -> Callable[[Data, str], float | None]:
    return lambda data, agent: _get(data, agent, *path)


FIGURES: list[Figure] = [
    (
        "spawn → initialize",
        _vs_floor("cold_start", "ms", "median"),
        "{:.2f}×",
        lambda v: v <= 1.3,
        "≤ 1.3× floor",
    ),
    (
        "spawn → initialize, sdk's time over ours",
        _sdk_over_ours,
        "{:.1f}×",
        lambda v: v >= 5,
        "≥ 5×",
    ),
    (
        "peak RSS after initialize",
        _plain("cold_start", "rss_mb", "median"),
        "{:.1f} MB",
        lambda v: v <= 35,
        "≤ 35 MB",
    ),
    (
        "spawn → session/new",
        _vs_floor("first_session", "ms", "median"),
        "{:.2f}×",
        lambda v: v <= 1.5,
        "≤ 1.5× floor",
    ),
    (
        "session/new round trip p50",
        _vs_floor("latency", "p50_ms"),
        "{:.2f}×",
        lambda v: v <= 1.3,
        "≤ 1.3× floor",
    ),
    (
        "stream notifications/s",
        _vs_floor("streaming", "notes_per_s"),
        "{:.0%}",
        lambda v: v >= 0.7,
        "≥ 70% of floor",
    ),
    (
        "cancel → cancelled p50",
        _vs_floor("cancel", "ms", "median"),
        "{:.2f}×",
        lambda v: v <= 1.5,
        "≤ 1.5× floor",
    ),
    (
        "cancel → cancelled p50, ms",
        _plain("cancel", "ms", "median"),
        "{:.2f} ms",
        lambda v: None,
        "(context)",
    ),
    (
        "cancel during `stream 100000 20`, ms",
        _plain("cancel_stream", "ms"),
        "{:.1f} ms",
        lambda v: None,
        "does not wait for the stream",
    ),
    (
        "session/new while streaming p50",
        _fairness,
        "{:.2f} ms",
        lambda v: v <= 1.0,
        "≤ 1 ms (or ≤ 1.3× floor above 1 ms)",
    ),
    (
        "session/load, events/s",
        _plain("load", "events_per_s"),
        "{:,.0f}",
        lambda v: None,
        "within noise of before",
    ),
    (
        "first token, new session's first prompt",
        _plain("first_token", "fresh_first", "ratio", "median"),
        "{:.2f}×",
        lambda v: v <= 1.2,
        "≤ 1.2× direct SDK",
    ),
    (
        "first token, its second prompt",
        _plain("first_token", "fresh_later", "ratio", "median"),
        "{:.2f}×",
        lambda v: v <= 1.2,
        "≤ 1.2× direct SDK",
    ),
    (
        "first token, loaded 200-turn session, first prompt",
        _plain("first_token", "loaded_first", "ratio", "median"),
        "{:.2f}×",
        lambda v: v <= 1.2,
        "≤ 1.2× direct SDK",
    ),
    (
        "first token, loaded 200-turn session, next prompt",
        _plain("first_token", "loaded_later", "ratio", "median"),
        "{:.2f}×",
        lambda v: v <= 1.2,
        "≤ 1.2× direct SDK",
    ),
    (
        "RSS growth per idle session (100)",
        _plain("idle_sessions", "mb_per_idle_session"),
        "{:.4f} MB",
        lambda v: v <= 0.5,
        "≤ 0.5 MB",
    ),
    (
        "RSS growth, loaded 1,000-turn session / its SQLite size",
        _plain("loaded_history", "ratio_loaded"),
        "{:.2f}×",
        lambda v: v <= 2,
        "≤ 2×",
    ),
]


def fairness_ok(data: Data, agent: str) -> bool | None:
    ours, floor = _get(data, agent, "fairness", "p50_ms"), _get(data, "floor", "fairness", "p50_ms")
    if ours is None:
        return None
    return ours <= 1.0 or (floor is not None and floor > 1.0 and ours <= 1.3 * floor)


def table(runs: list[Data], agent: str) -> str:
    lines = [
        f"| figure | {' | '.join(f'run {n + 1}' for n in range(len(runs)))} | range | target | |",
        "|---|" + "---|" * (len(runs) + 3),
    ]
    for label, value, fmt, ok, target in FIGURES:
        values = [value(run, agent) for run in runs]
        if all(v is None for v in values):
            continue
        if label.startswith("session/new while streaming"):
            verdicts = [fairness_ok(run, agent) for run in runs]
        else:
            verdicts = [ok(v) if v is not None else None for v in values]
        known = [v for v in values if v is not None]
        spread = f"{fmt.format(min(known))} – {fmt.format(max(known))}"
        counted = [v for v in verdicts if v is not None]
        if ok(known[0]) is None:
            verdict = ""
        elif counted and all(counted):
            verdict = "met"
        elif not any(counted):
            verdict = "missed"
        else:
            verdict = f"met in {sum(counted)} of {len(counted)} runs"
        cells = " | ".join(fmt.format(v) if v is not None else "–" for v in values)
        lines.append(f"| {label} | {cells} | {spread} | {target} | {verdict} |")
    return "\n".join(lines)


def compare(before: list[Data], after: list[Data], agent: str, before_agent: str) -> str:
    """One row per figure: its range over the `before` runs and over the `after` runs."""
    lines = ["| figure | before | after | target |", "|---|---|---|---|"]
    for label, value, fmt, _ok, target in FIGURES:
        ranges = []
        for runs, who in ((before, before_agent), (after, agent)):
            known = [v for run in runs if (v := value(run, who)) is not None]
            ranges.append(
                f"{fmt.format(min(known))} – {fmt.format(max(known))} ({len(known)} runs)"
                if known
                else "–"
            )
        if ranges != ["–", "–"]:
            lines.append(f"| {label} | {ranges[0]} | {ranges[1]} | {target} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+")
    parser.add_argument("--agent", default="acp-server")
    parser.add_argument("--before", nargs="*", default=None, help="runs to compare against")
    parser.add_argument("--before-agent", default="acp-server")
    args = parser.parse_args()
    runs = [json.loads(Path(f).read_text())["results"] for f in args.files]
    if args.before is None:
        print(table(runs, args.agent))
        return
    before = [json.loads(Path(f).read_text())["results"] for f in args.before]
    print(compare(before, runs, args.agent, args.before_agent))


if __name__ == "__main__":
    main()
