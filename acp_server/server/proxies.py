"""Editor proxies: the agent's ports backed by the editor over ACP.

- `PermissionBroker` asks with `session/request_permission` and remembers
  "always" answers per session (persisted with it).
- `EditorFileSystem` reads and writes through `fs/*` when the client offers
  them (Zed's review UI only sees such writes; reads see unsaved buffers), and
  local disk otherwise.
- `EditorCommandRunner` runs commands in editor terminals: create, embed,
  wait with a timeout, kill, output, and release in `finally`.

A method the client did not advertise is never called, and every call to the
client has a timeout: some clients never answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from acp_server.server.translate import tool_content, wire_locations
from agent.fileio import fs_call, open_regular, printable, regular_size, too_large
from agent.localhost import LocalCommandRunner, LocalFileSystem
from agent.ports import (
    CommandResult,
    FileAccessError,
    Host,
    NotEditable,
    PermissionOutcome,
    PermissionRequest,
)
from protocol import RpcError


class ClientCall(Protocol):
    def __call__(
        self, method: str, params: object, *, timeout: float | None
    ) -> Awaitable[object]: ...


AuditSink = Callable[..., None]
OPTIONS = [
    {"optionId": "allow_once", "name": "Allow once", "kind": "allow_once"},
    {"optionId": "allow_always", "name": "Always allow", "kind": "allow_always"},
    {"optionId": "reject_once", "name": "Reject", "kind": "reject_once"},
    {"optionId": "reject_always", "name": "Always reject", "kind": "reject_always"},
]
_CHOICES: dict[str, PermissionOutcome] = {
    "allow_once": "allow_once",
    "allow_always": "allow_always",
    "reject_once": "reject_once",
    "reject_always": "reject_always",
}
MAX_EDITOR_READ_CHARS = 2 * 1024 * 1024
RELEASE_GRACE = 3.0


def grant_key(request: PermissionRequest) -> str:
    """What an "always" answer covers: a command's program, a path when the
    policy asked because of where it is, otherwise the tool."""
    if request.tool == "run_command":
        command = str(request.raw_input.get("command", "")).strip()
        return f"run_command:{command.split()[0] if command else ''}"
    if (
        request.reason
        and request.locations
        and ("sensitive" in request.reason or "outside" in request.reason)
    ):
        return f"{request.tool}:{request.locations[0].path}"
    return request.tool


class PermissionBroker:
    def __init__(
        self,
        call: ClientCall,
        session_id: str,
        grants: set[str],
        timeout: float,
        on_change: Callable[[], None],
    ) -> None:
        self.call = call
        self.session_id = session_id
        self.grants = grants
        self.timeout = timeout
        self.on_change = on_change

    async def request(self, request: PermissionRequest) -> PermissionOutcome:
        key = grant_key(request)
        if "allow:" + key in self.grants:
            return "allow_always"
        if "reject:" + key in self.grants:
            return "reject_always"
        tool_call: dict[str, object] = {
            "toolCallId": request.call_id,
            "title": request.title,
            "kind": request.kind,
            "status": "pending",
            "rawInput": dict(request.raw_input),
            "content": [tool_content(c) for c in request.content],
            "locations": wire_locations(request.locations),
        }
        params = {"sessionId": self.session_id, "toolCall": tool_call, "options": OPTIONS}
        try:
            result = await self.call("session/request_permission", params, timeout=self.timeout)
        except (TimeoutError, RpcError, ConnectionError):
            return "reject_once"  # no answer is not a yes
        outcome = result.get("outcome") if isinstance(result, dict) else None
        if not isinstance(outcome, dict) or outcome.get("outcome") == "cancelled":
            return "cancelled" if isinstance(outcome, dict) else "reject_once"
        choice = _CHOICES.get(str(outcome.get("optionId")))
        if choice is None:
            return "reject_once"
        if choice in ("allow_always", "reject_always"):
            self.grants.add(("allow:" if choice == "allow_always" else "reject:") + key)
            self.on_change()
        return choice


def _sha256(data: bytes | None) -> str | None:
    import hashlib  # here: only audited writes need it

    return None if data is None else hashlib.sha256(data).hexdigest()


def _bytes_on_disk(path: str) -> bytes | None:
    """What a write is about to replace (for the audit log); None if nothing
    readable is there. Blocking: run it off the loop."""
    try:
        fd = open_regular(path)
    except FileAccessError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


class EditorFileSystem:
    """`fs/*` where advertised, local disk otherwise.

    Before the editor is asked, the path is looked at on local disk (off the
    loop): what is there but is not a regular file is refused at once, and a
    file to be edited is checked for its size and for being UTF-8 text, so the
    editor is never asked for a FIFO or for 50 MB it will not be allowed to
    change. A file only the editor has (an unsaved buffer) is the editor's to
    answer for."""

    def __init__(
        self,
        call: ClientCall,
        session_id: str,
        *,
        can_read: bool,
        can_write: bool,
        timeout: float,
        audit: AuditSink | None = None,
    ) -> None:
        self.call = call
        self.session_id = session_id
        self.can_read = can_read
        self.can_write = can_write
        self.timeout = timeout
        self.local = LocalFileSystem()
        self.audit = audit

    async def read_text(
        self, path: str, *, line: int | None = None, limit: int | None = None
    ) -> str:
        if not self.can_read:
            return await self.local.read_text(path, line=line, limit=limit)
        await fs_call(regular_size, path, what="read", path=path)
        content = await self._editor_text(path, line, limit)
        if len(content) > MAX_EDITOR_READ_CHARS:
            content = (
                content[:MAX_EDITOR_READ_CHARS]
                + f"\n[file truncated: shown {MAX_EDITOR_READ_CHARS:,} of {len(content):,} "
                "characters; read on with `line` and `limit`]"
            )
        return content

    async def read_whole(self, path: str, *, max_bytes: int) -> str:
        if not self.can_read:
            return await self.local.read_whole(path, max_bytes=max_bytes)
        size = await fs_call(regular_size, path, what="read", path=path)
        if size is not None:
            # The disk copy decides size and encoding before the editor is asked.
            await self.local.read_whole(path, max_bytes=max_bytes)
        content = await self._editor_text(path, None, None)
        if len(content) > max_bytes or len(content.encode("utf-8")) > max_bytes:
            raise too_large(path, len(content.encode("utf-8")), max_bytes)
        if "\0" in content:
            raise NotEditable(f"{printable(path)} looks binary (it holds NUL bytes)")
        return content

    async def write_text(self, path: str, content: str) -> None:
        await fs_call(regular_size, path, what="write", path=path)
        before = await fs_call(_bytes_on_disk, path, what="read", path=path) if self.audit else None
        if self.can_write:
            await self._call(
                "fs/write_text_file",
                {"sessionId": self.session_id, "path": path, "content": content},
                path,
            )
        else:
            await self.local.write_text(path, content)
        if self.audit is not None:
            after = content.encode("utf-8")
            self.audit(
                "file_write",
                session=self.session_id,
                path=printable(path),
                bytes=len(after),
                sha256_before=_sha256(before),
                sha256_after=_sha256(after),
                via="editor" if self.can_write else "disk",
            )

    async def _editor_text(self, path: str, line: int | None, limit: int | None) -> str:
        params: dict[str, object] = {"sessionId": self.session_id, "path": path}
        if line is not None:
            params["line"] = line
        if limit is not None:
            params["limit"] = limit
        result = await self._call("fs/read_text_file", params, path)
        content = result.get("content") if isinstance(result, dict) else None
        if not isinstance(content, str):
            raise FileAccessError(f"the editor sent no text for {path}")
        return content

    async def _call(self, method: str, params: dict[str, object], path: str) -> Any:
        try:
            return await self.call(method, params, timeout=self.timeout)
        except TimeoutError:
            raise FileAccessError(
                f"the editor did not answer {method} for {path} in {self.timeout:g} s"
            ) from None
        except RpcError as error:
            raise FileAccessError(f"{path}: {error.message}") from None


class EditorCommandRunner:
    def __init__(
        self,
        call: ClientCall,
        session_id: str,
        *,
        timeout: float,
        output_byte_limit: int = 64 * 1024,
        on_output: Callable[[str, str], None] | None = None,
    ) -> None:
        self.call = call
        self.session_id = session_id
        self.timeout = timeout
        self.output_byte_limit = output_byte_limit
        # Told (terminal id, final output) once a command's output is in: the
        # terminal dies with the connection, its output is what a replay shows.
        self.on_output = on_output

    async def run(
        self,
        command: str,
        *,
        cwd: str,
        timeout: float,
        on_terminal: Callable[[str], None] | None = None,
    ) -> CommandResult:
        created = await self._call(
            "terminal/create",
            {
                "command": "/bin/sh",
                "args": ["-c", command],
                "cwd": cwd,
                "outputByteLimit": self.output_byte_limit,
            },
        )
        terminal_id = str(created["terminalId"])
        ids: dict[str, object] = {"sessionId": self.session_id, "terminalId": terminal_id}
        try:
            if on_terminal is not None:
                on_terminal(terminal_id)
            timed_out = False
            try:
                await self.call("terminal/wait_for_exit", ids, timeout=timeout)
            except TimeoutError:
                timed_out = True
                await self._call("terminal/kill", ids)
            output = await self._call("terminal/output", ids)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    asyncio.wait_for(
                        self.call("terminal/kill", ids, timeout=RELEASE_GRACE), RELEASE_GRACE
                    )
                )
            raise
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    asyncio.wait_for(
                        self.call("terminal/release", ids, timeout=RELEASE_GRACE), RELEASE_GRACE
                    )
                )
        if self.on_output is not None:
            self.on_output(terminal_id, terminal_text(output))
        status = output.get("exitStatus") or {}
        exit_code = status.get("exitCode") if isinstance(status, dict) else None
        signal = status.get("signal") if isinstance(status, dict) else None
        return CommandResult(
            None if timed_out else exit_code,
            str(output.get("output", "")),
            truncated=bool(output.get("truncated")),
            timed_out=timed_out,
            signal=signal,
            terminal_id=terminal_id,
        )

    async def _call(self, method: str, params: dict[str, object]) -> Any:
        full = {"sessionId": self.session_id, **params}
        try:
            return await self.call(method, full, timeout=self.timeout)
        except TimeoutError:
            raise FileAccessError(
                f"the editor did not answer {method} in {self.timeout:g} s"
            ) from None
        except RpcError as error:
            raise FileAccessError(f"{method} failed: {error.message}") from None


def terminal_text(output: Mapping[str, object]) -> str:
    """A terminal's final output as the text kept in place of the terminal."""
    text = str(output.get("output", ""))
    note = "\n[output truncated to its tail]" if output.get("truncated") else ""
    return f"```\n{text}\n```{note}" if text else "(no output)"


def select_host(
    call: ClientCall,
    session_id: str,
    *,
    fs_read: bool,
    fs_write: bool,
    terminal: bool,
    client_timeout: float,
    grants: set[str],
    on_grants_change: Callable[[], None],
    audit: AuditSink | None = None,
    on_terminal_output: Callable[[str, str], None] | None = None,
) -> Host:
    """Editor-backed where the client advertised it, local otherwise."""
    files = EditorFileSystem(
        call, session_id, can_read=fs_read, can_write=fs_write, timeout=client_timeout, audit=audit
    )
    commands = (
        EditorCommandRunner(call, session_id, timeout=client_timeout, on_output=on_terminal_output)
        if terminal
        else LocalCommandRunner()
    )
    return Host(
        PermissionBroker(call, session_id, grants, client_timeout, on_grants_change),
        files,
        commands,
    )


__all__ = [
    "EditorCommandRunner",
    "EditorFileSystem",
    "PermissionBroker",
    "grant_key",
    "select_host",
]
