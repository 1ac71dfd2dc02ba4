"""Run requirements against an agent, one fresh process (and HOME) per probe.

Order: INIT-001 first. An agent that never answers initialize gets one line,
with its stderr tail, and nothing else is tried. Then the gates SESS-001 and
PROMPT-001: when one cannot get its step done (an error reply, a refusal for
authentication), what depends on it is not-tested, naming the prerequisite,
instead of failing again with the same transcript. Everything else runs
`parallel` at a time. Last, the invariants seen on every probe's frames are
folded into their requirements (see `invariants`).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from editor_clients.conformance.invariants import INVARIANTS, Observations, observe
from editor_clients.conformance.model import (
    GATES,
    REQUIREMENTS,
    Outcome,
    Requirement,
    advertised,
    outcome_for,
    verdict,
)
from editor_clients.conformance.outcomes import Fail, NotTested, Skip
from editor_clients.conformance.probe import (
    AUTH_REQUIRED,
    AgentDidNotStart,
    AgentSpec,
    Probe,
    auth_blocked,
)
from protocol import RpcError
from protocol.json_types import JsonObject

KIT_VERSION = "0.2.0"
NEVER_STARTED = "never-started"


@dataclass
class Evidence:
    """One probe's invariant observations, with its transcript for the report."""

    requirement: str
    observations: Observations
    transcript: list[JsonObject]
    stderr_tail: str


@dataclass
class Report:
    verdict: str
    outcomes: list[Outcome]
    header: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {
            "verdict": self.verdict,
            **self.header,
            "requirements": [o.to_json() for o in self.outcomes],
        }


@dataclass
class _Run:
    spec: AgentSpec
    timeout: float
    caps: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    blocked: dict[str, str] = field(default_factory=dict)  # level -> why it cannot be used
    evidence: list[Evidence] = field(default_factory=list)

    async def one(self, requirement: Requirement) -> Outcome:
        if requirement.capability and not advertised(self.caps, requirement.capability):
            return outcome_for(requirement, "skip", f"not advertised: {requirement.capability}")
        if requirement.needs in self.blocked:
            return outcome_for(requirement, "not-tested", self.blocked[requirement.needs])
        root = tempfile.mkdtemp(prefix="acp-conformance-")
        loop = asyncio.get_running_loop()
        start = loop.time()
        probe = Probe(self.spec, root)
        try:
            status, detail = await self._judge(requirement, probe)
        finally:
            await probe.close()
        outcome = outcome_for(requirement, status, detail, duration=loop.time() - start)
        if requirement.id == "INIT-001" and probe.info:
            self.info, self.caps = probe.info, probe.agent_caps()
            self.info["startup"] = probe.startup
        if status == "fail":
            outcome.transcript, outcome.stderr_tail = probe.transcript(), probe.stderr_tail()
        if requirement.tier == "INFO" and status == "fail":
            outcome.status = "not-tested"
        found = observe(probe)
        keep = bool(found.violations)  # transcripts only where a violation needs them
        self.evidence.append(
            Evidence(
                requirement.id,
                found,
                probe.transcript() if keep else [],
                probe.stderr_tail() if keep else "",
            )
        )
        self._gate(requirement, outcome, probe)
        shutil.rmtree(root, ignore_errors=True)
        return outcome

    async def _judge(self, requirement: Requirement, probe: Probe) -> tuple[str, str]:
        try:
            return "pass", await asyncio.wait_for(requirement.run(probe), self.timeout)
        except Skip as reason:
            return "skip", str(reason)
        except NotTested as reason:
            return "not-tested", str(reason)
        except Fail as failure:
            return "fail", str(failure)
        except AgentDidNotStart as error:
            return "fail", str(error)
        except TimeoutError:
            return "fail", f"no result within {self.timeout:g} s (--timeout)"
        except RpcError as error:
            if error.code == AUTH_REQUIRED:
                return "not-tested", str(auth_blocked(probe, "a request"))
            return "fail", f"unexpected error reply {error.code}: {error.message}"
        except (ConnectionError, OSError) as error:
            return "fail", f"the agent connection broke: {error}"
        except Exception as error:  # anything else the agent provoked is still a result
            return "fail", f"unexpected {type(error).__name__}: {error}"

    def _gate(self, requirement: Requirement, outcome: Outcome, probe: Probe) -> None:
        """A gate that could not do its step blocks what needs that level."""
        for level, gate in GATES.items():
            if requirement.id != gate or level in probe.reached:
                continue
            if outcome.status == "not-tested":
                reason = outcome.detail
            else:
                reason = f"not tested (prerequisite {gate} failed)"
            for later in list(GATES)[list(GATES).index(level) :]:
                self.blocked.setdefault(later, reason)


