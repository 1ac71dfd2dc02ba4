"""`acp-conformance [OPTIONS] -- AGENT_CMD...`: judge an ACP agent.

Exit code 0 only when the verdict is conformant; 1 for incomplete or
nonconformant; 2 for a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from editor_clients.conformance.model import REQUIREMENTS
from editor_clients.conformance.probe import AgentSpec, resolve_argv
from editor_clients.conformance.prompts import PromptPack, PromptPackError, load_pack
from editor_clients.conformance.report import render
from editor_clients.conformance.requirements import REQUIREMENTS as _registered  # noqa: F401
from editor_clients.conformance.runner import KIT_VERSION, run_kit

USAGE = "acp-conformance [OPTIONS] -- AGENT_CMD [ARGS...]"
EXAMPLES = """examples:
  acp-conformance -- acp-server --model scripted
  acp-conformance --report-json report.json -- npx @agentclientprotocol/some-agent
  acp-conformance --auth-method api-key --env API_KEY=... -- ./my-agent --stdio
  acp-conformance --only INIT-001 CANCEL-001 --parallel 1 -- python my_agent.py
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acp-conformance",
        usage=USAGE,
        description="Check an ACP agent against the protocol's requirements. Everything "
        "after `--` is the agent's command line.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--report-json", metavar="FILE", help="write the full report, with transcripts"
    )
    parser.add_argument(
        "--only", nargs="+", metavar="ID", default=[], help="run only these requirements"
    )
    parser.add_argument("--list", action="store_true", help="list the requirements and exit")
    parser.add_argument(
        "--timeout", type=float, default=120, help="seconds per requirement (default 120)"
    )
    parser.add_argument(
        "--startup-timeout",
        type=float,
        default=30,
        help="seconds to wait for the initialize reply (default 30)",
    )
    parser.add_argument(
        "--parallel", type=int, default=2, metavar="N", help="probes at a time (default 2)"
    )
    parser.add_argument(
        "--auth-method", metavar="ID", help="call authenticate with this method first"
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a variable in the agent's environment (repeatable)",
    )
    parser.add_argument(
        "--prompts", metavar="FILE", help="a TOML prompt pack (see docs/conformance.md)"
    )
    parser.add_argument("--version", action="version", version=f"acp-conformance {KIT_VERSION}")
    return parser


def main(argv: list[str] | None = None) -> int:
    from editor_clients.terminal.exits import guarded

    return guarded("acp-conformance", lambda: _main(list(sys.argv[1:] if argv is None else argv)))


def _main(args: list[str]) -> int:
    agent: list[str] = []
    if "--" in args:
        index = args.index("--")
        args, agent = args[:index], args[index + 1 :]
    parser = _parser()
    ns = parser.parse_args(args)
    if ns.list:
        for requirement in REQUIREMENTS:
            gate = f" (if {requirement.capability})" if requirement.capability else ""
            unstable = " unstable" if requirement.unstable else ""
            print(f"{requirement.id:11} {requirement.tier:10}{unstable} {requirement.rule}{gate}")
        return 0
    if not agent:
        parser.error("give the agent command after --, e.g. acp-conformance -- acp-server")
    unknown = set(ns.only) - {r.id for r in REQUIREMENTS}
    if unknown:
        parser.error(f"unknown requirement id(s): {', '.join(sorted(unknown))}; see --list")
    if ns.parallel < 1:
        parser.error("--parallel must be at least 1")
    env = {}
    for item in ns.env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--env wants KEY=VALUE, got {item!r}")
        env[key] = value
    try:
        prompts = load_pack(ns.prompts) if ns.prompts else PromptPack()
    except PromptPackError as error:
        parser.error(str(error))
    spec = AgentSpec(
        resolve_argv(agent),
        env=env,
        auth_method=ns.auth_method,
        startup_timeout=ns.startup_timeout,
        prompts=prompts,
    )
    report = asyncio.run(run_kit(spec, only=ns.only, timeout=ns.timeout, parallel=ns.parallel))
    render(report)
    if ns.report_json:
        with open(ns.report_json, "w", encoding="utf-8") as handle:
            json.dump(report.to_json(), handle, indent=2)
    return 0 if report.verdict == "conformant" else 1
