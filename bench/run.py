"""Benchmarks: our server beside the official SDK agent and the raw floor.

    .venv/bin/python bench/run.py [--quick] [--only NAME ...]

A hand-written NDJSON client (stdlib only, not our client library) drives each
agent as a real subprocess. Every figure is a median over fresh runs, printed
with min and max, and as a ratio to the peers measured in this same run.
Results also go to bench/results/latest.json. These are benchmarks, not tests:
nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model_figures import first_token, idle_sessions, loaded_history
from report import report
from wire import Client, summary

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PY = sys.executable


def agents(home: str) -> dict[str, list[str]]:
    return {
        "acp-server": [str(BIN / "acp-server"), "--model", "scripted"],
        "sdk": [PY, str(ROOT / "bench" / "peers" / "sdk_agent.py")],
        "floor": [PY, str(ROOT / "bench" / "peers" / "floor_agent.py")],
    }


async def cold_start(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Spawn -> initialize answered, in ms, and peak RSS right after it, in MB."""
    start = time.perf_counter()
    client = await Client.spawn(argv, env)
    await client.call("initialize", {"protocolVersion": 1, "clientCapabilities": {}})
    elapsed = (time.perf_counter() - start) * 1000
    rss = client.rss_kb() / 1024
    await client.close()
    return elapsed, rss


async def first_session(argv: list[str], env: dict[str, str], cwd: str) -> float:
    """Spawn -> session/new answered, in ms."""
    start = time.perf_counter()
    client = await Client.started(argv, env)
    await client.call("session/new", {"cwd": cwd, "mcpServers": []})
    elapsed = (time.perf_counter() - start) * 1000
    await client.close()
    return elapsed


