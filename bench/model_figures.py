"""Figures that need a real model provider or many sessions: first token and
per-session memory.

First token: acp-server runs with an OpenAI-compatible provider pointed at
`bench/model_server.py`, which answers at once. For each measured prompt we
time `session/prompt` -> the first `agent_message_chunk`, then fetch the exact
request body the server sent (`GET /last`) and replay it through the `openai`
SDK directly, with a client built and warmed before any timing, timing
`create()` -> the first text delta. The ratio is ours over that, prompt by
prompt, so both sides send the same messages and tools to the same server in
the same second. Each round is a fresh server process that first runs one
warm-up prompt (the SDK import, ~1 s, is paid once per process and is not what
a session's first prompt should cost), then measures:

- `fresh_first`: the first prompt of a new session;
- `fresh_later`: that session's second prompt;
- `loaded_first`: the first prompt of a stored 200-turn session after
  `session/load` (the history is built once, copied for each round, so every
  round loads exactly 200 turns);
- `loaded_later`: that session's next prompt.

Memory: VmRSS of the server process, before and after opening 100 idle
sessions (then after one turn in each), and before and after loading a
1,000-turn session, against that session's SQLite files.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from wire import Client, summary

HERE = Path(__file__).resolve().parent
HISTORY_TURNS = 200
QUESTION = "question {n}: what does the function on line {n} do, and should it be split? " * 3


class ModelServer:
    """`bench/model_server.py` as a subprocess."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}/v1"

    @classmethod
    async def start(cls) -> ModelServer:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "model_server.py"), stdout=asyncio.subprocess.PIPE
        )
        assert process.stdout
        line = await process.stdout.readline()
        return cls(process, int(line.split()[1]))

    def last_request(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/last") as reply:
            return dict(json.loads(reply.read()))

    async def stop(self) -> None:
        self.process.kill()
        await self.process.wait()


def model_argv(argv: list[str]) -> list[str]:
    """The server's command line with the bench provider's model."""
    return [argv[0], "--model", "bench:m"]


def write_config(home: Path, base_url: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(f"providers:\n  bench:\n    base_url: {base_url}\n")


async def first_chunk(client: Client, session: str, text: str) -> float:
    """session/prompt -> first agent_message_chunk of `session`, in ms (the turn
    is then awaited to its end)."""
    while not client.notes.empty():
        client.notes.get_nowait()
    start = time.perf_counter()
    future = client.send(
        "session/prompt", {"sessionId": session, "prompt": [{"type": "text", "text": text}]}
    )
    assert future is not None
    while True:
        params = (await asyncio.wait_for(client.notes.get(), 60))["params"]
        update = params["update"]
        if params["sessionId"] == session and update["sessionUpdate"] == "agent_message_chunk":
            elapsed = (time.perf_counter() - start) * 1000
            break
    reply = await asyncio.wait_for(future, 60)
    if "result" not in reply:
        raise RuntimeError(f"prompt failed: {reply}")
    return elapsed


async def sdk_first_chunk(sdk: Any, body: dict[str, Any]) -> float:
    """The same request through the SDK directly: create() -> first text delta, ms."""
    start = time.perf_counter()
    elapsed = None
    stream = await sdk.chat.completions.create(**body)
    async for chunk in stream:
        for choice in chunk.choices:
            if elapsed is None and choice.delta.content:
                elapsed = (time.perf_counter() - start) * 1000
    assert elapsed is not None
    return elapsed


async def build_history(argv: list[str], env: dict[str, str], cwd: str, turns: int) -> str:
    """A stored session of `turns` prompts and answers in env's home; its id."""
    client = await Client.started(model_argv(argv), env)
    session = await client.new_session(cwd)
    for n in range(turns):
        await first_chunk(client, session, QUESTION.format(n=n))
    await client.close()
    return session


async def first_token_round(
    argv: list[str], env: dict[str, str], cwd: str, model: ModelServer, sdk: Any, stored: str
) -> dict[str, Any]:
    client = await Client.started(model_argv(argv), env)
    warm = await client.new_session(cwd)
    process_first = await first_chunk(client, warm, "hello")
    out: dict[str, Any] = {"process_first_ms": process_first}

    async def pair(name: str, session: str, text: str) -> None:
        ours = await first_chunk(client, session, text)
        body = model.last_request()
        direct = await sdk_first_chunk(sdk, body)
        out[name] = {
            "ours_ms": ours,
            "sdk_ms": direct,
            "ratio": ours / direct,
            "messages": len(body["messages"]),
        }

    fresh = await client.new_session(cwd)
    await pair("fresh_first", fresh, "what is in this directory?")
    await pair("fresh_later", fresh, "and in the parent?")
    await client.call("session/load", {"sessionId": stored, "cwd": cwd, "mcpServers": []})
    await pair("loaded_first", stored, "summarise our conversation")
    await pair("loaded_later", stored, "and the first question?")
    await client.close()
    return out


async def first_token(
    argv: list[str], env: dict[str, str], cwd: str, rounds: int, turns: int = HISTORY_TURNS
) -> dict[str, Any]:
    import openai

    model = await ModelServer.start()
    try:
        base = Path(env["ACP_SERVER_HOME"]).parent / "first-token-home"
        shutil.rmtree(base, ignore_errors=True)
        write_config(base, model.base_url)
        stored = await build_history(argv, {**env, "ACP_SERVER_HOME": str(base)}, cwd, turns)
        sdk = openai.AsyncOpenAI(
            api_key="not-needed", base_url=model.base_url, max_retries=0, timeout=None
        )
        await sdk_first_chunk(sdk, {"model": "m", "messages": [], "stream": True})
        samples = []
        for index in range(rounds):
            home = base.parent / f"first-token-home-{index}"
            shutil.rmtree(home, ignore_errors=True)
            shutil.copytree(base, home)
            round_env = {**env, "ACP_SERVER_HOME": str(home)}
            samples.append(await first_token_round(argv, round_env, cwd, model, sdk, stored))
            shutil.rmtree(home, ignore_errors=True)
        await sdk.close()
    finally:
        await model.stop()
    result: dict[str, Any] = {"process_first_ms": summary([s["process_first_ms"] for s in samples])}
    for name in ("fresh_first", "fresh_later", "loaded_first", "loaded_later"):
        result[name] = {
            "ratio": summary([s[name]["ratio"] for s in samples]),
            "ours_ms": summary([s[name]["ours_ms"] for s in samples]),
            "sdk_ms": summary([s[name]["sdk_ms"] for s in samples]),
            "messages": samples[0][name]["messages"],
        }
    return result


async def idle_sessions(
    argv: list[str], env: dict[str, str], cwd: str, count: int
) -> dict[str, Any]:
    """VmRSS growth per open session: `count` new idle sessions, then one turn in each."""
    client = await Client.started(argv, env)
    warm = await client.new_session(cwd)
    await client.call(
        "session/prompt", {"sessionId": warm, "prompt": [{"type": "text", "text": "say hi"}]}
    )
    await asyncio.sleep(0.2)
    before = client.rss_kb("VmRSS")
    ids = [await client.new_session(cwd) for _ in range(count)]
    await asyncio.sleep(0.2)
    opened = client.rss_kb("VmRSS")
    for session in ids:
        await client.call(
            "session/prompt", {"sessionId": session, "prompt": [{"type": "text", "text": "say hi"}]}
        )
    await asyncio.sleep(0.2)
    prompted = client.rss_kb("VmRSS")
    await client.close()
    return {
        "rss_mb_before": before / 1024,
        "mb_per_idle_session": (opened - before) / 1024 / count,
        "mb_per_session_after_a_turn": (prompted - before) / 1024 / count,
    }


def store_bytes(home: Path) -> int:
    """The SQLite database with its WAL and any journal files, in bytes."""
    return sum(
        p.stat().st_size for p in home.iterdir() if p.is_file() and p.name.startswith("sessions")
    )


async def loaded_history(
    argv: list[str], env: dict[str, str], cwd: str, turns: int
) -> dict[str, Any]:
    """VmRSS growth for loading a `turns`-turn session, against its SQLite size."""
    home = Path(env["ACP_SERVER_HOME"]).parent / "history-memory-home"
    shutil.rmtree(home, ignore_errors=True)
    env = {**env, "ACP_SERVER_HOME": str(home)}
    writer = await Client.started(argv, env)
    session = await writer.new_session(cwd)
    text = "say " + "words of a longer answer " * 20
    for _ in range(turns):
        await writer.call(
            "session/prompt", {"sessionId": session, "prompt": [{"type": "text", "text": text}]}
        )
        while not writer.notes.empty():
            writer.notes.get_nowait()
    await writer.close()
    size = store_bytes(home)
    reader = await Client.started(argv, env)
    await reader.call("session/list", {})
    await asyncio.sleep(0.2)
    before = reader.rss_kb("VmRSS")
    await reader.call("session/load", {"sessionId": session, "cwd": cwd, "mcpServers": []})
    await asyncio.sleep(0.2)
    loaded = reader.rss_kb("VmRSS")
    await reader.call(
        "session/prompt", {"sessionId": session, "prompt": [{"type": "text", "text": "say hi"}]}
    )
    await asyncio.sleep(0.2)
    prompted = reader.rss_kb("VmRSS")
    await reader.close()
    shutil.rmtree(home, ignore_errors=True)
    mb = size / 1024 / 1024
    return {
        "sqlite_mb": mb,
        "rss_mb_before": before / 1024,
        "growth_mb_loaded": (loaded - before) / 1024,
        "growth_mb_after_a_turn": (prompted - before) / 1024,
        "ratio_loaded": (loaded - before) / 1024 / mb,
        "ratio_after_a_turn": (prompted - before) / 1024 / mb,
    }


__all__ = ["first_token", "idle_sessions", "loaded_history"]
