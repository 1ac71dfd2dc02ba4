"""CPU cost of the engine's streaming path: scripted model -> TextDelta event.

    .venv/bin/python bench/bench_engine.py [--deltas N] [--runs R]

One turn streams N text deltas from the offline scripted model through the
real engine (queue, turn task, history). We report process CPU microseconds
per delivered TextDelta (median over R runs, with min and max), and the same
figure for the layers underneath, so the engine's own share is visible:
the bare scripted provider, and the model client (retry, fallback and the
inactivity timeout) around it. The target is <= 20 us per delta for the whole
path; this prints the figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent import Engine, EngineConfig
from agent.events import TextDelta, ToolCallStarted, TurnFinished
from agent.localhost import AutoPermissionGate, LocalCommandRunner, LocalFileSystem
from agent.ports import Host, TextPart
from agent.providers import ModelRequest, StreamText, open_model
from agent.providers.scripted import ScriptedProvider

TARGET_US = 20.0


async def one_run(cwd: str, deltas: int) -> float:
    host = Host(AutoPermissionGate("approve"), LocalFileSystem(), LocalCommandRunner())
    engine = Engine(
        EngineConfig(compression_enabled=False), host, cwd=cwd, mode="yolo", model="scripted"
    )
    count = 0
    start = time.process_time()
    async for event in engine.submit([TextPart(f"stream {deltas} 16")]):
        if isinstance(event, TextDelta):
            count += 1
    elapsed = time.process_time() - start
    if count != deltas:
        raise SystemExit(f"expected {deltas} deltas, got {count}")
    return elapsed / count * 1e6


async def provider_run(deltas: int, *, with_client: bool) -> float:
    request = ModelRequest(
        model="scripted",
        system="",
        messages=[{"role": "user", "content": f"stream {deltas} 16"}],
        tools=(),
    )
    if with_client:
        stream = open_model("scripted", {}).stream(request)
    else:
        stream = ScriptedProvider().stream(request)
    start = time.process_time()
    count = sum([1 async for event in stream if isinstance(event, StreamText)])
    return (time.process_time() - start) / count * 1e6


class SilentEditor:
    """A permission prompt nobody answers."""

    async def request(self, request: object) -> str:
        await asyncio.Event().wait()
        return "reject_once"


async def cancel_latency(cwd: str, prompt: str, *, mode: str, gate: object) -> float:
    """Wall milliseconds from engine.cancel() to TurnFinished in the consumer."""
    host = Host(gate, LocalFileSystem(), LocalCommandRunner())  # type: ignore[arg-type]
    engine = Engine(EngineConfig(), host, cwd=cwd, mode=mode, model="scripted")
    started = asyncio.Event()
    finished = asyncio.Event()

    async def consume() -> None:
        async for event in engine.submit([TextPart(prompt)]):
            if isinstance(event, (TextDelta, ToolCallStarted)):
                started.set()
            if isinstance(event, TurnFinished):
                finished.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 10)
    await asyncio.sleep(0.2)  # let the command or prompt get under way
    begin = time.perf_counter()
    engine.cancel()
    await asyncio.wait_for(finished.wait(), 10)
    elapsed = (time.perf_counter() - begin) * 1000
    await task
    return elapsed


def line(label: str, figures: list[float]) -> str:
    return (
        f"{label:<34} {statistics.median(figures):7.2f} us CPU per text delta "
        f"(min {min(figures):.2f}, max {max(figures):.2f})"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deltas", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cwd:
        await one_run(cwd, 500)  # warm imports and caches
        figures = [await one_run(cwd, args.deltas) for _ in range(args.runs)]
    bare = [await provider_run(args.deltas, with_client=False) for _ in range(args.runs)]
    client = [await provider_run(args.deltas, with_client=True) for _ in range(args.runs)]
    median = statistics.median(figures)
    print(f"{args.runs} runs x {args.deltas} deltas of 16 characters")
    print(line("scripted provider alone", bare))
    print(line("model client around it", client))
    print(line("whole path to engine events", figures))
    with tempfile.TemporaryDirectory() as cwd:
        approve = AutoPermissionGate("approve")
        for label, prompt, mode, gate in (
            ("model stream", "say x\nwait 30", "yolo", approve),
            ("running command", "run sleep 30", "yolo", approve),
            ("permission prompt", "run sleep 30", "ask", SilentEditor()),
        ):
            ms = [await cancel_latency(cwd, prompt, mode=mode, gate=gate) for _ in range(3)]
            print(f"cancel during {label:<20} -> TurnFinished in {statistics.median(ms):6.1f} ms")
    engine_share = median - statistics.median(client)
    verdict = "met" if median <= TARGET_US else "NOT met"
    print(f"engine's own share ~{engine_share:.2f} us; target <= {TARGET_US:.0f} us: {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
