"""Requirements on cancellation: session/cancel, $/cancel_request, and a cancel
while a permission request is pending, plus what a rejected permission means.

A turn that ended before the cancel could reach it is inconclusive
(not-tested), never a pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from editor_clients.client import ClientConnection, PermissionPolicy
from editor_clients.conformance.invariants import TURN_KINDS
from editor_clients.conformance.model import requirement
from editor_clients.conformance.outcomes import Fail, NotTested, check
from editor_clients.conformance.probe import FULL, Probe
from editor_clients.conformance.req_turn import not_acting, turn
from protocol import RpcError

RACE_WINDOW = 1.0  # a reply this soon after the cancel may have crossed it on the wire


async def _started(
    probe: Probe, client: ClientConnection, session: str, key: str
) -> asyncio.Task[Any]:
    """Start a long turn and wait until it streams (or the pack's cancel delay)."""
    before = len(client.sessions[session].updates) if session in client.sessions else 0
    task = asyncio.create_task(
        client.prompt(session, probe.prompts.text(key, probe.ours), timeout=180)
    )

    def streaming() -> bool:  # turn content, not commands or titles sent on the side
        view = client.sessions.get(session)
        return view is not None and any(
            u.get("sessionUpdate") in TURN_KINDS for u in view.updates[before:]
        )

    # Not streaming yet after the delay: cancel anyway; a long request should still run.
    with contextlib.suppress(TimeoutError):
        await client.wait_for(
            lambda: streaming() or task.done(),
            max(probe.prompts.cancel_delay, 10 if probe.ours else 0),
        )
    return task


@requirement(
    "CANCEL-001",
    "MUST",
    "session/cancel ends the turn with stopReason cancelled (not an error)",
    "§12 row 13 (v1/prompt-turn#cancellation): the agent MUST respond with stopReason cancelled",
    needs="prompt",
)
async def cancel_turn(probe: Probe) -> str:
    client, session = await probe.session()
    task = await _started(probe, client, session, "long")
    if task.done():
        raise NotTested("inconclusive: the turn ended before the cancel was sent")
    loop = asyncio.get_running_loop()
    sent = loop.time()
    await client.cancel(session)
    try:
        result = await asyncio.wait_for(task, 60)
    except RpcError as error:
        if error.code == -32000:
            raise
        raise Fail(f"cancel produced error {error.code} instead of stopReason cancelled") from None
    except TimeoutError:
        raise Fail("the turn was still running 60 s after session/cancel") from None
    stop, late = result.get("stopReason"), loop.time() - sent
    if stop != "cancelled" and late < RACE_WINDOW:
        raise NotTested(
            f"inconclusive: the turn ended ({stop}) {late:.2f} s after the cancel, which may have crossed it"
        )
    check(stop == "cancelled", f"the turn ended {stop!r} {late:.1f} s after session/cancel")
    return f"cancelled {late:.2f} s after session/cancel"


@requirement(
    "CANCEL-002",
    "MUST",
    "a $/cancel_request for a running prompt still gets a response (result or -32800)",
    "§12 row 17 (v1/cancellation): the receiver MUST still answer the original request",
    needs="prompt",
)
async def cancel_request(probe: Probe) -> str:
    client, session = await probe.session()
    task = await _started(probe, client, session, "long")
    if task.done():
        raise NotTested("inconclusive: the turn ended before $/cancel_request was sent")
    prompt_id = [
        f["id"]
        for _, d, f in client.frames
        if d == "client->agent" and f.get("method") == "session/prompt"
    ][-1]
    loop = asyncio.get_running_loop()
    sent = loop.time()
    await client.notify("$/cancel_request", {"requestId": prompt_id})
    try:
        result = await asyncio.wait_for(asyncio.shield(task), 10)
        late = loop.time() - sent
        if result.get("stopReason") != "cancelled" and late < RACE_WINDOW:
            raise NotTested(f"inconclusive: the turn ended {late:.2f} s after $/cancel_request")
        return f"answered with a result (stopReason {result.get('stopReason')})"
    except RpcError as error:
        check(
            error.code == -32800, f"answered error {error.code}; only a result or -32800 is allowed"
        )
        return "answered -32800"
    except TimeoutError:
        pass
    await client.cancel(session)  # v1 lets receivers ignore $/cancel_request: end the turn instead
    try:
        await asyncio.wait_for(task, 60)
    except TimeoutError:
        raise Fail(
            "the prompt was never answered after $/cancel_request and session/cancel"
        ) from None
    return "ignored $/cancel_request (allowed); answered after session/cancel"


class _Held(PermissionPolicy):
    """Hold every permission request until the test cancels the turn; then
    answer cancelled, as the spec requires of the client."""

    def __init__(self) -> None:
        super().__init__("ask", self._hold)
        self.asked = asyncio.Event()
        self.release = asyncio.Event()

    async def _hold(self, params: dict[str, Any]) -> str | None:
        self.asked.set()
        await self.release.wait()
        return None


@requirement(
    "PERM-001",
    "MUST",
    "cancel while a permission request is pending ends the turn cancelled",
    "§11 and §12 row 13 (v1/prompt-turn#cancellation): the client answers pending "
    "permission requests cancelled; the agent MUST then answer stopReason cancelled",
    needs="prompt",
)
async def cancel_during_permission(probe: Probe) -> str:
    policy = _Held()
    client, session = await probe.session(FULL, policy=policy)
    task = asyncio.create_task(
        client.prompt(session, probe.prompts.text("write_file", probe.ours), timeout=180)
    )
    asked = asyncio.create_task(policy.asked.wait())
    await asyncio.wait({task, asked}, timeout=120, return_when=asyncio.FIRST_COMPLETED)
    asked.cancel()
    if not policy.asked.is_set():
        if not task.done():
            task.cancel()
        raise (
            not_acting(probe, "no session/request_permission for the write")
            if probe.ours
            else NotTested(
                "the agent asked no permission for the write, so there was nothing to cancel"
            )
        )
    await client.cancel(session)
    policy.release.set()
    try:
        result = await asyncio.wait_for(task, 60)
    except RpcError as error:
        if error.code == -32000:
            raise
        raise Fail(f"error {error.code} instead of stopReason cancelled") from None
    check(result.get("stopReason") == "cancelled", f"stopReason {result.get('stopReason')!r}")
    return "cancelled while the permission request was pending"


@requirement(
    "PERM-002",
    "SHOULD",
    "a rejected permission means the tool does not run",
    "§11 (v1/tool-calls#requesting-permission): a reject outcome means do not run the tool",
    needs="prompt",
)
async def permission_rejected(probe: Probe) -> str:
    client, session = await probe.session(FULL, policy="deny")
    await turn(probe, client, session, "write_file")
    if not client.permissions.seen:
        raise NotTested("the agent asked no permission for the write")
    written = client.files.writes or os.path.exists(
        os.path.join(probe.cwd, "conformance-check.txt")
    )
    check(not written, "the file was written although the permission was rejected")
    return "rejected, and nothing was written"