def _selection(only: Sequence[str]) -> tuple[list[Requirement], list[Requirement]]:
    chosen = [r for r in REQUIREMENTS if not only or r.id in only]
    needed = {r.needs for r in chosen}
    levels = list(GATES)
    deepest = max((levels.index(n) for n in needed if n in GATES), default=-1)
    gate_ids = {GATES[level] for level in levels[: deepest + 1]} | {
        r.id for r in chosen if r.id in GATES.values()
    }
    gates = [r for r in REQUIREMENTS if r.id in gate_ids or r.id == "INIT-001"]
    gates.sort(key=lambda r: list(GATES.values()).index(r.id))
    rest = [r for r in chosen if r.id not in gate_ids and r.id != "INIT-001"]
    return gates, rest


async def run_kit(
    spec: AgentSpec, *, only: Sequence[str] = (), timeout: float = 120, parallel: int = 2
) -> Report:
    run = _Run(spec, timeout)
    gates, rest = _selection(only)
    outcomes: dict[str, Outcome] = {}
    for gate in gates:
        outcomes[gate.id] = await run.one(gate)
    first = outcomes.get("INIT-001")
    if first is not None and first.status == "fail" and _never_started(first):
        return Report("nonconformant", [first], _header(spec, run))
    limit = asyncio.Semaphore(max(1, parallel))

    async def guarded(requirement: Requirement) -> Outcome:
        async with limit:
            return await run.one(requirement)

    for outcome in await asyncio.gather(*(guarded(r) for r in rest)):
        outcomes[outcome.id] = outcome
    _fold_invariants(outcomes, run.evidence)
    ordered = [outcomes[r.id] for r in REQUIREMENTS if r.id in outcomes]
    return Report(verdict(ordered), ordered, _header(spec, run))


def _never_started(outcome: Outcome) -> bool:
    return outcome.detail.startswith(("exited before answering initialize", "no initialize reply"))


def _header(spec: AgentSpec, run: _Run) -> dict[str, Any]:
    return {
        "kit": f"acp-conformance {KIT_VERSION}",
        "agent": list(spec.argv),
        "agentInfo": run.info.get("agentInfo"),
        "agentCapabilities": run.caps,
        "authMethods": run.info.get("authMethods") or [],
        "authMethod": spec.auth_method,
        "startupSeconds": round(run.info["startup"], 3) if run.info.get("startup") else None,
        "prompts": spec.prompts.source or "built-in",
    }


NOTHING_SEEN = {
    "TURN-001": "no prompt turn was answered in any probe",
    "TOOL-001": "the agent made no tool call in any finished turn",
    "CAP-001": "no turn ran with a capability withheld",
    "CAP-002": "no session update was received",
    "TERM-001": "the agent created no terminal in any probe",
    "SCHEMA-001": "no frame was received",
    "EXT-002": "no frame was received",
    "IO-001": "nothing was read from stdout",
}


def _fold_invariants(outcomes: dict[str, Outcome], evidence: list[Evidence]) -> None:
    for rid in INVARIANTS:
        outcome = outcomes.get(rid)
        if outcome is None or outcome.status == "skip":
            continue
        broken = [(e, v) for e in evidence for v in e.observations.violations.get(rid, [])]
        seen = sum(e.observations.seen.get(rid, 0) for e in evidence)
        if broken:
            source, detail = broken[0]
            more = f"; {len(broken) - 1} more" if len(broken) > 1 else ""
            outcome.status = "fail"
            outcome.detail = f"{detail} (seen in the {source.requirement} probe{more})"
            outcome.transcript, outcome.stderr_tail = source.transcript, source.stderr_tail
        elif outcome.status == "fail":
            continue  # its own probe failed for another reason; that stands
        elif seen == 0:
            if outcome.status == "pass" or not outcome.detail:
                outcome.status, outcome.detail = "not-tested", NOTHING_SEEN[rid]
        else:
            outcome.status = "pass"
            outcome.detail = f"{seen} checked across the run, none broken"
