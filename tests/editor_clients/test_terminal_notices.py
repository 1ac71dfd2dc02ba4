"""`acp-client chat` on a real pseudo-terminal shows the notices and the
compactions of acp-server (scripted), each as one dim line, apart from the
answer: chat opts in to both, so nothing of it arrives as agent text."""

from __future__ import annotations

import re
from pathlib import Path

from tests.editor_clients.test_terminal_chat import PROMPT, start

__all__ = ["start"]  # the fixture, shared with the other chat tests

DIM = rb"\x1b\[(?:[0-9]+;)*2(?:;[0-9]+)*m[^\x1b]*"  # an SGR that turns on dim, then text


def _home(tmp_path: Path, config: str) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700, exist_ok=True)
    (home / "config.yaml").write_text(config)


def test_a_compaction_shows_as_one_dim_line_with_its_summary(start, tmp_path: Path) -> None:
    _home(tmp_path, "compression:\n  protect_last_n: 2\n")
    chat = start()
    for text in ("say one", "say two"):
        chat.send(text + "\r")
        chat.expect(r"\[end_turn\]")
        chat.expect(PROMPT)
    chat.send("/compact\r")
    end = chat.expect("context compacted")
    chat.expect(r"\[end_turn\]", after=end)
    seen = chat.transcript()
    assert seen.count("context compacted") == 1
    assert "Context compacted:" not in seen  # not the plain-text form for clients without opt-in
    assert re.search(DIM + rb"context compacted", bytes(chat.raw))


def test_an_mcp_server_that_fails_shows_as_one_dim_notice_line(start, tmp_path: Path) -> None:
    _home(tmp_path, f"mcp_servers:\n  gone:\n    command: {tmp_path / 'no-such-server'}\n")
    chat = start()
    chat.send("say still here\r")
    chat.expect(r"\[end_turn\]")
    seen = chat.transcript()
    lines = [line for line in seen.splitlines() if "gone" in line and "MCP" in line]
    assert len(lines) == 1 and lines[0].lstrip().startswith("⚠")
    assert re.search(DIM + rb"\xe2\x9a\xa0 MCP server gone", bytes(chat.raw))
    assert "still here" in seen
