"""Run requirements against an agent command, one fresh process each."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from editor_clients.conformance.probe import Fail, Probe, Skip
from editor_clients.conformance.requirements import REQUIREMENTS, Requirement, advertised
from protocol import RpcError

BLOCKING_TIERS = {"MUST", "CAPABILITY"}


@dataclass
class Outcome:
    id: str
    tier: str
    status: str  # pass | fail | skip
    detail: str
    rule: str
    transcript: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tier": self.tier,
            "status": self.status,
            "detail": self.detail,
            "rule": self.rule,
            "transcript": self.transcript,
        }


async def _capabilities(argv: Sequence[str], env: dict[str, str] | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="acp-conformance-") as cwd:
        probe = Probe(argv, cwd, env)
        try:
            await asyncio.wait_for(probe.ready(), 30)
            return probe.agent_caps()
        except (Exception, TimeoutError):
            return {}
        finally:
            await probe.close()


async def run_one(
    requirement: Requirement,
    argv: Sequence[str],
    env: dict[str, str] | None,
    caps: dict[str, Any],
    timeout: float,
) -> Outcome:
    if requirement.capability and not advertised(caps, requirement.capability):
        return Outcome(
            requirement.id,
            requirement.tier,
            "skip",
            f"not advertised: {requirement.capability}",
            requirement.rule,
        )
    with tempfile.TemporaryDirectory(prefix="acp-conformance-") as cwd:
        probe = Probe(argv, os.path.realpath(cwd), env)
        try:
            detail = await asyncio.wait_for(requirement.run(probe), timeout)
            status = "pass"
        except Skip as reason:
            status, detail = "skip", str(reason)
        except Fail as failure:
            status, detail = "fail", str(failure)
        except TimeoutError:
            status, detail = "fail", f"no result within {timeout:g} s"
        except RpcError as error:
            status, detail = "fail", f"unexpected error reply {error.code}: {error.message}"
        except (ConnectionError, OSError) as error:
            status, detail = "fail", f"the agent connection broke: {error}"
        except Exception as error:  # anything else the agent provoked is still a result
            status, detail = "fail", f"unexpected {type(error).__name__}: {error}"
        finally:
            transcript = probe.transcript()
            await probe.close()
    if requirement.tier == "INFO" and status == "fail":
        status = "skip"
    return Outcome(
        requirement.id,
        requirement.tier,
        status,
        detail,
        requirement.rule,
        transcript if status == "fail" else [],
    )


async def run_kit(
    argv: Sequence[str],
    *,
    only: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 60,
    parallel: int = 2,
) -> list[Outcome]:
    selected = [r for r in REQUIREMENTS if not only or r.id in only]
    caps = await _capabilities(argv, env)
    gate = asyncio.Semaphore(parallel)

    async def guarded(requirement: Requirement) -> Outcome:
        async with gate:
            return await run_one(requirement, argv, env, caps, timeout)

    return list(await asyncio.gather(*(guarded(r) for r in selected)))


def verdict(outcomes: Sequence[Outcome]) -> str:
    failed = any(o.status == "fail" and o.tier in BLOCKING_TIERS for o in outcomes)
    return "nonconformant" if failed else "conformant"
