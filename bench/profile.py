"""Profile acp-server on one benchmark path with py-spy, attached to the running
process, and print the top functions by own and by inclusive samples.

    .venv/bin/pip install py-spy
    .venv/bin/python bench/profile.py cancel|roundtrip|stream|first_token [--top N]

Scenarios (each repeated enough for a few thousand samples):
- cancel: `session/cancel` during `wait 30`, 300 times;
- roundtrip: 20,000 sequential `session/new`;
- stream: one `stream 300000 20` prompt;
- first_token: 300 new sessions, one prompt each, against bench/model_server.py.

Idle samples (the event loop waiting in epoll) are not recorded, so the shares
are of the time the server was busy. Collapsed stacks go to
bench/results/profile-<scenario>.collapsed (not kept in git).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model_figures import ModelServer, first_chunk, model_argv, write_config
from wire import Client

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


async def cancel(client: Client, cwd: str) -> None:
    session = await client.new_session(cwd)
    for _ in range(300):
        future = client.send(
            "session/prompt",
            {"sessionId": session, "prompt": [{"type": "text", "text": "wait 30"}]},
        )
        await asyncio.sleep(0.005)
        client.send("session/cancel", {"sessionId": session}, notify=True)
        await asyncio.wait_for(future, 10)  # type: ignore[arg-type]


async def roundtrip(client: Client, cwd: str) -> None:
    for _ in range(20000):
        await client.call("session/new", {"cwd": cwd, "mcpServers": []})


async def stream(client: Client, cwd: str) -> None:
    session = await client.new_session(cwd)
    text = "stream 300000 20"
    await client.call(
        "session/prompt", {"sessionId": session, "prompt": [{"type": "text", "text": text}]}
    )


async def first_token(client: Client, cwd: str) -> None:
    for _ in range(300):
        session = await client.new_session(cwd)
        await first_chunk(client, session, "what is in this directory?")
        while not client.notes.empty():
            client.notes.get_nowait()


SCENARIOS: dict[str, Any] = {
    "cancel": cancel,
    "roundtrip": roundtrip,
    "stream": stream,
    "first_token": first_token,
}


def top(collapsed: Path, count: int) -> None:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = [f.split(" (")[0] + " (" + f.split(" (")[-1] for f in stack.split(";")]
        n = int(samples)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    print(f"{total} samples while busy")
    for title, counter in (("own", own), ("inclusive", inclusive)):
        print(f"top {count} by {title} samples:")
        for frame, n in counter.most_common(count):
            print(f"  {n / total:6.1%}  {frame}")


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--server", default=str(BIN / "acp-server"))
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="acp-profile-")
    env = {"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(Path(tmp) / "home")}
    argv = [args.server, "--model", "scripted"]
    model = None
    if args.scenario == "first_token":
        model = await ModelServer.start()
        write_config(Path(env["ACP_SERVER_HOME"]), model.base_url)
        argv = model_argv(argv)
    client = await Client.started(argv, env)
    if model is not None:  # the SDK import is paid once per process, not profiled
        await first_chunk(client, await client.new_session(tmp), "hello")
    out = ROOT / "bench" / "results" / f"profile-{args.scenario}.collapsed"
    spy = await asyncio.create_subprocess_exec(
        str(BIN / "py-spy"),
        "record",
        "--pid",
        str(client.process.pid),
        "--rate",
        "1000",
        "--format",
        "raw",
        "--output",
        str(out),
        "--nonblocking",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.sleep(1.0)  # py-spy attaches
    await SCENARIOS[args.scenario](client, tmp)
    spy.send_signal(2)
    await spy.wait()
    await client.close()
    if model is not None:
        await model.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    top(out, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
