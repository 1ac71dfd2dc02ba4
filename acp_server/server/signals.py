"""SIGTERM and SIGHUP end the stdio agent the way stdin EOF does, in under 2 s.

Editors end agents in different ways: some close stdin, CodeCompanion and
avante send SIGTERM, a closing terminal sends SIGHUP. Whatever the way, the end
is the same:

1. Every running turn is cancelled while the connection is still up, so
   commands' process groups are killed, editor terminals are killed and
   released, and each prompt gets its `cancelled` reply. `GRACE_SECONDS`
   bounds this step, as an editor may no longer answer.
2. The protocol reader then reports the stream closed. From there on it is
   the EOF path: the endpoint cancels what is left and fails pending requests,
   and the server shuts down (MCP servers closed, store flushed).
3. A watchdog thread ends the process at `DEADLINE_SECONDS` if it has not ended
   by then, and so does a second signal. The store survives that: it is
   journaled as it goes, as for kill -9. Whatever was still running is killed
   by the reaper (agent/reaper.py) when the process's lifeline closes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Protocol

GRACE_SECONDS = 1.0
DEADLINE_SECONDS = 1.8
SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_POLL_SECONDS = 0.01

log = logging.getLogger("acp_server")


class _Session(Protocol):
    def cancel(self) -> None: ...


class _Server(Protocol):
    @property
    def sessions(self) -> Mapping[str, _Session]: ...

    def turn_running(self) -> bool: ...


class GracefulStop:
    """Turns SIGTERM and SIGHUP into the EOF path; see the module docstring.

    `reader` is the protocol's reader and `serving` the task that runs the
    endpoint; `stopping` says whether that task was cancelled by a stop."""

    def __init__(self, server: _Server, reader: object, serving: asyncio.Task[None]) -> None:
        self._server = server
        self._reader = reader
        self._serving = serving
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._task is not None

    def install(self, signals: Iterable[signal.Signals] = SIGNALS) -> None:
        loop = asyncio.get_running_loop()
        for sig in signals:
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self._task is not None:
            _exit_now()  # asked twice: the caller will not wait any longer
        log.warning("%s received: closing sessions and exiting", sig.name)
        # Left running to the end: the interpreter's own exit can wait on
        # threads too. A daemon, so it never delays an exit that comes sooner.
        watchdog = threading.Timer(DEADLINE_SECONDS, _exit_now)
        watchdog.daemon = True
        watchdog.start()
        self._task = asyncio.get_running_loop().create_task(self._stop(), name="graceful-stop")

    async def _stop(self) -> None:
        for session in list(self._server.sessions.values()):
            session.cancel()
        # Cancelled turns end in milliseconds, unless an editor is slow to
        # answer terminal/kill or terminal/release. Polled: a turn has no
        # event of its own to wait on from here.
        deadline = time.monotonic() + GRACE_SECONDS
        while self._server.turn_running() and time.monotonic() < deadline:
            await asyncio.sleep(_POLL_SECONDS)
        if self._server.turn_running():
            log.warning("turns did not end in %g s; exiting anyway", GRACE_SECONDS)
        if isinstance(self._reader, asyncio.StreamReader):
            # Read as a closed stream: the endpoint's own EOF path from here on.
            self._reader.set_exception(ConnectionError("the agent was asked to stop"))
        else:
            self._serving.cancel()  # a reader in a thread (stdin is a file) cannot be woken


def _exit_now() -> None:
    """Exit without waiting for anything: the lifeline closes with the process,
    and the reaper kills whatever this process started."""
    try:
        sys.stderr.flush()
    finally:
        os._exit(0)
