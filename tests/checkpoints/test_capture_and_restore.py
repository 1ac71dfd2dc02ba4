"""Checkpoints of real files, and rewinds that put them back byte for byte."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import msgspec
import pytest

from acp_server.checkpoints import Caps, finish, listing, prepare, render_diff
from acp_server.store import SessionStore
from agent.checkpoints import RecordingFileSystem
from agent.localhost import LocalFileSystem
from agent.ports import FileAccessError, FileSystem
from tests.checkpoints.support import new_session, run_turn


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    opened = SessionStore.open(tmp_path / "home" / "sessions.db")
    new_session(opened)
    yield opened  # type: ignore[misc]
    opened.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def _rewind(store: SessionStore, turn: int, **kwargs: object) -> object:
    record = store.get("s1")
    assert record is not None
    prepared = prepare(store, "s1", turn)
    result, _ = await finish(store, "s1", prepared, messages=record.messages, **kwargs)  # type: ignore[arg-type]
    return result


def test_the_recording_file_system_is_a_file_system() -> None:
    class Nothing:
        async def before_write(self, path: str, content: str) -> None:
            return None

    assert isinstance(RecordingFileSystem(LocalFileSystem(), Nothing()), FileSystem)


async def test_a_turn_that_creates_edits_and_overwrites_is_undone_byte_for_byte(
    store: SessionStore, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    big = work / "big.bin"
    big_bytes = os.urandom(3 * 1024 * 1024)  # 3 MB, not text: overwritten whole
    big.write_bytes(big_bytes)
    script = work / "run.sh"
    script.write_bytes(b"#!/bin/sh\necho old\r\n")
    script.chmod(0o751)
    odd = Path(os.fsdecode(bytes(work) + b"/caf\xe9.txt"))  # a name that is not UTF-8
    odd.write_bytes(b"latin-1 name\n")
    created = work / "new" / "made.txt"
    created.parent.mkdir()

    await run_turn(
        store,
        "change everything",
        [
            (str(big), "now text"),
            (str(script), "#!/bin/sh\necho new\n"),
            (str(script), "#!/bin/sh\necho newer\n"),  # a second write in the same turn
            (str(odd), "rewritten"),
            (str(created), "fresh"),
        ],
    )
    assert script.read_bytes() == b"#!/bin/sh\necho newer\n" and created.exists()

    result = await _rewind(store, 1)

    assert big.read_bytes() == big_bytes
    assert script.read_bytes() == b"#!/bin/sh\necho old\r\n" and _mode(script) == 0o751
    assert odd.read_bytes() == b"latin-1 name\n"
    assert not created.exists()
    assert sorted(result.restored) == sorted(map(str, (big, script, odd, created)))  # type: ignore[attr-defined]
    assert result.conflicts == ()  # type: ignore[attr-defined]


async def test_blobs_are_private_and_stored_once_per_content(
    store: SessionStore, tmp_path: Path
) -> None:
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_text("same")
    two.write_text("same")
    await run_turn(store, "t", [(str(one), "a"), (str(two), "b")])
    root = tmp_path / "home" / "checkpoints"
    blobs = [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert len(blobs) == 1
    assert _mode(blobs[0]) == 0o600 and _mode(blobs[0].parent) == 0o700 and _mode(root) == 0o700


async def test_rewind_to_an_earlier_turn_cuts_replay_history_usage_and_title(
    store: SessionStore, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("v0")
    for n in (1, 2, 3):
        await run_turn(store, f"turn {n}\nmore", [(str(notes), f"v{n}")])
    assert store.get("s1").title == "turn 1\nmore"  # type: ignore[union-attr]

    await _rewind(store, 2)

    assert notes.read_text() == "v1"
    record = store.get("s1")
    assert record is not None
    assert [m["role"] for m in record.messages] == ["user", "assistant"]
    texts = [msgspec.json.decode(u)["content"]["text"] for u in store.updates("s1")]
    assert texts == ["turn 1\nmore", "ok"]
    assert [row["turn"] for row in store.usage("s1")] == [1]
    assert record.cost_usd == pytest.approx(0.5)
    assert [t.turn for t in listing(store, "s1")] == [1]
    # The next turn is numbered 2 again, and rewinding to 1 clears the title.
    await run_turn(store, "again", [(str(notes), "v2b")])
    await _rewind(store, 1)
    assert notes.read_text() == "v0" and store.get("s1").title is None  # type: ignore[union-attr]
    assert store.updates("s1") == [] and store.get("s1").messages == []  # type: ignore[union-attr]


async def test_a_file_the_user_changed_since_is_a_conflict_kept_when_skipped(
    store: SessionStore, tmp_path: Path
) -> None:
    mine, theirs = tmp_path / "mine.txt", tmp_path / "theirs.txt"
    mine.write_text("a0")
    theirs.write_text("b0")
    await run_turn(store, "t", [(str(mine), "a1"), (str(theirs), "b1")])
    theirs.write_text("user edit")

    prepared = prepare(store, "s1", 1)
    assert [c.path for c in prepared.plan.conflicts] == [str(theirs)]
    diff = render_diff(str(theirs), theirs.read_bytes(), b"b0")
    assert "-user edit" in diff and "+b0" in diff

    result = await _rewind(store, 1, skip={str(theirs)})
    assert mine.read_text() == "a0" and theirs.read_text() == "user edit"
    assert result.skipped == (str(theirs),) and result.conflicts == (str(theirs),)  # type: ignore[attr-defined]


async def test_a_created_file_the_user_then_deleted_needs_nothing(
    store: SessionStore, tmp_path: Path
) -> None:
    made = tmp_path / "made.txt"
    await run_turn(store, "t", [(str(made), "x")])
    made.unlink()
    prepared = prepare(store, "s1", 1)
    assert prepared.plan.work == [] and prepared.plan.conflicts == []


async def test_a_write_that_never_landed_is_no_conflict(
    store: SessionStore, tmp_path: Path
) -> None:
    class Failing(LocalFileSystem):
        async def write_text(self, path: str, content: str) -> None:
            raise FileAccessError("disk said no")

    kept = tmp_path / "kept.txt"
    kept.write_text("before")
    capture = await run_turn(store, "t", [])
    with pytest.raises(FileAccessError):
        await RecordingFileSystem(Failing(), capture).write_text(str(kept), "after")
    prepared = prepare(store, "s1", 1)
    assert prepared.plan.conflicts == [] and prepared.plan.work == []


async def test_restoring_through_a_writer_callback_ends_exact_on_disk(
    store: SessionStore, tmp_path: Path
) -> None:
    text, binary = tmp_path / "t.txt", tmp_path / "b.bin"
    text.write_text("line\n")
    text.chmod(0o600)
    binary.write_bytes(b"\xff\xfe\0")
    await run_turn(store, "t", [(str(text), "changed"), (str(binary), "changed")])
    asked: list[str] = []

    async def editor(path: str, content: str) -> None:
        asked.append(path)
        Path(path).write_text(content)  # the editor saves what it was given

    await _rewind(store, 1, writer=editor)
    assert asked == [str(text)]  # binary content never goes through a text write
    assert text.read_text() == "line\n" and _mode(text) == 0o600
    assert binary.read_bytes() == b"\xff\xfe\0"


async def test_an_unreadable_file_refuses_the_write_rather_than_lose_it(
    store: SessionStore, tmp_path: Path
) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    locked = tmp_path / "locked.txt"
    locked.write_text("secret")
    locked.chmod(0o200)
    capture = await run_turn(store, "t", [])
    with pytest.raises(FileAccessError):
        await RecordingFileSystem(LocalFileSystem(), capture).write_text(str(locked), "x")
    locked.chmod(0o600)
    assert locked.read_text() == "secret"


async def test_the_oldest_turns_go_over_the_cap_but_never_the_last(
    store: SessionStore, tmp_path: Path
) -> None:
    caps = Caps(max_session_bytes=2500, max_total_bytes=10**9)
    files = [tmp_path / f"f{n}" for n in range(4)]
    for n, path in enumerate(files):
        path.write_bytes(bytes([65 + n]) * 1000)
        await run_turn(store, f"t{n + 1}", [(str(path), "x")], caps=caps)
    summaries = listing(store, "s1")
    assert [s.dropped for s in summaries] == [True, True, False, False]
    from acp_server.checkpoints import RewindError

    with pytest.raises(RewindError):
        prepare(store, "s1", 2)
    await _rewind(store, 3)
    assert files[2].read_bytes() == b"C" * 1000 and files[3].read_bytes() == b"D" * 1000
    # A single last turn over the cap keeps its checkpoint: /undo always works.
    huge = tmp_path / "huge"
    huge.write_bytes(b"h" * 5000)
    await run_turn(store, "big", [(str(huge), "x")], caps=caps)
    await _rewind(store, listing(store, "s1")[-1].turn)
    assert huge.read_bytes() == b"h" * 5000


async def test_deleting_or_pruning_a_session_removes_its_checkpoints(
    store: SessionStore, tmp_path: Path
) -> None:
    target = tmp_path / "f.txt"
    target.write_text("unique content of s1")
    await run_turn(store, "t", [(str(target), "x")])
    new_session(store, "s2")
    other = tmp_path / "g.txt"
    other.write_text("unique content of s2")
    await run_turn(store, "t", [(str(other), "y")], session_id="s2")
    assert store.checkpoints.blobs.size()[0] == 2

    store.delete("s1")
    assert store.checkpoints.blobs.size()[0] == 1 and store.checkpoints.files("s1") == []
    assert store.prune(older_than_days=-1) == 1
    assert store.checkpoints.blobs.size() == (0, 0)
    assert store.checkpoints.turns("s2") == []


def test_the_caps_are_settings_with_a_lower_bound(tmp_path: Path) -> None:
    from acp_server.config import ConfigError, load_config

    home = tmp_path / "cfg"
    home.mkdir()
    (home / "config.yaml").write_text("checkpoints:\n  max_session_bytes: 1000\n")
    config = load_config(home, env={})
    assert config.checkpoints.max_session_bytes == 1000 and config.checkpoints.enabled
    (home / "config.yaml").write_text("checkpoints:\n  max_total_bytes: 0\n")
    with pytest.raises(ConfigError, match=r"checkpoints\.max_total_bytes"):
        load_config(home, env={})


def test_the_cut_follows_a_turns_first_message_after_compaction_moved_it() -> None:
    from acp_server.checkpoints import RewindError, history_cut, message_mark
    from acp_server.store.checkpoints import TurnRow

    first = {"role": "user", "content": [{"type": "text", "text": "turn 3"}]}
    row = TurnRow(3, 0.0, "turn 3", 1, 4, message_mark(first), None, False, False, False)
    compacted = [{"role": "user", "content": "summary"}, dict(first), {"role": "assistant"}]
    assert history_cut(compacted, row) == 1  # it was at 4 before the head was summarised
    with pytest.raises(RewindError):
        history_cut([{"role": "user", "content": "summary"}], row)
