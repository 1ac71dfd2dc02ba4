"""The kit's vocabulary: requirements, their tiers, outcomes and the verdict.

Tiers come from the spec's own words, and every requirement cites the rule it
checks: MUST (the spec says must; a failure makes the agent nonconformant),
CAPABILITY (a must that applies only when the agent advertises the capability
named), SHOULD (reported, never changes the verdict) and INFO (recorded only).
A requirement on an unstable method never changes the verdict, whatever its tier.

Statuses: `pass`, `fail`, `skip` (not applicable: the capability is not
advertised) and `not-tested` (applicable, but it could not be judged: blocked
by authentication, a prerequisite failed, the agent did not act).

Verdict: `conformant` only with no MUST or CAPABILITY failure and no MUST or
CAPABILITY left not-tested; `incomplete` with no failure but something left
not-tested; `nonconformant` otherwise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from protocol.json_types import JsonObject, JsonValue

if TYPE_CHECKING:
    from editor_clients.conformance.probe import Probe

BLOCKING_TIERS = ("MUST", "CAPABILITY")
STATUSES = ("pass", "fail", "skip", "not-tested")

# What a requirement needs before it can be judged; each level's gate is the
# requirement that proves it (INIT-001, SESS-001, PROMPT-001).
GATES = {"init": "INIT-001", "session": "SESS-001", "prompt": "PROMPT-001"}


Run = Callable[["Probe"], Awaitable[str]]


@dataclass(frozen=True)
class Requirement:
    id: str
    tier: str
    rule: str
    cite: str  # the spec's words, with the page or §12 row they come from
    run: Run
    capability: str | None = None  # dotted path into agentCapabilities
    needs: str | None = "init"  # None (raw stdio), "init", "session" or "prompt"
    unstable: bool = False  # an unstable method: never changes the verdict

    @property
    def blocking(self) -> bool:
        return self.tier in BLOCKING_TIERS and not self.unstable


REQUIREMENTS: list[Requirement] = []


def requirement(
    id: str,
    tier: str,
    rule: str,
    cite: str,
    *,
    capability: str | None = None,
    needs: str | None = "init",
    unstable: bool = False,
) -> Callable[[Run], Run]:
    def register(fn: Run) -> Run:
        REQUIREMENTS.append(Requirement(id, tier, rule, cite, fn, capability, needs, unstable))
        return fn

    return register


def advertised(caps: JsonObject, path: str) -> bool:
    node: JsonValue = caps
    for part in path.split("."):
        if not isinstance(node, dict) or node.get(part) in (None, False):
            return False
        node = node[part]
    return True


@dataclass
class Outcome:
    id: str
    tier: str
    status: str
    detail: str
    rule: str
    cite: str = ""
    unstable: bool = False
    duration: float = 0.0
    transcript: list[JsonObject] = field(default_factory=list)
    stderr_tail: str = ""

    @property
    def blocking(self) -> bool:
        return self.tier in BLOCKING_TIERS and not self.unstable

    def to_json(self) -> JsonObject:
        return {
            "id": self.id,
            "tier": self.tier,
            "status": self.status,
            "detail": self.detail,
            "rule": self.rule,
            "cite": self.cite,
            "unstable": self.unstable,
            "duration": round(self.duration, 3),
            "transcript": [*self.transcript],
            "stderrTail": self.stderr_tail,
        }


def outcome_for(
    requirement: Requirement, status: str, detail: str, *, duration: float = 0.0
) -> Outcome:
    return Outcome(
        requirement.id,
        requirement.tier,
        status,
        detail,
        requirement.rule,
        requirement.cite,
        requirement.unstable,
        duration,
    )


def verdict(outcomes: Sequence[Outcome]) -> str:
    if any(o.status == "fail" and o.blocking for o in outcomes):
        return "nonconformant"
    if any(o.status == "not-tested" and o.blocking for o in outcomes):
        return "incomplete"
    return "conformant"


def untested(outcomes: Sequence[Outcome]) -> list[str]:
    """The MUST and CAPABILITY requirements an `incomplete` verdict is waiting on."""
    return [o.id for o in outcomes if o.status == "not-tested" and o.blocking]
