"""`acp-server setup-provider` tests the key with one model listing against the
configured base URL (a real loopback HTTP server that accepts one key and
answers 401 to others), and every prompt ends with one line on Ctrl-C or
Ctrl-D, in a pseudo-terminal."""

from __future__ import annotations

import http.server
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_commands import ACP_SERVER, run
from tests.editor_clients.terminal_session import TerminalSession

GOOD_KEY = "sk-proj-GOODGOODGOOD0123456789abcd"
BAD_KEY = "sk-proj-BADBADBADBAD0123456789abcd"


class _Provider(http.server.BaseHTTPRequestHandler):
    """GET /v1/models: 200 for GOOD_KEY or no key, 401 for any other key."""

    seen: list[tuple[str, str]] = []

    def do_GET(self) -> None:
        auth = self.headers.get("authorization", "")
        self.seen.append((self.path, auth))
        # No key at all is a local server's normal request.
        ok = auth in ("", f"Bearer {GOOD_KEY}") and self.path == "/v1/models"
        body = {"data": [{"id": "gpt-x"}]} if ok else {"error": {"message": "invalid api key"}}
        payload = json.dumps(body).encode()
        self.send_response(200 if ok else 401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def provider() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    _Provider.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _profile(tmp_path: Path, base: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "config.yaml").write_text(f"providers:\n  openai:\n    base_url: {base}\n")
    return home


def test_setup_provider_stores_a_key_the_provider_accepts_and_says_it_works(
    tmp_path: Path, provider: str
) -> None:
    home = _profile(tmp_path, provider)
    done = run(home, "setup-provider", "--provider", "openai", stdin=GOOD_KEY + "\n")
    assert done.returncode == 0, done.stderr
    assert "works" in done.stdout
    assert _Provider.seen == [("/v1/models", f"Bearer {GOOD_KEY}")]  # one cheap request
    assert GOOD_KEY in (home / ".env").read_text()


def test_setup_provider_refuses_a_key_the_provider_rejects_and_stores_nothing(
    tmp_path: Path, provider: str
) -> None:
    home = _profile(tmp_path, provider)
    done = run(home, "setup-provider", "--provider", "openai", stdin=BAD_KEY + "\n")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "401" in done.stdout and len(_Provider.seen) == 1
    assert not (home / ".env").exists()
    assert "model:" not in (home / "config.yaml").read_text()


def test_setup_provider_stores_the_key_when_the_provider_cannot_be_reached(
    tmp_path: Path,
) -> None:
    from tests.support.fake_provider import closed_port

    home = _profile(tmp_path, f"http://127.0.0.1:{closed_port()}/v1")
    done = run(home, "setup-provider", "--provider", "openai", stdin=GOOD_KEY + "\n")
    assert done.returncode == 0 and "Could not test" in done.stdout
    assert GOOD_KEY in (home / ".env").read_text()


def test_setup_provider_with_a_local_server_asks_it_for_its_models(
    tmp_path: Path, provider: str
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "config.yaml").write_text(f"providers:\n  vllm:\n    base_url: {provider}\n")
    done = run(home, "setup-provider", "--provider", "vllm", "--model", "vllm:gpt-x")
    assert done.returncode == 0, done.stderr
    assert "answers" in done.stdout and _Provider.seen == [("/v1/models", "")]


# Each prompt of setup-provider: the answers (a menu name, or text) that reach it.
PROMPTS = {
    "provider number": [],
    "key": [("openai", "OPENAI_API_KEY: ")],
    "custom name": [("custom", "Provider name")],
    "custom url": [("custom", "Provider name"), ("mybox", "Base URL")],
    "model name": [("ollama", "Model name")],
}


def _choice(session: TerminalSession, name: str) -> str:
    """The menu number of provider `name`, read off the screen."""
    match = re.search(rf"(\d+)\. {name}\b", session.plain())
    assert match, session.plain()
    return match.group(1)


@pytest.mark.parametrize("key", ["\x03", "\x04"], ids=["ctrl-c", "ctrl-d"])
@pytest.mark.parametrize("prompt", list(PROMPTS))
def test_every_setup_provider_prompt_ends_with_one_line_on_ctrl_c_and_ctrl_d(
    tmp_path: Path, prompt: str, key: str
) -> None:
    session = TerminalSession(
        [ACP_SERVER, "setup-provider"],
        env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(tmp_path / "home")},
        cwd=str(tmp_path),
    )
    try:
        end = session.expect("Provider number: ")
        for index, (answer, question) in enumerate(PROMPTS[prompt]):
            session.send((_choice(session, answer) if index == 0 else answer) + "\r")
            end = session.expect(question, after=end)
        before = session.plain()
        code = None
        for _attempt in range(10):  # see test_cli_edges: a Ctrl-C can land before the read
            session.send(key)
            try:
                code = session.wait(timeout=2)
                break
            except AssertionError:
                continue
        assert code in (1, 130)
        said = session.plain()[len(before) :].replace("^C", "").replace("^D", "")
        assert "Traceback" not in session.plain()
        assert len([line for line in said.splitlines() if line.strip()]) == 1, said
    finally:
        session.close()
