"""`acp-client trace` and `trace show` at their edges, through the real console
script: files that are not traces, a trace file that cannot be written, and
stdin/stdout that are regular files rather than an editor's pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
ACP_CLIENT = str(BIN / "acp-client")
ACP_SERVER = str(BIN / "acp-server")
USAGE_ERROR = 2


def _client(tmp_path: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    kwargs = {"stdout": subprocess.PIPE, **kwargs}
    return subprocess.run(
        [ACP_CLIENT, *args],
        stderr=subprocess.PIPE,
        env={"PATH": os.environ["PATH"], "ACP_SERVER_HOME": str(tmp_path / "home")},
        cwd=tmp_path,
        timeout=60,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )


def _not_traces(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "garbled.ndjson").write_text('{"ts": 0.1, "direction": "client->agent", "mess')
    (tmp_path / "list.ndjson").write_text("[1, 2, 3]\n")
    (tmp_path / "other.ndjson").write_text('{"ts": 1, "something": "else"}\n')
    (tmp_path / "binary.ndjson").write_bytes(b"\xff\xfe\x00\x81garbage\n")
    (tmp_path / "a-directory").mkdir()
    names = ["garbled.ndjson", "list.ndjson", "other.ndjson", "binary.ndjson", "a-directory"]
    cases = {name: tmp_path / name for name in names}
    cases["missing"] = tmp_path / "missing.ndjson"
    return cases


@pytest.mark.parametrize(
    "case",
    ["missing", "garbled.ndjson", "list.ndjson", "other.ndjson", "binary.ndjson", "a-directory"],
)
def test_trace_show_of_a_file_that_is_not_a_trace_is_one_line_naming_it(
    tmp_path: Path, case: str
) -> None:
    path = _not_traces(tmp_path)[case]
    done = _client(tmp_path, "trace", "show", str(path))
    stderr = done.stderr.decode()
    assert done.returncode == USAGE_ERROR
    assert b"Traceback" not in done.stderr
    assert len(stderr.strip().splitlines()) == 1 and str(path) in stderr


def test_trace_show_shows_the_entries_before_a_line_cut_short(tmp_path: Path) -> None:
    trace = tmp_path / "cut.ndjson"
    whole = {"ts": 0.1, "direction": "client->agent", "message": {"id": 0, "method": "initialize"}}
    trace.write_text(json.dumps(whole) + '\n{"ts": 0.2, "direc')
    done = _client(tmp_path, "trace", "show", str(trace))
    assert done.returncode == USAGE_ERROR and b"initialize" in done.stdout
    assert f"{trace}:2" in done.stderr.decode()


def test_trace_out_to_a_path_that_cannot_be_written_is_one_line_and_starts_no_agent(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "agent-started"
    agent = [sys.executable, "-c", f"open({str(marker)!r}, 'w')"]
    for out in (tmp_path / "no-such-dir" / "t.ndjson", tmp_path):
        done = _client(tmp_path, "trace", "--out", str(out), "--", *agent, stdin=subprocess.DEVNULL)
        assert done.returncode == USAGE_ERROR and b"Traceback" not in done.stderr
        assert len(done.stderr.decode().strip().splitlines()) == 1
        assert str(out) in done.stderr.decode()
    assert not marker.exists()


def test_trace_with_regular_files_on_stdin_and_stdout_answers_and_records_every_frame(
    tmp_path: Path,
) -> None:
    frames = tmp_path / "frames.ndjson"
    initialize = {"protocolVersion": 1, "clientCapabilities": {}}
    frames.write_text(
        json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": initialize}) + "\n"
    )
    replies, trace = tmp_path / "replies.ndjson", tmp_path / "trace.ndjson"
    agent = [ACP_SERVER, "--model", "scripted"]
    with frames.open("rb") as stdin, replies.open("wb") as stdout:
        done = _client(
            tmp_path, "trace", "--out", str(trace), "--", *agent, stdin=stdin, stdout=stdout
        )
    assert done.returncode == 0 and b"Traceback" not in done.stderr
    answered = [json.loads(line) for line in replies.read_text().splitlines()]
    assert [reply.get("id") for reply in answered] == [0] and "result" in answered[0]
    directions = [json.loads(line).get("direction") for line in trace.read_text().splitlines()]
    assert "client->agent" in directions and "agent->client" in directions
    shown = _client(tmp_path, "trace", "show", str(trace))
    assert shown.returncode == 0 and b"initialize" in shown.stdout
