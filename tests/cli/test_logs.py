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
