"""Printing `bench/run.py`'s results: one row per figure, a column per agent,
and each of our servers (`acp-server`, and `before` when measured) as a ratio
to the floor and to the sdk from the same run."""

from __future__ import annotations

from typing import Any

ROWS: list[tuple[str, tuple[str, ...]]] = [
    ("spawn -> initialize, median ms", ("cold_start", "ms", "median")),
    ("peak RSS after initialize, MB", ("cold_start", "rss_mb", "median")),
    ("spawn -> session/new, median ms", ("first_session", "ms", "median")),
    ("session/new round trip p50 ms", ("latency", "p50_ms")),
    ("session/new round trip p99 ms", ("latency", "p99_ms")),
    ("stream notifications / s", ("streaming", "notes_per_s")),
    ("cancel -> cancelled, median ms", ("cancel", "ms", "median")),
    ("session/new while streaming p50 ms", ("fairness", "p50_ms")),
    ("session/load replay, events / s", ("load", "events_per_s")),
    ("50 sessions streaming, notes / s", ("concurrency", "notes_per_s")),
]


def get(data: dict[str, Any], path: tuple[str, ...]) -> float | None:
    node: Any = data
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return float(node)


def report(results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    ours = [name for name in names if name in ("acp-server", "before")]
    head = f"{'figure':36}" + "".join(f"{n:>12}" for n in names)
    head += "".join(f"{n[:6] + '/floor':>13}{n[:6] + '/sdk':>11}" for n in ours)
    print(head)
    for label, path in ROWS:
        values = {name: get(results[name], path) for name in names}
        if all(v is None for v in values.values()):
            continue
        line = f"{label:36}" + "".join(
            f"{v:>12.3f}" if v is not None else f"{'-':>12}" for v in values.values()
        )
        floor, sdk = values.get("floor"), values.get("sdk")
        for name in ours:
            mine = values[name]
            line += f"{mine / floor if mine and floor else float('nan'):>12.2f}x"
            line += f"{mine / sdk if mine and sdk else float('nan'):>10.2f}x"
        print(line)
    for name in names:
        details(name, results[name])


def details(name: str, data: dict[str, Any]) -> None:
    spreads = [
        ("cold start ms", ("cold_start", "ms")),
        ("first session ms", ("first_session", "ms")),
        ("session/new p50 ms", ("latency",)),
        ("stream notifications/s", ("streaming",)),
        ("cancel ms", ("cancel", "ms")),
        ("session/new while streaming p50 ms", ("fairness",)),
        ("50 sessions notes/s", ("concurrency",)),
        ("session/load events/s", ("load",)),
    ]
    for label, path in spreads:
        figure = data
        for key in path:
            figure = figure.get(key, {})
        if "min" in figure:
            print(f"  {name}: {label} min {figure['min']:.3f}, max {figure['max']:.3f}")
    if "streaming" in data:
        print(f"  {name}: chunks in order: {data['streaming']['in_order']}")
    if "cancel" in data:
        print(f"  {name}: cancel stop reasons {data['cancel']['stop_reasons']}")
    for key in ("cancel_stream", "memory", "idle_sessions", "loaded_history"):
        if key in data:
            print(f"  {name}: {key}: {data[key]}")
    if "first_token" in data:
        ft = data["first_token"]
        print(f"  {name}: first token, first prompt of a process {ft['process_first_ms']}")
        for case in ("fresh_first", "fresh_later", "loaded_first", "loaded_later"):
            row = ft[case]
            print(
                f"  {name}: first token {case} ({row['messages']} messages): "
                f"{row['ratio']['median']:.2f}x the sdk "
                f"(min {row['ratio']['min']:.2f}, max {row['ratio']['max']:.2f}); "
                f"ours {row['ours_ms']['median']:.2f} ms, sdk {row['sdk_ms']['median']:.2f} ms"
            )
    if "scaling" in data:
        print(f"  {name} scaling (ms):")
        for what, rows in data["scaling"].items():
            print("    " + what + ": " + ", ".join(f"{k}: {v:.1f}" for k, v in rows.items()))
    if "concurrency" in data:
        c = data["concurrency"]
        print(f"  {name}: 50 sessions: in order {c['in_order']}, foreign chunks {c['foreign']}")
        if "streaming" in data:
            share = c["notes_per_s"] / data["streaming"]["notes_per_s"]
            print(f"  {name}: 50 sessions vs one stream: {share:.0%}")
