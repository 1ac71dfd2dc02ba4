"""The cloud routes from the user's side: `setup-provider` writes what each
needs where the loader reads it, `doctor` checks each route in use, `models`
names every entry's provider and whether it answered, and settings kept in
`.env` reach the SDK client."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.agent.providers.cloud_servers import CloudServer, anthropic_events, bedrock_stream
from tests.agent.providers.test_cloud_routes import CLOUD_VARIABLES, offline_clouds
from tests.agent.providers.test_providers import collect, request, text_of
from tests.editor_clients.terminal_session import TerminalSession
from tests.support.fake_provider import FakeProvider, openai_models
from tests.support.hidden_package import hiding

ACP_SERVER = str(Path(sys.executable).with_name("acp-server"))
__all__ = ["offline_clouds"]  # the fixture applies here too (autouse)


def run(
    home: Path, *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    fake_home = home.parent / "fake-home"
    environment = {
        "PATH": os.environ["PATH"],
        "ACP_SERVER_HOME": str(home),
        "HOME": str(fake_home),
        "AWS_CONFIG_FILE": str(fake_home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(fake_home / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **(env or {}),
    }
    return subprocess.run(
        [ACP_SERVER, *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=environment,
        timeout=120,
        check=False,
    )


def config_of(home: Path) -> dict[str, object]:
    loaded = yaml.safe_load((home / "config.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


# ------------------------------------------------------------------ setup-provider


def test_setup_provider_writes_a_bedrock_region_and_profile_and_makes_it_the_default(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    args = ("--provider", "bedrock", "--region", "eu-central-1", "--aws-profile", "work")
    done = run(home, "setup-provider", *args)
    assert done.returncode == 0, done.stderr
    config = config_of(home)
    assert config["providers"] == {"bedrock": {"region": "eu-central-1", "profile": "work"}}
    assert str(config["model"]).startswith("bedrock:") and not (home / ".env").exists()


def test_setup_provider_stores_a_bedrock_access_key_only_in_the_private_env_file(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    secret = "bedrock-secret-0123456789abcdefghij"
    done = run(
        home,
        "setup-provider",
        "--provider",
        "bedrock",
        "--region",
        "us-west-2",
        "--aws-keys",
        stdin=f"AKIASETUPSETUPSETUP1\n{secret}\n",
    )
    assert done.returncode == 0, done.stderr
    dotenv = (home / ".env").read_text()
    assert dotenv == f"AWS_ACCESS_KEY_ID=AKIASETUPSETUPSETUP1\nAWS_SECRET_ACCESS_KEY={secret}\n"
    assert stat.S_IMODE((home / ".env").stat().st_mode) == 0o600
    assert secret not in done.stdout and secret not in (home / "config.yaml").read_text()
    shown = run(home, "config", "show")
    assert secret not in shown.stdout and "us-west-2" in shown.stdout


def test_setup_provider_for_vertex_without_a_terminal_names_the_missing_flag(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    done = run(home, "setup-provider", "--provider", "vertex", "--region", "us-east5")
    assert done.returncode == 2 and "--project" in done.stderr
    assert not (home / "config.yaml").exists()


def test_setup_provider_records_a_vertex_key_file_by_its_absolute_path(tmp_path: Path) -> None:
    home = tmp_path / "home"
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "service_account", "project_id": "p"}))
    args = ("--provider", "vertex", "--region", "us-east5", "--project", "proj-9")
    done = run(home, "setup-provider", *args, "--credentials-file", str(key))
    assert done.returncode == 0, done.stderr
    assert config_of(home)["providers"] == {"vertex": {"region": "us-east5", "project": "proj-9"}}
    assert (home / ".env").read_text() == f"GOOGLE_APPLICATION_CREDENTIALS={key}\n"
    broken = run(home, "setup-provider", *args, "--credentials-file", str(tmp_path / "none.json"))
    assert broken.returncode == 2 and "none.json" in broken.stderr


# ------------------------------------------------------------------ doctor


def doctor_rows(home: Path, env: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    done = run(home, "doctor", "--json", env=env)
    return {row["check"]: row for row in json.loads(done.stdout)}


def test_doctor_checks_a_bedrock_route_for_credentials_without_calling_aws(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    run(home, "setup-provider", "--provider", "bedrock", "--region", "eu-west-1")
    bare = doctor_rows(home)["cloud:bedrock"]
    assert bare["status"] == "warn" and "AWS_ACCESS_KEY_ID" in bare["fix"]
    assert "eu-west-1" in bare["detail"]
    (home / ".env").write_text("AWS_ACCESS_KEY_ID=AKIADOCTORDOCTOR0001\nAWS_SECRET_ACCESS_KEY=s\n")
    os.chmod(home / ".env", 0o600)
    keyed = doctor_rows(home)["cloud:bedrock"]
    assert keyed["status"] == "ok" and "access key" in keyed["detail"]


def test_doctor_fails_a_vertex_route_without_a_project_or_without_google_auth(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "config.yaml").write_text("providers:\n  vertex:\n    region: us-east5\n")
    no_project = doctor_rows(home)["cloud:vertex"]
    assert no_project["status"] == "fail" and "ANTHROPIC_VERTEX_PROJECT_ID" in no_project["fix"]
    (home / "config.yaml").write_text(
        "providers:\n  vertex:\n    region: us-east5\n    project: p\n"
    )
    hidden = doctor_rows(home, env=hiding("google", tmp_path))["cloud:vertex"]
    assert hidden["status"] == "fail" and "pip install 'anthropic[vertex]'" in hidden["fix"]


# ------------------------------------------------------------------ models


async def test_models_names_each_entrys_provider_and_whether_it_answered_static_rows_too(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    async with FakeProvider() as fake:
        fake.listings["/v1/models"] = openai_models("gpt-4.1")
        (home / "config.yaml").write_text(
            f"providers:\n  openai:\n    base_url: {fake.base_url}/v1\n"
            "  bedrock:\n    region: eu-west-1\n"
        )
        env = {"OPENAI_API_KEY": "sk-test-models-0001", "AWS_ACCESS_KEY_ID": "AKIAMODELSMODELS0001"}
        # In the background: the fake listing answers from this event loop.
        done = await asyncio.to_thread(run, home, "models", "--json", env=env)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    static = {r["id"]: r for r in rows if r["id"] == "openai:gpt-4o"}["openai:gpt-4o"]
    assert static["provider"] == "openai" and static["reachable"] is True
    claude = next(r for r in rows if r["id"] == "anthropic:claude-haiku-4-5")
    assert claude["provider"] == "anthropic" and claude["reachable"] is None
    assert not claude["key_configured"]
    bedrock = [r for r in rows if r["provider"] == "bedrock"]
    assert bedrock and all(r["key_configured"] for r in bedrock)
    assert all(r["reachable"] is None for r in bedrock)


# ------------------------------------------------------------------ .env to the client


async def test_an_access_key_and_region_kept_in_dotenv_reach_the_bedrock_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from acp_server.config import load_config, provider_configs
    from agent.providers import RetryPolicy, open_model

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    async with CloudServer() as cloud:
        (home / "config.yaml").write_text(
            f"providers:\n  bedrock:\n    base_url: {cloud.base_url}\n"
        )
        (home / ".env").write_text(
            "AWS_ACCESS_KEY_ID=AKIADOTENVDOTENV0001\n"
            "AWS_SECRET_ACCESS_KEY=dotenv-secret-0123456789\nAWS_REGION=ap-south-1\n"
        )
        os.chmod(home / ".env", 0o600)
        for name in CLOUD_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        configs = provider_configs(load_config(home))
        cloud.enqueue(bedrock_stream(anthropic_events(text="from dotenv")))
        client = open_model(
            "bedrock:anthropic.claude-haiku-4-5-20251001-v1:0",
            configs,
            retry=RetryPolicy(max_attempts=1),
        )
        events = await collect(client, request())
    assert text_of(events) == "from dotenv"
    auth = cloud.requests[0].headers["authorization"]
    assert "Credential=AKIADOTENVDOTENV0001/" in auth and "/ap-south-1/bedrock/" in auth


# ------------------------------------------------------------------ on a terminal


def _terminal_setup(tmp_path: Path) -> TerminalSession:
    return TerminalSession(
        [ACP_SERVER, "setup-provider"],
        env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(tmp_path / "home")},
        cwd=str(tmp_path),
    )


def _pick(prompt: TerminalSession, provider: str) -> int:
    end = prompt.expect(rf"(\d+)\. {provider} ")
    number = prompt.plain()[:end].rsplit("\n", 1)[-1].split(".")[0].strip()
    end = prompt.expect("Provider number: ")
    prompt.send(number + "\r")
    return end


def test_on_a_terminal_bedrock_setup_asks_the_region_and_a_profile(tmp_path: Path) -> None:
    prompt = _terminal_setup(tmp_path)
    try:
        end = _pick(prompt, "bedrock")
        end = prompt.expect(r"AWS region \[us-east-1\]: ", after=end)
        prompt.send("\r")  # the suggestion
        end = prompt.expect("Credentials: ", after=end)
        prompt.send("7\r")  # not a choice: asked again
        end = prompt.expect("Credentials: ", after=end)
        prompt.send("1\r")
        prompt.expect("Profile name: ", after=end)
        prompt.send("work\r")
        assert prompt.wait() == 0
    finally:
        prompt.close()
    providers = config_of(tmp_path / "home")["providers"]
    assert providers == {"bedrock": {"region": "us-east-1", "profile": "work"}}


def test_on_a_terminal_vertex_setup_asks_region_project_and_an_optional_key_file(
    tmp_path: Path,
) -> None:
    prompt = _terminal_setup(tmp_path)
    try:
        end = _pick(prompt, "vertex")
        end = prompt.expect(r"Vertex region \[us-east5\]: ", after=end)
        prompt.send("europe-west1\r")
        end = prompt.expect("Google Cloud project id: ", after=end)
        prompt.send("proj-7\r")
        prompt.expect("Service-account key file", after=end)
        prompt.send("\r")  # none: gcloud's application-default credentials
        assert prompt.wait() == 0
    finally:
        prompt.close()
    home = tmp_path / "home"
    assert config_of(home)["providers"] == {
        "vertex": {"region": "europe-west1", "project": "proj-7"}
    }
    assert not (home / ".env").exists()
