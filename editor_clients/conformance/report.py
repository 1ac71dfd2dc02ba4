"""The human report: a header, one line per requirement, the evidence of every
failure, and the verdict. Colour and wrapping only on a terminal; piped output
is plain lines, never wrapped, so logs and greps see whole lines."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from editor_clients.conformance.model import STATUSES, Outcome, untested
from editor_clients.conformance.runner import Report
from protocol.json_types import get_list, objects

COLOURS = {"pass": "green", "fail": "red", "skip": "yellow", "not-tested": "magenta"}


def render(report: Report, stream: TextIO | None = None, *, evidence_lines: int = 12) -> None:
    out = stream or sys.stdout
    if out.isatty():
        from rich.console import Console

        console = Console(file=out, highlight=False)

        def emit(text: str, status: str | None = None) -> None:
            colour = COLOURS.get(status or "")
            console.print(
                f"[{colour}]{text}[/]" if colour else text, markup=bool(colour), soft_wrap=False
            )
    else:

        def emit(text: str, status: str | None = None) -> None:
            print(text, file=out)

    for line in _header(report):
        emit(line)
    for outcome in report.outcomes:
        emit(_line(outcome), outcome.status)
        if outcome.status == "fail":
            for line in _evidence(outcome, evidence_lines):
                emit(f"      {line}")
    emit("")
    emit(_summary(report), "fail" if report.verdict == "nonconformant" else None)


def _header(report: Report) -> list[str]:
    head = report.header
    lines = [f"{head.get('kit')} against {' '.join(str(a) for a in get_list(head, 'agent'))}"]
    if head.get("agentInfo") is not None:
        lines.append(f"agentInfo: {json.dumps(head['agentInfo'])}")
        lines.append(f"agentCapabilities: {json.dumps(head.get('agentCapabilities'))}")
        methods = ", ".join(str(m.get("id")) for m in objects(head.get("authMethods"))) or "none"
        lines.append(
            f"auth methods: {methods}; authenticated with: {head.get('authMethod') or 'none'}"
        )
    if head.get("startupSeconds") is not None:
        lines.append(f"startup: initialize answered after {head['startupSeconds']:.2f} s")
    lines.append(f"prompts: {head.get('prompts')}")
    return [*lines, ""]


def _line(outcome: Outcome) -> str:
    tier = f"{outcome.tier}{'*' if outcome.unstable else ''}"
    return f"{outcome.status.upper():10} {outcome.id:11} {tier:11} {outcome.duration:6.2f}s  {outcome.detail}"


def _evidence(outcome: Outcome, limit: int) -> list[str]:
    lines = [f"rule: {outcome.rule} [{outcome.cite}]"]
    for row in outcome.transcript[-limit:]:
        arrow = "->" if row["direction"] == "client->agent" else "<-"
        lines.append(f"{row['t']:8.3f} {arrow} {json.dumps(row['frame'])[:200]}")
    if len(outcome.transcript) > limit:
        lines.insert(
            1, f"(last {limit} of {len(outcome.transcript)} frames; --report-json has all)"
        )
    if outcome.stderr_tail:
        lines.append("agent stderr (tail):")
        lines += [f"  {line}" for line in outcome.stderr_tail.splitlines()[-8:]]
    return lines


def _summary(report: Report) -> str:
    counts = {s: sum(o.status == s for o in report.outcomes) for s in STATUSES}
    text = f"{report.verdict}: " + ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    waiting = untested(report.outcomes)
    if report.verdict == "incomplete" and waiting:
        text += f"\nnot tested (MUST/CAPABILITY): {', '.join(waiting)}"
    return text + "\n(* unstable method: never changes the verdict)"
