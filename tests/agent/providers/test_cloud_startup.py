"""The real `acp-server` with a cloud route as its model: boto3, botocore,
google-auth (and the Anthropic SDK) stay unloaded through `initialize` and the
first `session/new`, and the first prompt then loads them and streams the
answer from the local stand-in for the service."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from tests.agent.providers.cloud_servers import (
    CloudServer,
    anthropic_events,
    bedrock_stream,
    vertex_stream,
)
from tests.server.test_stdio_process import ACP_SERVER, Proc
from tests.support.fake_provider import closed_port

CLOUD_LIBRARIES = ("boto3", "botocore", "google", "google.auth", "cryptography", "anthropic")


async def spawn(home: Path, model: str, env: dict[str, str]) -> Proc:
    offline = {
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "GCE_METADATA_HOST": f"127.0.0.1:{closed_port()}",
        "NO_GCE_CHECK": "True",
    }
    process = await asyncio.create_subprocess_exec(
        ACP_SERVER,
        "--model",
        model,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home), **offline, **env},
    )
    return Proc(process)


def home_with(tmp_path: Path, provider: str, base_url: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "config.yaml").write_text(f"providers:\n  {provider}:\n    base_url: {base_url}\n")
    return home


def answer_text(proc: Proc) -> str:
    text = ""
    for line in proc.lines:
        frame = json.loads(line)
        update = frame.get("params", {}).get("update", {})
        if update.get("sessionUpdate") == "agent_message_chunk":
            text += update["content"].get("text", "")
    return text


async def first_session_then_prompt(
    tmp_path: Path, home: Path, model: str, env: dict[str, str]
) -> tuple[set[str], set[str], Proc, dict[str, object]]:
    dump = tmp_path / "modules.txt"
    proc = await spawn(home, model, {**env, "ACP_SERVER_DEBUG_MODULES": str(dump)})
    await proc.call("initialize", {"protocolVersion": 1})
    session = await proc.new_session(tmp_path)
    reply = await proc.call(
        "session/prompt",
        {"sessionId": session["sessionId"], "prompt": [{"type": "text", "text": "hi"}]},
    )
    _, err, code = await proc.finish()
    assert code == 0, err
    at_initialize = set(dump.read_text().split())
    at_session = set(Path(f"{dump}.session").read_text().split())
    return at_initialize, at_session, proc, reply


async def test_bedrock_libraries_load_only_with_the_first_prompt_which_streams_the_answer(
    tmp_path: Path,
) -> None:
    async with CloudServer() as cloud:
        cloud.enqueue(bedrock_stream(anthropic_events(text="hello from bedrock")))
        env = {
            "AWS_ACCESS_KEY_ID": "AKIATESTTESTTESTTEST",
            "AWS_SECRET_ACCESS_KEY": "test-secret-key-0123456789abcdef",
            "AWS_REGION": "eu-west-1",
        }
        home = home_with(tmp_path, "bedrock", cloud.base_url)
        model = "bedrock:us.anthropic.claude-haiku-4-5-20251001-v1:0"
        at_initialize, at_session, proc, reply = await first_session_then_prompt(
            tmp_path, home, model, env
        )
    for library in CLOUD_LIBRARIES:
        assert library not in at_initialize and library not in at_session, library
    assert "stopReason" in reply["result"]  # type: ignore[operator]
    assert answer_text(proc) == "hello from bedrock" and len(cloud.requests) == 1


async def test_vertex_libraries_load_only_with_the_first_prompt_which_streams_the_answer(
    tmp_path: Path,
) -> None:
    async with CloudServer() as cloud:
        cloud.enqueue(vertex_stream(anthropic_events(text="hello from vertex")))
        env = {
            "GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.test-token-for-startup",
            "CLOUD_ML_REGION": "us-east5",
            "ANTHROPIC_VERTEX_PROJECT_ID": "proj-1",
        }
        home = home_with(tmp_path, "vertex", cloud.base_url + "/v1")
        at_initialize, at_session, proc, reply = await first_session_then_prompt(
            tmp_path, home, "vertex:claude-haiku-4-5@20251001", env
        )
    for library in CLOUD_LIBRARIES:
        assert library not in at_initialize and library not in at_session, library
    assert "stopReason" in reply["result"]  # type: ignore[operator]
    assert answer_text(proc) == "hello from vertex" and len(cloud.requests) == 1
    assert cloud.requests[0].headers["authorization"] == "Bearer ya29.test-token-for-startup"


_FIRST_CALL = """
import asyncio, json, sys, time
from tests.agent.providers.cloud_servers import CloudServer, anthropic_events, bedrock_stream
from tests.agent.providers.test_providers import request
from agent.providers import ProviderConfig, open_model

async def main():
    gaps = []
    async def ticker():
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now
    async with CloudServer() as cloud:
        cloud.enqueue(bedrock_stream(anthropic_events(text="x")))
        config = ProviderConfig(base_url=cloud.base_url, region="eu-west-1")
        keys = {"AWS_ACCESS_KEY_ID": "AKIATESTTESTTESTTEST", "AWS_SECRET_ACCESS_KEY": "s" * 20}
        client = open_model("bedrock:m", {"bedrock": config}, env=keys)
        tick = asyncio.create_task(ticker())
        started = time.perf_counter()
        events = [e async for e in client.stream(request())]
        took = time.perf_counter() - started
        tick.cancel()
    assert "anthropic" in sys.modules and "botocore" in sys.modules and events
    print(json.dumps({"took": took, "gap": max(gaps)}))

asyncio.run(main())
"""


def test_the_first_bedrock_call_loads_its_libraries_without_freezing_the_event_loop(
    tmp_path: Path,
) -> None:
    """The SDK, boto3 and botocore's service model load in a worker thread: the
    loop (every other session's stream) keeps running. Built on the loop, the
    longest pause was the whole load (3.4-4.2 s of a 3.5-4.4 s first call)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(root),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_CALL],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["gap"] < figures["took"] / 2, figures


async def test_a_region_in_config_yaml_and_keys_in_dotenv_reach_bedrock_through_the_server(
    tmp_path: Path,
) -> None:
    async with CloudServer() as cloud:
        cloud.enqueue(bedrock_stream(anthropic_events(text="configured in files")))
        home = home_with(tmp_path, "bedrock", cloud.base_url)
        with (home / "config.yaml").open("a") as config:
            config.write("    region: ca-central-1\n")
        (home / ".env").write_text(
            "AWS_ACCESS_KEY_ID=AKIAFILESFILESFILES1\nAWS_SECRET_ACCESS_KEY=files-secret-012345\n"
        )
        os.chmod(home / ".env", 0o600)
        model = "bedrock:us.anthropic.claude-haiku-4-5-20251001-v1:0"
        _, _, proc, reply = await first_session_then_prompt(tmp_path, home, model, {})
    assert "stopReason" in reply["result"]  # type: ignore[operator]
    assert answer_text(proc) == "configured in files"
    auth = cloud.requests[0].headers["authorization"]
    assert "Credential=AKIAFILESFILESFILES1/" in auth and "/ca-central-1/bedrock/" in auth
