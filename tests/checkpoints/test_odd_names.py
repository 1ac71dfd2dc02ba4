"""A file whose name is not UTF-8 is listed by its checkpoint with U+FFFD for
each undecodable byte, as every other place shows such names, in the
`_acp_server/checkpoints` answer and in `sessions checkpoints --json` alike
(both are one function); before, the listing showed `?` and the command line
built its own copy of the rows."""

from __future__ import annotations

import json
import os
from pathlib import Path

from acp_server.checkpoints.live import wire_listing
from acp_server.store import SessionStore
from tests.checkpoints.support import new_session, run_turn
from tests.cli.test_commands import run


async def test_a_non_utf8_file_name_is_listed_with_the_replacement_character(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    odd = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.txt")  # a lone surrogate
    store = SessionStore.open(home / "sessions.db")
    new_session(store, "sess_odd")
    await run_turn(store, "write it", [(odd, "new")], session_id="sess_odd")
    wire = wire_listing(store, "sess_odd")
    store.close()
    shown = f"{tmp_path}/caf\ufffd.txt"
    assert wire[0]["files"] == [shown]
    assert os.path.exists(os.fsencode(str(tmp_path)) + b"/caf\xe9.txt")
    done = run(home, "sessions", "checkpoints", "sess_odd", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(json.dumps(wire))
