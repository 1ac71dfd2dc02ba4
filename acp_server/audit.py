"""The audit log: append-only JSON lines at `$ACP_SERVER_HOME/logs/audit.jsonl`.

One record per tool call, permission decision and file write. Each record is
one `write()` of a whole line on an O_APPEND descriptor, so concurrent writers
never interleave. Secrets are redacted before anything is written.
"""

from __future__ import annotations

import os
import re
import time

import msgspec

from agent.redaction import REDACTED, scrub

_SECRET_KEY = re.compile(r"(key|token|secret|password|passwd|authorization|credential)", re.I)


def redact(value: object, key: str = "") -> object:
    """A copy of `value` with secret-looking keys and values masked."""
    if key and _SECRET_KEY.search(key) and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value


class AuditLog:
    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        # A str: the first session/new opens this log, before pathlib loads.
        self.path = os.fspath(path) if path is not None else None
        self._fd: int | None = None

    @classmethod
    def null(cls) -> AuditLog:
        return cls(None)

    def __call__(self, kind: str, **fields: object) -> None:
        self.record(kind, **fields)

    def record(self, kind: str, **fields: object) -> None:
        if self.path is None:
            return
        entry = {"ts": round(time.time(), 3), "kind": kind, **redact(fields)}  # type: ignore[dict-item]
        line = msgspec.json.encode(entry, enc_hook=str) + b"\n"
        try:
            if self._fd is None:
                os.makedirs(os.path.dirname(os.path.abspath(self.path)), 0o700, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.write(self._fd, line)
        except OSError:
            # Auditing must never take the agent down; the server log notes it.
            import logging

            logging.getLogger("acp_server.audit").exception(
                "cannot write the audit log %s", self.path
            )

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
