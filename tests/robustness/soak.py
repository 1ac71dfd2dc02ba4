"""Continuous turns against a real `acp-server`, sampling what could leak.

Each turn writes, reads and edits a file, runs a command and streams text,
with no editor capabilities (so the local file system and process runner do
the work); every 50 turns the session is closed and a new one opened. Every
`sample_every` turns it samples the server's RSS, open file descriptors,
threads and child processes from /proc.

    python -m tests.robustness.soak --minutes 30     # the long variant, documented
    (tests/robustness/test_soak.py runs a short one in CI)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ACP_SERVER = str(Path(sys.executable).with_name("acp-server"))
TURNS_PER_SESSION = 50


@dataclass
class Sample:
    turn: int
    seconds: float
    rss_kb: int
    fds: int  # open descriptors other than journal files
    journals: int  # journal files open (the current one, one being ingested)
    threads: int
    children: int


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _children(pid: int) -> int:
    return sum(
        len((task / "children").read_text().split()) for task in Path(f"/proc/{pid}/task").iterdir()
    )


def _descriptors(pid: int) -> tuple[int, int]:
    """(other descriptors, journal files): a journal is open or not depending on
    whether the ingest thread is between two of them, so it is counted apart."""
    others = journals = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            continue  # closed while we looked
        if target.endswith(".journal"):
            journals += 1
        else:
            others += 1
    return others, journals


def sample(pid: int, turn: int, started: float) -> Sample:
    """Counts taken as the least of a few reads 20 ms apart: a thread that waits
    for a command just reaped, or a journal between two ingests, is gone a moment
    later, while a leak stays."""
    reads = []
    for _ in range(5):
        reads.append((*_descriptors(pid), _status(pid, "Threads"), _children(pid)))
        time.sleep(0.02)
    return Sample(
        turn=turn,
        seconds=round(time.monotonic() - started, 1),
        rss_kb=_status(pid, "VmRSS"),
        fds=min(r[0] for r in reads),
        journals=min(r[1] for r in reads),
        threads=min(r[2] for r in reads),
        children=min(r[3] for r in reads),
    )


class _Server:
    def __init__(self, home: Path) -> None:
        env = {"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(home)}
        self.process = subprocess.Popen(
            [ACP_SERVER, "--model", "scripted", "--mode", "yolo"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.ids = 0

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin and self.process.stdout
        self.ids += 1
        frame = {"jsonrpc": "2.0", "id": self.ids, "method": method, "params": params}
        self.process.stdin.write(json.dumps(frame).encode() + b"\n")
        self.process.stdin.flush()
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"the server exited during {method}")
            reply = json.loads(line)
            if reply.get("id") == self.ids and "method" not in reply:
                if "error" in reply:
                    raise RuntimeError(f"{method} failed: {reply['error']}")
                return dict(reply["result"])

    def close(self) -> int:
        assert self.process.stdin
        self.process.stdin.close()
        return self.process.wait(timeout=10)


def run_soak(
    *, turns: int | None = None, minutes: float | None = None, sample_every: int = 25
) -> list[Sample]:
    """Run until `turns` turns or `minutes` have passed; return the samples."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        server = _Server(root / "home")
        workdir = root / "work"
        workdir.mkdir()
        server.call("initialize", {"protocolVersion": 1})
        started = time.monotonic()
        deadline = started + minutes * 60 if minutes is not None else None
        samples: list[Sample] = []
        session = ""
        turn = 0
        while (turns is None or turn < turns) and (deadline is None or time.monotonic() < deadline):
            if turn % TURNS_PER_SESSION == 0:
                if session:
                    server.call("session/close", {"sessionId": session})
                session = server.call("session/new", {"cwd": str(workdir), "mcpServers": []})[
                    "sessionId"
                ]
            name = f"f{turn % 10}.txt"
            script = (
                f"write {name} turn {turn}\n"
                f"read {name}\n"
                f"edit {name} turn {turn} => done {turn}\n"
                f"run echo {turn}\n"
                f"stream 50 20"
            )
            result = server.call(
                "session/prompt",
                {"sessionId": session, "prompt": [{"type": "text", "text": script}]},
            )
            if result["stopReason"] != "end_turn":
                raise RuntimeError(f"turn {turn} ended with {result['stopReason']}")
            turn += 1
            if turn % sample_every == 0:
                samples.append(sample(server.process.pid, turn, started))
        code = server.close()
        if code != 0:
            raise RuntimeError(f"the server exited with {code}")
        return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--sample-every", type=int, default=500)
    args = parser.parse_args()
    samples = run_soak(minutes=args.minutes, sample_every=args.sample_every)
    print("| turns | minutes | RSS MB | fds | journals open | threads | children |")
    print("|---|---|---|---|---|---|---|")
    for s in samples:
        print(
            f"| {s.turn} | {s.seconds / 60:.1f} | {s.rss_kb / 1024:.1f} | {s.fds} | "
            f"{s.journals} | {s.threads} | {s.children} |"
        )
    print(json.dumps([asdict(s) for s in samples]), file=sys.stderr)


if __name__ == "__main__":
    main()
