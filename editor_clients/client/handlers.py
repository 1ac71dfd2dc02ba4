"""What an editor serves to the agent: permission answers, files, terminals.

`LocalFiles` serves the real disk under a root, and refuses writes outside it.
`LocalTerminals` runs real subprocesses. `PermissionPolicy` answers prompts by
rule or by asking a callback (the terminal client asks the user).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from protocol import RpcError
from protocol.json_types import JsonObject, JsonValue, as_list, objects

#: Asked with a permission request's params; answers an option id, None = cancelled.
AskUser = Callable[[JsonObject], Awaitable[str | None]]


class PermissionPolicy:
    """`approve` picks the first allow option, `deny` the first reject option,
    `ask` calls `ask_user(params)` for an option id (None = cancelled)."""

    def __init__(self, policy: str = "deny", ask_user: AskUser | None = None) -> None:
        self.policy = policy
        self.ask_user = ask_user
        self.seen: list[JsonObject] = []

    async def __call__(self, params: JsonObject) -> JsonObject:
        self.seen.append(params)
        options = objects(params.get("options"))
        if self.policy == "ask" and self.ask_user is not None:
            choice: JsonValue = await self.ask_user(params)
        else:
            wanted = (
                ("allow_once", "allow_always")
                if self.policy == "approve"
                else ("reject_once", "reject_always")
            )
            choice = next((o["optionId"] for o in options if o.get("kind") in wanted), None)
        if choice is None:
            return {"outcome": {"outcome": "cancelled"}}
        return {"outcome": {"outcome": "selected", "optionId": choice}}


def _int(value: JsonValue) -> int:
    # A count from the wire: what `int()` takes (a number or its text), else a clear error.
    if isinstance(value, (int, float, str)):
        return int(value)
    raise RpcError.invalid_params(f"expected a number, got {value!r}")


class LocalFiles:
    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)
        self.writes: list[str] = []

    def _inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self.root or real.startswith(self.root + os.sep)

    async def read(self, params: JsonObject) -> JsonObject:
        path = str(params.get("path", ""))
        if not os.path.isabs(path):
            raise RpcError.invalid_params(f"path must be absolute: {path!r}")
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise RpcError.resource_not_found(path) from None
        except OSError as error:
            raise RpcError.internal_error(f"cannot read {path}: {error.strerror}") from None
        line, limit = params.get("line"), params.get("limit")
        if line or limit:
            lines = text.splitlines(keepends=True)
            start = max(_int(line or 1) - 1, 0)
            text = "".join(lines[start : start + _int(limit) if limit else None])
        return {"content": text}

    async def write(self, params: JsonObject) -> JsonObject:
        path = str(params.get("path", ""))
        if not os.path.isabs(path):
            raise RpcError.invalid_params(f"path must be absolute: {path!r}")
        if not self._inside(path):
            raise RpcError.invalid_params(
                f"{path} is outside {self.root}; this client only writes inside it"
            )
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temp = f"{path}.acp-client-tmp"
        with open(temp, "w", encoding="utf-8") as handle:
            handle.write(str(params.get("content", "")))
        os.replace(temp, path)
        self.writes.append(path)
        return {}


@dataclass
class _Terminal:
    process: asyncio.subprocess.Process
    limit: int
    output: bytearray = field(default_factory=bytearray)
    truncated: bool = False
    reader: asyncio.Task[None] | None = None


class LocalTerminals:
    def __init__(self, cwd: str) -> None:
        self.cwd = cwd
        self.terminals: dict[str, _Terminal] = {}
        self.created: list[str] = []
        self.released: list[str] = []
        self._next = 0

    async def create(self, params: JsonObject) -> JsonObject:
        variables = objects(params.get("env"))
        env = {**os.environ, **{str(e["name"]): str(e["value"]) for e in variables}}
        process = await asyncio.create_subprocess_exec(
            str(params["command"]),
            *[str(a) for a in as_list(params.get("args"))],
            cwd=str(params.get("cwd") or self.cwd),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self._next += 1
        terminal_id = f"term_{self._next}"
        terminal = _Terminal(process, _int(params.get("outputByteLimit") or 1 << 20))
        terminal.reader = asyncio.create_task(self._collect(terminal))
        self.terminals[terminal_id] = terminal
        self.created.append(terminal_id)
        return {"terminalId": terminal_id}

    async def _collect(self, terminal: _Terminal) -> None:
        assert terminal.process.stdout is not None
        while chunk := await terminal.process.stdout.read(65536):
            terminal.output.extend(chunk)
            if len(terminal.output) > terminal.limit:
                del terminal.output[: len(terminal.output) - terminal.limit]
                terminal.truncated = True

    def _get(self, params: JsonObject) -> _Terminal:
        terminal = self.terminals.get(str(params.get("terminalId")))
        if terminal is None:
            raise RpcError.invalid_params(f"unknown terminal {params.get('terminalId')!r}")
        return terminal

    @staticmethod
    def _status(terminal: _Terminal) -> JsonObject | None:
        code = terminal.process.returncode
        if code is None:
            return None
        return (
            {"exitCode": None, "signal": signal.Signals(-code).name}
            if code < 0
            else {"exitCode": code, "signal": None}
        )

    async def output(self, params: JsonObject) -> JsonObject:
        terminal = self._get(params)
        result: JsonObject = {
            "output": terminal.output.decode("utf-8", "replace"),
            "truncated": terminal.truncated,
        }
        if (status := self._status(terminal)) is not None:
            result["exitStatus"] = status
        return result

    async def wait_for_exit(self, params: JsonObject) -> JsonObject:
        terminal = self._get(params)
        await terminal.process.wait()
        if terminal.reader is not None:
            await terminal.reader
        return self._status(terminal) or {}

    async def kill(self, params: JsonObject) -> JsonObject:
        terminal = self._get(params)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(terminal.process.pid, signal.SIGKILL)
        await terminal.process.wait()
        return {}

    async def release(self, params: JsonObject) -> JsonObject:
        terminal = self._get(params)
        if terminal.process.returncode is None:
            await self.kill(params)
        if terminal.reader is not None:
            terminal.reader.cancel()
        del self.terminals[str(params["terminalId"])]
        self.released.append(str(params["terminalId"]))
        return {}

    async def close(self) -> None:
        for terminal_id in list(self.terminals):
            await self.release({"terminalId": terminal_id})
