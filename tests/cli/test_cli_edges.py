"""The acp-server CLI at its edges: closed pipes, Ctrl-C, bad values, ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_commands import ACP_SERVER, run
from tests.editor_clients.terminal_session import TerminalSession

PRINTING_COMMANDS = [
    ["--help"],
    ["help"],
    ["--version"],
    ["models"],
    ["models", "list"],
    ["models", "--json"],
    ["sessions", "list"],
    ["sessions", "list", "--json"],
    ["config", "show"],
    ["config", "path"],
    ["setup", "zed"],
    ["setup", "neovim"],
    ["doctor"],
    ["run", "--model", "scripted", "say hello"],
    ["run", "--model", "scripted", "--json", "say hello"],
    ["sessions", "prune", "--older-than", "1", "--dry-run"],
]


@pytest.mark.parametrize("args", PRINTING_COMMANDS, ids=" ".join)
def test_a_closed_stdout_pipe_ends_every_command_without_a_traceback(
    tmp_path: Path, args: list[str]
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte: every write fails
    try:
        done = subprocess.run(
            [ACP_SERVER, *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=tmp_path,
            env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(tmp_path / "home")},
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr


def test_ctrl_c_in_setup_provider_ends_it_with_one_line(tmp_path: Path) -> None:
    prompt = TerminalSession(
        [ACP_SERVER, "setup-provider"],
        env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(tmp_path / "home")},
        cwd=str(tmp_path),
    )
    try:
        prompt.expect(r"Provider number: ")
        # A Ctrl-C that lands between the prompt's write and its read() is only
        # seen at the next key (a CPython race), so press it until it is seen.
        code = None
        for _attempt in range(10):
            prompt.send("\x03")
            try:
                code = prompt.wait(timeout=2)
                break
            except AssertionError:
                continue
        assert code == 130
        assert "Traceback" not in prompt.plain()
    finally:
        prompt.close()


def test_models_lists_full_ids_with_a_header_for_every_column_and_a_list_alias(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    listed = run(home, "models", "list", env={"COLUMNS": "40"})
    header, *rows = listed.stdout.splitlines()
    ids = [m["id"] for m in json.loads(run(home, "models", "--json").stdout)]
    assert listed.returncode == 0 and all(any(line.startswith(i) for line in rows) for i in ids)
    assert header.split() == [
        "model",
        "provider",
        "context",
        "$",
        "in/Mtok",
        "$",
        "out/Mtok",
        "key",
        "set",
        "reachable",
        "default",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["config", "set", "agent.max_turns", "-3"],
        ["config", "set", "agent.command_timeout", "0"],
        ["models", "set", "bogus"],
        ["models", "set", "openai:"],
        ["config", "set", "foo:bar", "1"],
    ],
    ids=" ".join,
)
def test_bad_config_values_are_refused_where_they_are_set(tmp_path: Path, args: list[str]) -> None:
    done = run(tmp_path / "home", *args)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert not (tmp_path / "home" / "config.yaml").exists()


def test_config_errors_suggest_the_nearest_key_and_say_a_section_is_a_table(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    typo = run(home, "config", "set", "agent.max_turn", "5")
    assert typo.returncode == 2 and "agent.max_turns?" in typo.stderr
    home.mkdir(exist_ok=True)
    (home / "config.yaml").write_text("model: scripted\nagent: 5\n")
    table = run(home, "config", "show")
    assert table.returncode == 2 and "config.yaml:2" in table.stderr
    assert "must be a table" in table.stderr and "docs/" not in table.stderr


def test_session_ids_take_a_unique_prefix_and_list_pages(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for word in ("one", "two", "three"):
        run(home, "run", "--model", "scripted", f"say {word}", cwd=tmp_path)
    ids = [s["id"] for s in json.loads(run(home, "sessions", "list", "--json").stdout)]
    prefix = next(
        i[:n] for n in range(6, 40) for i in ids if sum(j.startswith(i[:n]) for j in ids) == 1
    )
    assert run(home, "sessions", "show", prefix).returncode == 0
    assert run(home, "sessions", "show", "sess_").returncode == 2  # ambiguous
    page = run(home, "sessions", "list", "--limit", "2", env={"COLUMNS": "50"})
    assert sum(i in page.stdout for i in ids) == 2 and "--limit" in page.stdout


def test_sessions_prune_dry_run_yes_and_a_positive_age(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run(home, "run", "--model", "scripted", "say old", cwd=tmp_path)
    assert run(home, "sessions", "prune", "--older-than", "0").returncode == 2
    assert run(home, "sessions", "prune", "--older-than", "-1").returncode == 2
    tiny = "0.0000001"  # a few milliseconds: the session above is older than that
    dry = run(home, "sessions", "prune", "--older-than", tiny, "--dry-run")
    assert dry.returncode == 0 and "sess_" in dry.stdout
    assert len(json.loads(run(home, "sessions", "list", "--json").stdout)) == 1
    unasked = run(home, "sessions", "prune", "--older-than", tiny)  # no terminal, no --yes
    assert unasked.returncode != 0
    assert len(json.loads(run(home, "sessions", "list", "--json").stdout)) == 1
    assert run(home, "sessions", "prune", "--older-than", tiny, "--yes").returncode == 0
    assert json.loads(run(home, "sessions", "list", "--json").stdout) == []


def test_the_license_is_an_spdx_string() -> None:
    text = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert 'license = "Apache-2.0"' in text
    assert sys.version_info >= (3, 11)


def test_setup_neovim_sets_our_auth_method_and_no_deprecated_strategies(tmp_path: Path) -> None:
    lua = run(tmp_path / "home", "setup", "neovim").stdout
    assert 'auth_method = "provider-key"' in lua and "oauth-personal" not in lua
    assert "strategies" not in lua and "interactions = { chat = {" in lua


def test_setup_emacs_prints_an_agent_shell_entry(tmp_path: Path) -> None:
    done = run(tmp_path / "home", "setup", "emacs")
    assert done.returncode == 0 and "agent-shell-make-agent-config" in done.stdout
    assert ACP_SERVER in done.stdout


def test_setup_from_a_uvx_cache_warns_and_uses_uvx(tmp_path: Path) -> None:
    cached = tmp_path / ".cache" / "uv" / "archive-v0" / "abc" / "bin" / "acp-server"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(Path(ACP_SERVER).read_bytes())
    cached.chmod(0o755)
    done = subprocess.run(
        [str(cached), "setup", "zed"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(tmp_path / "home")},
        timeout=60,
        check=False,
    )
    entry = json.loads(done.stdout.split(":\n", 1)[1])["agent_servers"]["acp-server"]
    assert "warning" in done.stderr and entry["command"] == "uvx"
    assert entry["args"] == ["acp-server"]


def test_setup_write_keeps_jsonc_comments_and_does_nothing_the_second_time(
    tmp_path: Path,
) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text('// mine\n{\n  "theme": "One", // keep\n  /* too */ "vim_mode": true,\n}\n')
    first = run(tmp_path / "home", "setup", "zed", "--write", "--file", str(settings))
    assert first.returncode == 0
    text = settings.read_text()
    assert "// mine" in text and "// keep" in text and "/* too */" in text
    assert "acp-server" in text
    backups = sorted(tmp_path.glob("settings.json.bak-*"))
    again = run(tmp_path / "home", "setup", "zed", "--write", "--file", str(settings))
    assert again.returncode == 0 and settings.read_text() == text
    assert sorted(tmp_path.glob("settings.json.bak-*")) == backups


def _setup_provider(tmp_path: Path) -> TerminalSession:
    return TerminalSession(
        [ACP_SERVER, "setup-provider"],
        env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(tmp_path / "home")},
        cwd=str(tmp_path),
    )


def test_setup_provider_reasks_and_offers_a_local_server(tmp_path: Path) -> None:
    prompt = _setup_provider(tmp_path)
    try:
        end = prompt.expect(r"(\d+)\. ollama")
        number = prompt.plain()[:end].rsplit("\n", 1)[-1].split(".")[0].strip()
        end = prompt.expect("Provider number: ")
        prompt.send("99\r")
        end = prompt.expect("Provider number: ", after=end)
        prompt.send(number + "\r")
        prompt.expect("Model name", after=end)
        prompt.send("\r")  # the suggestion
        assert prompt.wait() == 0
    finally:
        prompt.close()
    assert "model: ollama:qwen3" in (tmp_path / "home" / "config.yaml").read_text()


def test_setup_provider_takes_a_custom_base_url(tmp_path: Path) -> None:
    prompt = _setup_provider(tmp_path)
    try:
        end = prompt.expect(r"(\d+)\. custom")
        number = prompt.plain()[:end].rsplit("\n", 1)[-1].split(".")[0].strip()
        end = prompt.expect("Provider number: ")
        prompt.send(number + "\r")
        end = prompt.expect("Provider name", after=end)
        prompt.send("mybox\r")
        end = prompt.expect("Base URL", after=end)
        prompt.send("http://localhost:9000/v1\r")
        prompt.expect("Model name", after=end)
        prompt.send("llama-3\r")
        assert prompt.wait() == 0
    finally:
        prompt.close()
    config = (tmp_path / "home" / "config.yaml").read_text()
    assert "model: mybox:llama-3" in config and "base_url: http://localhost:9000/v1" in config
