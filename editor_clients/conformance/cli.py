"""`acp-conformance [--report-json FILE] [--only ID...] [--list] -- AGENT_CMD...`

Exit code 0 only when the agent is conformant (no MUST or CAPABILITY failure).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from editor_clients.conformance.requirements import REQUIREMENTS
from editor_clients.conformance.runner import run_kit, verdict


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    agent: list[str] = []
    if "--" in args:
        index = args.index("--")
        args, agent = args[:index], args[index + 1 :]
    parser = argparse.ArgumentParser(
        prog="acp-conformance",
        description="Check an ACP agent against the protocol's requirements.",
    )
    parser.add_argument("--report-json", metavar="FILE")
    parser.add_argument("--only", nargs="+", metavar="ID", default=[])
    parser.add_argument("--list", action="store_true", help="list the requirements and exit")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per requirement")
    parser.add_argument("--version", action="version", version="acp-conformance 0.1.0")
    ns = parser.parse_args(args)
    if ns.list:
        for requirement in REQUIREMENTS:
            print(f"{requirement.id:11} {requirement.tier:10} {requirement.rule}")
        return 0
    if not agent:
        parser.error("give the agent command after --")
    unknown = set(ns.only) - {r.id for r in REQUIREMENTS}
    if unknown:
        parser.error(f"unknown requirement id(s): {', '.join(sorted(unknown))}")
    outcomes = asyncio.run(run_kit(agent, only=ns.only, timeout=ns.timeout))
    result = verdict(outcomes)
    _human(outcomes, result)
    if ns.report_json:
        with open(ns.report_json, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "verdict": result,
                    "agent": agent,
                    "requirements": [o.to_json() for o in outcomes],
                },
                handle,
                indent=2,
            )
    return 0 if result == "conformant" else 1


def _human(outcomes: list, result: str) -> None:  # type: ignore[type-arg]
    from rich.console import Console

    console = Console(highlight=False)
    colours = {"pass": "green", "fail": "red", "skip": "yellow"}
    for outcome in outcomes:
        console.print(
            f"[{colours[outcome.status]}]{outcome.status.upper():4}[/] {outcome.id:11} {outcome.tier:10} {outcome.detail}",
            markup=True,
        )
    counts = {s: sum(o.status == s for o in outcomes) for s in ("pass", "fail", "skip")}
    console.print(
        f"\n[bold]{result}[/]: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped"
    )
