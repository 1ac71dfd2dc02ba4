"""A failed turn fails the command, and usage is reported right: real
`acp-server` and `acp-client` processes against a local fake provider spoken
to by the real SDKs."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from acp_server.store import SessionStore
from tests.server.test_stdio_process import Proc
from tests.support.fake_provider import FakeProvider, error, mid_stream, openai_stream
from tests.support.hidden_package import hiding

BIN = Path(sys.executable).parent
KEY = "sk-proj-CLIFAILCLIFAIL0123456789abcd"
META_KEY = "acpServer.turnFailure"


def profile(tmp_path: Path, fake: FakeProvider | None, model: str = "openai:gpt-4.1") -> Path:
    home = tmp_path / "home"
    home.mkdir(mode=0o700, exist_ok=True)
    base = f"providers:\n  openai:\n    base_url: {fake.base_url}/v1\n" if fake else ""
    (home / "config.yaml").write_text(f"model: {model}\n{base}")
    return home


def environment(home: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "ACP_SERVER_HOME": str(home),
        "HOME": str(home.parent / "fake-home"),
        "OPENAI_API_KEY": KEY,
        **extra,
    }


def hiding_anthropic(tmp_path: Path, home: Path) -> dict[str, str]:
    return environment(
        home, **hiding("anthropic", tmp_path), ANTHROPIC_API_KEY="sk-ant-cli-0123456789"
    )


async def command(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def stored_updates(home: Path) -> list[dict[str, Any]]:
    store = SessionStore.open(home / "sessions.db")
    try:
        return [
            json.loads(payload)
            for record in store.list()[0]
            for payload in store.updates(record.id)
        ]
    finally:
        store.close()


async def test_run_exits_2_when_the_key_is_rejected_and_stores_a_failure_not_text(
    tmp_path: Path,
) -> None:
    async with FakeProvider() as fake:
        fake.enqueue(error(401, "invalid api key"))
        home = profile(tmp_path, fake)
        code, out, err = await command(
            environment(home), str(BIN / "acp-server"), "run", "--cwd", str(tmp_path), "hi"
        )
    assert code == 2, err
    assert out == "" and KEY not in err
    kinds = [u["sessionUpdate"] for u in stored_updates(home)]
    assert "agent_message_chunk" not in kinds
    assert any(META_KEY in u.get("_meta", {}) for u in stored_updates(home))


async def test_run_exits_1_when_the_provider_keeps_failing(tmp_path: Path) -> None:
    async with FakeProvider() as fake:
        fake.enqueue(*[error(503, "overloaded", headers={"retry-after": "0"}) for _ in range(4)])
        home = profile(tmp_path, fake)
        code, _, err = await command(
            environment(home), str(BIN / "acp-server"), "run", "--cwd", str(tmp_path), "hi"
        )
        assert code == 1, err
        assert len(fake.requests) == 4


async def test_run_completes_after_a_reset_mid_stream(tmp_path: Path) -> None:
    async with FakeProvider() as fake:
        fake.enqueue(
            mid_stream(openai_stream(text="cut short"), reset_after=3),
            openai_stream(text="complete"),
        )
        home = profile(tmp_path, fake)
        code, out, err = await command(
            environment(home), str(BIN / "acp-server"), "run", "--cwd", str(tmp_path), "hi"
        )
    assert code == 0, err
    assert out.endswith("complete") and "Retrying" in err


async def test_doctor_online_fails_when_the_round_trip_fails(tmp_path: Path) -> None:
    async with FakeProvider() as fake:
        fake.enqueue(error(401, "invalid api key"))
        home = profile(tmp_path, fake)
        code, out, _ = await command(
            environment(home), str(BIN / "acp-server"), "doctor", "--online", "--json"
        )
    online = next(c for c in json.loads(out) if c["check"] == "online")
    assert code == 1 and online["status"] == "fail"


async def test_acp_client_exec_exits_non_zero_when_the_turn_fails(tmp_path: Path) -> None:
    async with FakeProvider() as fake:
        fake.enqueue(error(401, "invalid api key"))
        home = profile(tmp_path, fake)
        code, _, err = await command(
            environment(home),
            str(BIN / "acp-client"),
            "exec",
            "hi",
            "--cwd",
            str(tmp_path),
            "--",
            str(BIN / "acp-server"),
        )
    assert code == 1, err


async def test_the_stdio_server_answers_a_failed_prompt_with_an_error_after_its_updates(
    tmp_path: Path,
) -> None:
    async with FakeProvider() as fake:
        fake.enqueue(
            mid_stream(openai_stream(text="partial"), reset_after=2),
            *[error(503, headers={"retry-after": "0"}) for _ in range(3)],
        )
        home = profile(tmp_path, fake)
        process = await asyncio.create_subprocess_exec(
            str(BIN / "acp-server"),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment(home),
        )
        proc = await Proc(process).started()
        session = (await proc.new_session(tmp_path))["sessionId"]
        prompt = {"sessionId": session, "prompt": [{"type": "text", "text": "hi"}]}
        request_id = await proc.send("session/prompt", prompt)
        reply = await proc.reply(request_id)  # type: ignore[arg-type]
        # Anything of the turn still in the pipe would be read now, after the reply.
        await proc.call("session/list", {})
        _, _, code = await proc.finish()
    frames = [json.loads(line) for line in proc.lines]
    at = frames.index(reply)
    assert reply["error"]["code"] == -32603 and code == 0
    late = [f for f in frames[at:] if f.get("method") == "session/update"]
    assert late == [], "an update of the failed turn went out after its response"
    assert any(
        f.get("method") == "session/update"
        and "Retrying" in json.dumps(f["params"]["update"].get("content", ""))
        for f in frames[:at]
    )


async def test_the_stdio_server_keeps_the_last_known_context_size_when_a_call_reports_none(
    tmp_path: Path,
) -> None:
    async with FakeProvider() as fake:
        fake.enqueue(
            openai_stream(text="one", usage=(1200, 34)), openai_stream(text="two", usage=None)
        )
        home = profile(tmp_path, fake)
        process = await asyncio.create_subprocess_exec(
            str(BIN / "acp-server"),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment(home),
        )
        proc = await Proc(process).started()
        session = (await proc.new_session(tmp_path))["sessionId"]
        for text in ("first", "second"):
            prompt = {"sessionId": session, "prompt": [{"type": "text", "text": text}]}
            assert (await proc.call("session/prompt", prompt))["result"]["stopReason"] == "end_turn"
        await proc.finish()
    usage = [
        (u["used"], u["size"])
        for f in map(json.loads, proc.lines)
        if f.get("method") == "session/update"
        and (u := f["params"]["update"])["sessionUpdate"] == "usage_update"
    ]
    assert usage == [(1234, 1_047_576), (1234, 1_047_576)]


async def test_a_missing_sdk_is_refused_when_the_model_is_chosen(tmp_path: Path) -> None:
    home = profile(tmp_path, None, model="anthropic:claude-haiku-4-5")
    env = hiding_anthropic(tmp_path, home)
    server = str(BIN / "acp-server")
    process = await asyncio.create_subprocess_exec(
        server,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    proc = await Proc(process).started()
    refused = await proc.call("session/new", {"cwd": str(tmp_path), "mcpServers": []})
    _, err, _ = await proc.finish()
    assert refused["error"]["code"] == -32000, refused
    assert "pip install anthropic" in refused["error"]["data"]["fix"]
    assert b"Traceback" not in err and b"ModuleNotFoundError" not in err

    set_code, _, _ = await command(env, server, "models", "set", "anthropic:claude-opus-4-1")
    run_code, _, run_err = await command(env, server, "run", "--cwd", str(tmp_path), "hi")
    doctor_code, doctor_out, _ = await command(env, server, "doctor", "--online", "--json")
    assert set_code == 2 and "claude-opus-4-1" not in (home / "config.yaml").read_text()
    assert run_code == 2 and "Traceback" not in run_err
    checks = {c["check"]: c for c in json.loads(doctor_out)}
    assert doctor_code == 1 and checks["online"]["status"] == "fail"
    assert "pip install anthropic" in checks["model"]["fix"]
