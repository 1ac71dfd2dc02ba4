"""Logging: structured JSON lines in `$ACP_SERVER_HOME/logs/server.log` (rotated),
stderr only for errors unless asked, and never stdout.

Every line carries the correlation ids bound in the current context
(connection, session, turn, JSON-RPC request, tool call). Secret-looking values
are redacted before they are written.

Logging never raises. A log call can come from anywhere (a store error, the
audit log, the wire boundary), so a full disk or a read-only home must not turn
it into an exception there. A handler that cannot write drops its records,
says so once on stderr, and tries again after `RETRY_SECONDS`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator

import msgspec

from acp_server.audit import redact
from acp_server.correlation import current_ids as _ids


@contextlib.contextmanager
def bind(**ids: object) -> Iterator[None]:
    token = _ids.set({**_ids.get(), **{k: str(v) for k, v in ids.items() if v is not None}})
    try:
        yield
    finally:
        _ids.reset(token)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            **_ids.get(),
        }
        from agent.tools.runner import current_tool_call
        from protocol import current_request_id

        if (request_id := current_request_id.get()) is not None:
            entry["request"] = request_id
        if (call_id := current_tool_call.get()) is not None:
            entry["tool_call"] = call_id
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return msgspec.json.encode(entry, enc_hook=str).decode()


RETRY_SECONDS = 30.0


class RotatingFile(logging.FileHandler):
    """A log file that moves to .1 (.1 to .2, ...) once it passes `max_bytes`.

    The standard library's RotatingFileHandler does the same, but its module
    (with pickle and sockets) cost 2.6 ms of every first session.

    A write, open or rotation that fails drops the record: see the module
    docstring."""

    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int, backups: int) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.max_bytes = max_bytes
        self.backups = backups
        self._failed_at: float | None = None  # when writing last failed; None: it works

    def emit(self, record: logging.LogRecord) -> None:
        if self._failed_at is not None:
            if time.monotonic() - self._failed_at < RETRY_SECONDS:
                return  # dropped: trying the disk on every record would only slow the agent
            self._failed_at = None
        try:
            if self.stream is not None and self.stream.tell() >= self.max_bytes:
                self._rotate()
            if self.stream is None:
                self.stream = self._open()
            self.stream.write(self.format(record) + self.terminator)
            self.stream.flush()
        except RecursionError:
            raise
        except Exception as error:
            self._fail(error)

    def handleError(self, record: logging.LogRecord) -> None:
        self._fail(sys.exc_info()[1])

    def _fail(self, error: BaseException | None) -> None:
        """Drop the stream (a half-written buffer would fail again on every
        flush) and say so once per failure, not once per record."""
        self._failed_at = time.monotonic()
        stream, self.stream = self.stream, None
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.close()
        with contextlib.suppress(Exception):
            sys.stderr.write(
                f"acp-server: cannot write the log file {self.baseFilename} ({error}); "
                f"log records are dropped, retrying in {RETRY_SECONDS:g} s\n"
            )
            sys.stderr.flush()

    def _rotate(self) -> None:
        self.close()
        base = self.baseFilename
        for index in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{base}.{index}"):
                os.replace(f"{base}.{index}", f"{base}.{index + 1}")
        os.replace(base, f"{base}.1")
        self.stream = self._open()
        os.chmod(base, 0o600)


class _QuietStream(logging.StreamHandler):  # type: ignore[type-arg]
    """stderr, where a failed write (the editor closed the pipe) is dropped in
    silence: there is nowhere left to report it."""

    def handleError(self, record: logging.LogRecord) -> None:
        return None


def configure_logging(
    home: str | os.PathLike[str] | None,
    level: str | None = None,
    *,
    stderr_level: str | None = None,
) -> None:
    """File log at `level` (default WARNING); stderr gets errors only unless
    `stderr_level` is given, so a normal session prints nothing there."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    file_level = getattr(logging, (level or "WARNING").upper(), logging.WARNING)
    console = _QuietStream(sys.stderr)
    console.setLevel(getattr(logging, (stderr_level or "ERROR").upper(), logging.ERROR))
    console.setFormatter(logging.Formatter("acp-server: %(levelname)s %(name)s: %(message)s"))
    root.addHandler(console)
    if home is not None:
        try:
            # os.path, not pathlib: this runs for the first session/new.
            log_dir = os.path.join(home, "logs")
            os.makedirs(log_dir, 0o700, exist_ok=True)
            path = os.path.join(log_dir, "server.log")
            handler = RotatingFile(path, max_bytes=10 * 1024 * 1024, backups=5)
            handler.setLevel(file_level)
            handler.setFormatter(JsonLines())
            root.addHandler(handler)
            if os.path.exists(path):
                os.chmod(path, 0o600)
        except OSError as error:
            print(f"acp-server: cannot write logs under {home}: {error}", file=sys.stderr)
    root.setLevel(min(file_level, console.level))
    logging.Formatter.converter = time.gmtime
