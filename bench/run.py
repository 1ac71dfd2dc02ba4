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

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PY = sys.executable


def agents(home: str) -> dict[str, list[str]]:
    return {
        "acp-server": [str(BIN / "acp-server"), "--model", "scripted"],
        "sdk": [PY, str(ROOT / "bench" / "peers" / "sdk_agent.py")],
        "floor": [PY, str(ROOT / "bench" / "peers" / "floor_agent.py")],
    }


class Client:
    """Just enough NDJSON JSON-RPC to time an agent."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.ids = 0
        self.waiters: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.notes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.note_count = 0
        # Requests from the agent (fs/read_text_file, permission) -> result builders.
        self.serve: dict[str, Any] = {}
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def spawn(cls, argv: list[str], env: dict[str, str]) -> Client:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
            limit=1 << 30,
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout
        while line := await self.process.stdout.readline():
            msg = json.loads(line)
            if "id" in msg and "method" not in msg:
                future = self.waiters.pop(msg["id"], None)
                if future and not future.done():
                    future.set_result(msg)
            elif msg.get("method") == "session/update":
                self.note_count += 1
                self.notes.put_nowait(msg)
            elif "id" in msg and msg.get("method") in self.serve:
                result = self.serve[msg["method"]](msg["params"])
                reply = {"jsonrpc": "2.0", "id": msg["id"], "result": result}
                assert self.process.stdin
                self.process.stdin.write(json.dumps(reply).encode() + b"\n")

    def send(
        self, method: str, params: Any, notify: bool = False
    ) -> asyncio.Future[dict[str, Any]] | None:
        frame: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        future = None
        if not notify:
            self.ids += 1
            frame["id"] = self.ids
            future = asyncio.get_running_loop().create_future()
            self.waiters[self.ids] = future
        assert self.process.stdin
        self.process.stdin.write(json.dumps(frame).encode() + b"\n")
        return future

    @classmethod
    async def started(
        cls, argv: list[str], env: dict[str, str], capabilities: dict[str, Any] | None = None
    ) -> Client:
        """A spawned agent past `initialize`."""
        client = await cls.spawn(argv, env)
        params: dict[str, Any] = {"protocolVersion": 1}
        if capabilities is not None:
            params["clientCapabilities"] = capabilities
        await client.call("initialize", params)
        return client

    async def new_session(self, cwd: str, mcp_servers: list[Any] | None = None) -> str:
        reply = await self.call("session/new", {"cwd": cwd, "mcpServers": mcp_servers or []})
        return str(reply["result"]["sessionId"])

    async def call(self, method: str, params: Any) -> dict[str, Any]:
        future = self.send(method, params)
        assert future is not None
        return await asyncio.wait_for(future, 120)

    async def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self.reader.cancel()

    def rss_kb(self, field: str = "VmHWM") -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
        return 0


def summary(values: list[float], key: str = "median") -> dict[str, float]:
    """The median of repeated runs under `key`, with their min and max."""
    return {key: statistics.median(values), "min": min(values), "max": max(values)}


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


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}x" if theirs else "n/a"


async def rounds(
    table: dict[str, list[str]], names: list[str], count: int, measure: Any
) -> dict[str, list[Any]]:
    """`count` rounds, each measuring every named agent once in turn, so that a
    slow spell of the shared machine falls on all of them, not on one."""
    samples: dict[str, list[Any]] = {name: [] for name in names}
    for _ in range(count):
        for name in names:
            samples[name].append(await measure(table[name]))
    return samples


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke check)")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    # As an installed wheel would be: bytecode compiled, so no run pays for it.
    import compileall

    for package in ("acp_server", "agent", "protocol"):
        compileall.compile_dir(str(ROOT / package), quiet=2)
    quick = args.quick
    tmp = tempfile.mkdtemp(prefix="acp-bench-")
    env = {"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(Path(tmp) / "home")}
    table = agents(env["ACP_SERVER_HOME"])
    every, ours_and_floor = list(table), ["acp-server", "floor"]
    results: dict[str, dict[str, Any]] = {name: {} for name in table}
    wanted = set(
        args.only
        or ["cold_start", "first_session", "latency", "streaming", "cancel", "fairness", "load"]
    )

    if "cold_start" in wanted:
        runs = await rounds(table, every, 3 if quick else 10, lambda a: cold_start(a, env))
        for name, samples in runs.items():
            results[name]["cold_start"] = {
                "ms": summary([ms for ms, _ in samples]),
                "rss_mb": summary([rss for _, rss in samples]),
            }
    if "first_session" in wanted:
        runs = await rounds(table, every, 3 if quick else 10, lambda a: first_session(a, env, tmp))
        for name, samples in runs.items():
            results[name]["first_session"] = {"ms": summary(samples)}
    if "latency" in wanted:
        count = 50 if quick else 300
        runs = await rounds(table, every, 2 if quick else 5, lambda a: latency(a, env, tmp, count))
        for name, samples in runs.items():
            results[name]["latency"] = {
                **summary([run["p50_ms"] for run in samples], "p50_ms"),
                "p99_ms": statistics.median(run["p99_ms"] for run in samples),
            }
    if "streaming" in wanted:
        chunks = 2000 if quick else 10000
        runs = await rounds(
            table, every, 1 if quick else 5, lambda a: streaming(a, env, tmp, chunks, 20)
        )
        for name, samples in runs.items():
            results[name]["streaming"] = {
                **summary([run["notes_per_s"] for run in samples], "notes_per_s"),
                "in_order": all(run["in_order"] for run in samples),
            }
    if "fairness" in wanted:
        count = 20 if quick else 50
        runs = await rounds(
            table, ours_and_floor, 1 if quick else 3, lambda a: fairness(a, env, tmp, count)
        )
        for name, samples in runs.items():
            results[name]["fairness"] = summary([run["p50_ms"] for run in samples], "p50_ms")
    if "concurrency" in wanted:
        chunks = 100 if quick else 400
        runs = await rounds(
            table, ours_and_floor, 1 if quick else 3, lambda a: concurrency(a, env, tmp, 50, chunks)
        )
        for name, samples in runs.items():
            results[name]["concurrency"] = {
                **summary([run["notes_per_s"] for run in samples], "notes_per_s"),
                "in_order": all(run["in_order"] for run in samples),
                "foreign": sum(run["foreign"] for run in samples),
            }
    ours_argv = table["acp-server"]
    if "cancel" in wanted:
        for name in ours_and_floor:
            results[name]["cancel"] = await cancel_latency(
                table[name], env, tmp, 5 if quick else 20
            )
        results["acp-server"]["cancel_stream"] = await cancel_stream(ours_argv, env, tmp)
    if "memory" in wanted:
        results["acp-server"]["memory"] = await memory_growth(
            ours_argv, env, tmp, 100 if quick else 1000
        )
    if "scaling" in wanted:
        results["acp-server"]["scaling"] = await scaling(ours_argv, env, tmp)
    if "load" in wanted:
        events = 1000 if quick else 10000
        loads = [await load_replay(ours_argv, env, tmp, events) for _ in range(1 if quick else 3)]
        results["acp-server"]["load"] = {
            "events": loads[0]["events"],
            **summary([run["events_per_s"] for run in loads], "events_per_s"),
        }
    report(results)
    out = ROOT / "bench" / "results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "quick": args.quick,
                "results": results,
            },
            indent=2,
        )
    )
    print(f"\nwrote {out}")
    return 0


def report(results: dict[str, dict[str, Any]]) -> None:
    ours, sdk, floor = results["acp-server"], results["sdk"], results["floor"]
    print(
        f"{'figure':38} {'acp-server':>12} {'sdk':>12} {'floor':>12} {'vs floor':>9} {'vs sdk':>8}"
    )

    def row(label: str, a: float | None, b: float | None, c: float | None, unit: str = "") -> None:
        cells = [f"{v:.2f}{unit}" if v is not None else "-" for v in (a, b, c)]
        print(
            f"{label:38} {cells[0]:>12} {cells[1]:>12} {cells[2]:>12} {ratio(a, c) if a and c else '-':>9} {ratio(a, b) if a and b else '-':>8}"
        )

    def get(d: dict[str, Any], *path: str) -> float | None:
        for key in path:
            if not isinstance(d, dict) or key not in d:
                return None
            d = d[key]
        return float(d)  # type: ignore[arg-type]

    row(
        "spawn -> initialize, median ms",
        get(ours, "cold_start", "ms", "median"),
        get(sdk, "cold_start", "ms", "median"),
        get(floor, "cold_start", "ms", "median"),
    )
    row(
        "peak RSS after initialize, MB",
        get(ours, "cold_start", "rss_mb", "median"),
        get(sdk, "cold_start", "rss_mb", "median"),
        get(floor, "cold_start", "rss_mb", "median"),
    )
    row(
        "spawn -> session/new, median ms",
        get(ours, "first_session", "ms", "median"),
        get(sdk, "first_session", "ms", "median"),
        get(floor, "first_session", "ms", "median"),
    )
    row(
        "session/new round trip p50 ms",
        get(ours, "latency", "p50_ms"),
        get(sdk, "latency", "p50_ms"),
        get(floor, "latency", "p50_ms"),
    )
    row(
        "session/new round trip p99 ms",
        get(ours, "latency", "p99_ms"),
        get(sdk, "latency", "p99_ms"),
        get(floor, "latency", "p99_ms"),
    )
    row(
        "stream notifications / s",
        get(ours, "streaming", "notes_per_s"),
        get(sdk, "streaming", "notes_per_s"),
        get(floor, "streaming", "notes_per_s"),
    )
    row(
        "cancel -> cancelled, median ms",
        get(ours, "cancel", "ms", "median"),
        None,
        get(floor, "cancel", "ms", "median"),
    )
    row(
        "session/new while streaming p50 ms",
        get(ours, "fairness", "p50_ms"),
        None,
        get(floor, "fairness", "p50_ms"),
    )
    row("session/load replay, events / s", get(ours, "load", "events_per_s"), None, None)
    row(
        "50 sessions streaming, notes / s",
        get(ours, "concurrency", "notes_per_s"),
        None,
        get(floor, "concurrency", "notes_per_s"),
    )
    if "scaling" in ours:
        print("  acp-server scaling (ms):")
        for what, rows in ours["scaling"].items():
            print("    " + what + ": " + ", ".join(f"{k}: {v:.1f}" for k, v in rows.items()))
    if "cancel_stream" in ours:
        print(f"  acp-server cancel during stream 100000 20: {ours['cancel_stream']}")
    if "memory" in ours:
        print(f"  acp-server RSS growth: {ours['memory']}")
    if "concurrency" in ours:
        print(
            f"  acp-server 50 sessions: in order {ours['concurrency']['in_order']}, foreign chunks {ours['concurrency']['foreign']}"
        )
    if "concurrency" in ours and "streaming" in ours:
        share = ours["concurrency"]["notes_per_s"] / ours["streaming"]["notes_per_s"]
        print(f"  acp-server 50 sessions vs one stream: {share:.0%}")
    for name, data in results.items():
        spreads = [
            ("session/new p50 ms", data.get("latency", {}), "min", "max"),
            ("session/new while streaming p50 ms", data.get("fairness", {}), "min", "max"),
            ("50 sessions notes/s", data.get("concurrency", {}), "min", "max"),
            ("session/load events/s", data.get("load", {}), "min", "max"),
        ]
        for label, figure, low, high in spreads:
            if low in figure:
                print(f"  {name}: {label} min {figure[low]:.2f}, max {figure[high]:.2f}")
        if "cold_start" in data:
            ms = data["cold_start"]["ms"]
            print(f"  {name}: cold start min {ms['min']:.1f} ms, max {ms['max']:.1f} ms")
        if "streaming" in data:
            st = data["streaming"]
            print(
                f"  {name}: stream notifications/s min {st.get('min', 0):.0f}, max {st.get('max', 0):.0f};"
                f" chunks in order: {st['in_order']}"
            )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
