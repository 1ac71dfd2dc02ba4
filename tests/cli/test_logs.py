"""Structured logs carry correlation ids and never secrets."""

from __future__ import annotations

import contextvars
import json
import logging
from pathlib import Path

from acp_server.correlation import bind_ids
from acp_server.logs import configure_logging
from agent.runner import current_tool_call


def test_log_lines_carry_correlation_ids_and_redact_secrets(tmp_path: Path) -> None:
    def log_in_a_bound_context() -> None:
        bind_ids(connection="c1", session="s1", turn=3)
        current_tool_call.set("call_7")
        logging.getLogger("acp_server.test").warning("using key sk-abcdefghijklmnop1234 for a call")

    configure_logging(tmp_path, "INFO")
    try:
        contextvars.copy_context().run(log_in_a_bound_context)  # ids do not leak into other tests
    finally:
        for handler in logging.getLogger().handlers:
            handler.flush()
        configure_logging(None, "WARNING")
    entry = json.loads((tmp_path / "logs" / "server.log").read_text().splitlines()[-1])
    assert (entry["connection"], entry["session"], entry["turn"], entry["tool_call"]) == (
        "c1",
        "s1",
        "3",
        "call_7",
    )
    assert "sk-abcdefghijklmnop1234" not in entry["message"] and "[redacted]" in entry["message"]


def test_the_log_file_rotates_and_keeps_only_its_backups(tmp_path: Path) -> None:
    from acp_server.logs import RotatingFile

    handler = RotatingFile(tmp_path / "server.log", max_bytes=200, backups=2)
    logger = logging.getLogger("rotation-test")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for n in range(40):
            logger.warning("line %03d %s", n, "x" * 40)
    finally:
        logger.removeHandler(handler)
        handler.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["server.log", "server.log.1", "server.log.2"]
    assert "line 039" in (tmp_path / "server.log").read_text()
    assert all((tmp_path / n).stat().st_size <= 200 + 60 for n in names)
    assert (tmp_path / "server.log").stat().st_mode & 0o777 == 0o600
