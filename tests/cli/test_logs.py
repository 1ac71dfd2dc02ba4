"""Structured logs carry correlation ids and never secrets."""

from __future__ import annotations

import contextvars
import json
import logging
from pathlib import Path

import pytest

from acp_server.correlation import bind_ids
from acp_server.logs import configure_logging
from agent.tools.runner import current_tool_call


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


def _file_logger(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(f"full-disk-test-{id(handler)}")
    logger.propagate = False
    logger.addHandler(handler)
    return logger


def test_a_log_file_on_a_full_disk_drops_records_and_says_so_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from acp_server.logs import RotatingFile

    # /dev/full opens, then fails every write with ENOSPC: a full disk without a mount.
    handler = RotatingFile(Path("/dev/full"), max_bytes=1 << 20, backups=1)
    logger = _file_logger(handler)
    try:
        for n in range(50):
            logger.error("record %d", n)  # must not raise
    finally:
        logger.removeHandler(handler)
        handler.close()
    err = capsys.readouterr().err
    assert err.count("cannot write the log file /dev/full") == 1
    assert "Traceback" not in err


def test_a_log_file_that_cannot_be_opened_never_raises_into_the_caller(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from acp_server.logs import RotatingFile

    # A path under a regular file fails to open with ENOTDIR, whoever runs the test.
    (tmp_path / "not-a-dir").write_text("")
    handler = RotatingFile(tmp_path / "not-a-dir" / "server.log", max_bytes=100, backups=1)
    logger = _file_logger(handler)
    try:
        logger.warning("first")
        logger.exception("second, with no exception in flight")
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert capsys.readouterr().err.count("cannot write the log file") == 1


def test_a_log_file_writes_again_once_the_retry_interval_has_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from acp_server import logs

    blocker = tmp_path / "logs"
    blocker.write_text("")  # a file where the directory should be: opens fail
    handler = logs.RotatingFile(blocker / "server.log", max_bytes=1 << 20, backups=1)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = _file_logger(handler)
    try:
        logger.warning("dropped")
        blocker.unlink()
        blocker.mkdir()
        logger.warning("dropped too: within the retry interval")
        monkeypatch.setattr(logs, "RETRY_SECONDS", 0.0)
        logger.warning("written")
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert (blocker / "server.log").read_text() == "written\n"
    assert capsys.readouterr().err.count("cannot write the log file") == 1