async def latency(argv: list[str], env: dict[str, str], cwd: str, count: int) -> dict[str, Any]:
    client = await Client.started(argv, env)
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        await client.call("session/new", {"cwd": cwd, "mcpServers": []})
        samples.append((time.perf_counter() - start) * 1000)
    await client.close()
    samples.sort()
    return {"p50_ms": samples[len(samples) // 2], "p99_ms": samples[int(len(samples) * 0.99) - 1]}


async def streaming(
    argv: list[str], env: dict[str, str], cwd: str, chunks: int, size: int
) -> dict[str, Any]:
    client = await Client.started(argv, env)
    session = await client.new_session(cwd)
    start = time.perf_counter()
    await client.call(
        "session/prompt",
        {"sessionId": session, "prompt": [{"type": "text", "text": f"stream {chunks} {size}"}]},
    )
    elapsed = time.perf_counter() - start
    indices = []
    while not client.notes.empty():
        update = client.notes.get_nowait()["params"]["update"]
        if update.get("sessionUpdate") == "agent_message_chunk":
            indices.append(int(update["content"]["text"][:7]))
    await client.close()
    return {"notes_per_s": len(indices) / elapsed, "in_order": indices == list(range(chunks))}


async def cancel_latency(
    argv: list[str], env: dict[str, str], cwd: str, runs: int
) -> dict[str, Any]:
    client = await Client.started(argv, env)
    session = await client.new_session(cwd)
    samples, stops = [], set()
    for _ in range(runs):
        future = client.send(
            "session/prompt",
            {"sessionId": session, "prompt": [{"type": "text", "text": "wait 30"}]},
        )
        await asyncio.sleep(0.05)
        start = time.perf_counter()
        client.send("session/cancel", {"sessionId": session}, notify=True)
        reply = await asyncio.wait_for(future, 10)  # type: ignore[arg-type]
        samples.append((time.perf_counter() - start) * 1000)
        stops.add(reply["result"]["stopReason"])
    await client.close()
    return {"ms": summary(samples), "stop_reasons": sorted(stops)}


async def cancel_stream(argv: list[str], env: dict[str, str], cwd: str) -> dict[str, Any]:
    """session/cancel during `stream 100000 20`: the reply must not wait for the stream."""
    client = await Client.started(argv, env)
    session = await client.new_session(cwd)
    future = client.send(
        "session/prompt",
        {"sessionId": session, "prompt": [{"type": "text", "text": "stream 100000 20"}]},
    )
    while client.note_count < 2000:
        await asyncio.sleep(0.001)
    start = time.perf_counter()
    before = client.note_count
    client.send("session/cancel", {"sessionId": session}, notify=True)
    reply = await asyncio.wait_for(future, 60)  # type: ignore[arg-type]
    elapsed = (time.perf_counter() - start) * 1000
    after = client.note_count - before
    await client.close()
    return {
        "ms": elapsed,
        "stop_reason": reply["result"]["stopReason"],
        "chunks_after_cancel": after,
        "chunks_total": client.note_count,
    }


async def load_replay(
    argv: list[str], env: dict[str, str], cwd: str, events: int
) -> dict[str, Any]:
    """Store a session with `events` updates, then time session/load in a new process."""
    writer = await Client.started(argv, env)
    session = await writer.new_session(cwd)
    await writer.call(
        "session/prompt",
        {"sessionId": session, "prompt": [{"type": "text", "text": f"stream {events} 8"}]},
    )
    await writer.close()
    reader = await Client.started(argv, env)
    await reader.call("session/list", {})  # as an editor does first; also pays the one-time setup
    start = time.perf_counter()
    await reader.call("session/load", {"sessionId": session, "cwd": cwd, "mcpServers": []})
    elapsed = time.perf_counter() - start
    replayed = reader.note_count
    await reader.close()
    return {"events": replayed, "seconds": elapsed, "events_per_s": replayed / elapsed}


async def fairness(argv: list[str], env: dict[str, str], cwd: str, samples: int) -> dict[str, Any]:
    """session/new round trips while another session streams on the same connection."""
    client = await Client.started(argv, env)
    session = await client.new_session(cwd)
    streaming = client.send(
        "session/prompt",
        {"sessionId": session, "prompt": [{"type": "text", "text": "stream 200000 20"}]},
    )
    await asyncio.sleep(0.2)
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        await client.call("session/new", {"cwd": cwd, "mcpServers": []})
        times.append((time.perf_counter() - start) * 1000)
    client.send("session/cancel", {"sessionId": session}, notify=True)
    await asyncio.wait_for(streaming, 60)  # type: ignore[arg-type]
    await client.close()
    times.sort()
    return {"p50_ms": times[len(times) // 2], "max_ms": times[-1]}


async def memory_growth(
    argv: list[str], env: dict[str, str], cwd: str, turns: int
) -> dict[str, Any]:
    """RSS after 10 turns and after `turns` turns in one session (compression on)."""
    client = await Client.started(argv, env)
    session = await client.new_session(cwd)
    text = "say " + "words of a longer answer " * 20
    after_10 = 0
    for turn in range(turns):
        await client.call(
            "session/prompt", {"sessionId": session, "prompt": [{"type": "text", "text": text}]}
        )
        while not client.notes.empty():
            client.notes.get_nowait()
        if turn == 9:
            after_10 = client.rss_kb("VmRSS")
    after_all = client.rss_kb("VmRSS")
    await client.close()
    return {
        "rss_mb_after_10": after_10 / 1024,
        f"rss_mb_after_{turns}": after_all / 1024,
        "ratio": after_all / max(after_10, 1),
    }


async def concurrency(
    argv: list[str], env: dict[str, str], cwd: str, sessions: int, chunks: int
) -> dict[str, Any]:
    """`sessions` sessions streaming at once on one connection: throughput, order, cross-talk."""
    client = await Client.started(argv, env)
    ids = [await client.new_session(cwd) for _ in range(sessions)]
    while not client.notes.empty():
        client.notes.get_nowait()
    start = time.perf_counter()
    await asyncio.gather(
        *(
            client.call(
                "session/prompt",
                {"sessionId": sid, "prompt": [{"type": "text", "text": f"stream {chunks} 20"}]},
            )
            for sid in ids
        )
    )
    elapsed = time.perf_counter() - start
    per_session: dict[str, list[int]] = {sid: [] for sid in ids}
    foreign = 0
    while not client.notes.empty():
        params = client.notes.get_nowait()["params"]
        update = params["update"]
        if update.get("sessionUpdate") != "agent_message_chunk":
            continue
        if params["sessionId"] not in per_session:
            foreign += 1
            continue
        per_session[params["sessionId"]].append(int(update["content"]["text"][:7]))
    await client.close()
    in_order = all(v == list(range(chunks)) for v in per_session.values())
    total = sum(len(v) for v in per_session.values())
    return {"notes_per_s": total / elapsed, "in_order": in_order, "foreign": foreign}


async def scaling(argv: list[str], env: dict[str, str], cwd: str) -> dict[str, Any]:
    """How session/load, a prompt, a file read through the editor and MCP start-up
    grow with the size of the work."""
    table: dict[str, Any] = {
        "history_events": {},
        "prompt_bytes": {},
        "editor_file_bytes": {},
        "mcp_tools_session_new": {},
        "mcp_tools_call": {},
    }
    for events in (10, 100, 1000, 10000):
        table["history_events"][events] = (await load_replay(argv, env, cwd, events))[
            "seconds"
        ] * 1000

    async def timed_prompt(client: Client, session: str, text: str) -> float:
        start = time.perf_counter()
        reply = await client.call(
            "session/prompt", {"sessionId": session, "prompt": [{"type": "text", "text": text}]}
        )
        assert "result" in reply, reply
        elapsed = (time.perf_counter() - start) * 1000
        while not client.notes.empty():
            client.notes.get_nowait()
        return elapsed

    client = await Client.started(argv, env, {"fs": {"readTextFile": True}})
    session = await client.new_session(cwd)
    for size in (1_000, 100_000, 1_000_000, 10_000_000):
        table["prompt_bytes"][size] = await timed_prompt(client, session, "say " + "x" * size)
        await timed_prompt(client, session, "/clear")
    for size in (1_000, 100_000, 1_000_000, 10_000_000):
        content = ("y" * 79 + "\n") * (size // 80)
        client.serve["fs/read_text_file"] = lambda _params, text=content: {"content": text}
        table["editor_file_bytes"][size] = await timed_prompt(client, session, "read big.txt")
        await timed_prompt(client, session, "/clear")
    await client.close()

    def allow(params: dict[str, Any]) -> dict[str, Any]:
        option = next(o for o in params["options"] if o["kind"] == "allow_once")
        return {"outcome": {"outcome": "selected", "optionId": option["optionId"]}}

    server_script = str(ROOT / "bench" / "peers" / "many_tools_mcp.py")
    for tools in (1, 10, 100, 200):
        client = await Client.started(argv, env)
        client.serve["session/request_permission"] = allow
        mcp = {"name": "many", "command": PY, "args": [server_script, str(tools)], "env": []}
        start = time.perf_counter()
        session = await client.new_session(cwd, [mcp])
        table["mcp_tools_session_new"][tools] = (time.perf_counter() - start) * 1000
        call = 'mcp many tool_000 {"text": "hi"}'
        await timed_prompt(client, session, call)  # the first call also waits for tools/list
        table["mcp_tools_call"][tools] = await timed_prompt(client, session, call)
        await client.close()
    return table


async def rounds(
    table: dict[str, list[str]],
    envs: dict[str, dict[str, str]],
    names: list[str],
    count: int,
    measure: Any,
) -> dict[str, list[Any]]:
    """`count` rounds, each measuring every named agent once in turn, so that a
    slow spell of the shared machine falls on all of them, not on one."""
    samples: dict[str, list[Any]] = {name: [] for name in names}
    for _ in range(count):
        for name in names:
            samples[name].append(await measure(table[name], envs[name]))
    return samples


FIGURES = ["cold_start", "first_session", "latency", "streaming", "cancel", "fairness", "load"]
EXTRA = ["first_token", "sessions_memory", "concurrency", "memory", "scaling"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke check)")
    parser.add_argument("--only", nargs="*", default=None, choices=FIGURES + EXTRA)
    parser.add_argument(
        "--before",
        metavar="CHECKOUT",
        help="another checkout with its own .venv (e.g. the code before a change), "
        "measured as agent 'before' in the same rounds as acp-server",
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "latest.json"))
    return parser.parse_args()


async def main() -> int:
    args = parse_args()
    # As an installed wheel would be: bytecode compiled, so no run pays for it.
    import compileall

    checkouts = [ROOT] + ([Path(args.before).resolve()] if args.before else [])
    for checkout in checkouts:
        for package in ("acp_server", "agent", "protocol", "editor_clients"):
            if (checkout / package).is_dir():
                compileall.compile_dir(str(checkout / package), quiet=2)
    tmp = tempfile.mkdtemp(prefix="acp-bench-")
    table = agents(str(Path(tmp) / "home"))
    if args.before:
        table["before"] = [
            str(checkouts[1] / ".venv" / "bin" / "acp-server"),
            "--model",
            "scripted",
        ]
    # Each agent its own home: two versions of our server must not share a store.
    envs = {
        name: {"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(Path(tmp) / f"home-{name}")}
        for name in table
    }
    results: dict[str, dict[str, Any]] = {name: {} for name in table}
    await measure_all(table, envs, tmp, set(args.only or FIGURES), args.quick, results)
    report(results)
    out = Path(args.out)
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "quick": args.quick,
                "before": args.before,
                "load_average": os.getloadavg(),
                "results": results,
            },
            indent=2,
        )
    )
    print(f"\nwrote {out}")
    return 0


async def measure_all(
    table: dict[str, list[str]],
    envs: dict[str, dict[str, str]],
    tmp: str,
    wanted: set[str],
    quick: bool,
    results: dict[str, dict[str, Any]],
) -> None:
    every = list(table)
    ours = [name for name in table if name in ("acp-server", "before")]
    ours_and_floor = [*ours, "floor"]

    async def each(names: list[str], count: int, measure: Any) -> dict[str, list[Any]]:
        return await rounds(table, envs, names, count, measure)

    if "cold_start" in wanted:
        runs = await each(every, 3 if quick else 10, cold_start)
        for name, samples in runs.items():
            results[name]["cold_start"] = {
                "ms": summary([ms for ms, _ in samples]),
                "rss_mb": summary([rss for _, rss in samples]),
            }
    if "first_session" in wanted:
        runs = await each(every, 3 if quick else 10, lambda a, e: first_session(a, e, tmp))
        for name, samples in runs.items():
            results[name]["first_session"] = {"ms": summary(samples)}
    if "latency" in wanted:
        count = 50 if quick else 300
        runs = await each(every, 2 if quick else 5, lambda a, e: latency(a, e, tmp, count))
        for name, samples in runs.items():
            results[name]["latency"] = {
                **summary([run["p50_ms"] for run in samples], "p50_ms"),
                "p99_ms": statistics.median(run["p99_ms"] for run in samples),
            }
    if "streaming" in wanted:
        chunks = 2000 if quick else 10000
        runs = await each(every, 1 if quick else 5, lambda a, e: streaming(a, e, tmp, chunks, 20))
        for name, samples in runs.items():
            results[name]["streaming"] = {
                **summary([run["notes_per_s"] for run in samples], "notes_per_s"),
                "in_order": all(run["in_order"] for run in samples),
            }
    if "fairness" in wanted:
        count = 20 if quick else 50
        runs = await each(
            ours_and_floor, 1 if quick else 3, lambda a, e: fairness(a, e, tmp, count)
        )
        for name, samples in runs.items():
            results[name]["fairness"] = summary([run["p50_ms"] for run in samples], "p50_ms")
    if "concurrency" in wanted:
        chunks = 100 if quick else 400
        runs = await each(
            ours_and_floor, 1 if quick else 3, lambda a, e: concurrency(a, e, tmp, 50, chunks)
        )
        for name, samples in runs.items():
            results[name]["concurrency"] = {
                **summary([run["notes_per_s"] for run in samples], "notes_per_s"),
                "in_order": all(run["in_order"] for run in samples),
                "foreign": sum(run["foreign"] for run in samples),
            }
    if "cancel" in wanted:
        runs = await each(
            ours_and_floor, 1, lambda a, e: cancel_latency(a, e, tmp, 5 if quick else 20)
        )
        for name, samples in runs.items():
            results[name]["cancel"] = samples[0]
        runs = await each(ours, 1, lambda a, e: cancel_stream(a, e, tmp))
        for name, samples in runs.items():
            results[name]["cancel_stream"] = samples[0]
    if "load" in wanted:
        events = 1000 if quick else 10000
        runs = await each(ours, 1 if quick else 3, lambda a, e: load_replay(a, e, tmp, events))
        for name, loads in runs.items():
            results[name]["load"] = {
                "events": loads[0]["events"],
                **summary([run["events_per_s"] for run in loads], "events_per_s"),
            }
    if "first_token" in wanted:
        for name in ours:
            results[name]["first_token"] = await first_token(
                table[name], envs[name], tmp, 2 if quick else 5
            )
    if "sessions_memory" in wanted:
        runs = await each(ours, 1, lambda a, e: idle_sessions(a, e, tmp, 100))
        for name, samples in runs.items():
            results[name]["idle_sessions"] = samples[0]
        turns = 100 if quick else 1000
        runs = await each(ours, 1, lambda a, e: loaded_history(a, e, tmp, turns))
        for name, samples in runs.items():
            results[name]["loaded_history"] = samples[0]
    if "memory" in wanted:
        runs = await each(ours, 1, lambda a, e: memory_growth(a, e, tmp, 100 if quick else 1000))
        for name, samples in runs.items():
            results[name]["memory"] = samples[0]
    if "scaling" in wanted:
        results["acp-server"]["scaling"] = await scaling(
            table["acp-server"], envs["acp-server"], tmp
        )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
