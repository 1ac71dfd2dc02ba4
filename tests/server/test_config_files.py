"""When a new session re-reads the configuration: acp_server/server/config_files.py."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from acp_server.server.config_files import ConfigFiles


def test_nothing_changed_reads_as_unchanged(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("model: scripted\n")
    files = ConfigFiles(str(tmp_path))
    assert not files.changed()
    (tmp_path / "sessions.db-wal").write_bytes(b"")  # the home's own churn is not a change
    assert not files.changed()


def test_a_config_file_created_removed_or_replaced_is_seen(tmp_path: Path) -> None:
    files = ConfigFiles(str(tmp_path))
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-new\n")
    assert files.changed()
    files = ConfigFiles(str(tmp_path))
    (tmp_path / ".env").unlink()
    assert files.changed()
    (tmp_path / "config.yaml").write_text("model: a\n")
    files = ConfigFiles(str(tmp_path))
    (tmp_path / "new.yaml").write_text("model: b\n")
    os.replace(tmp_path / "new.yaml", tmp_path / "config.yaml")  # an editor's atomic save
    assert files.changed()


def test_an_edit_in_place_is_seen_even_at_the_same_size(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("model: aaaa\n")
    files = ConfigFiles(str(tmp_path))
    config.write_text("model: bbbb\n")
    os.utime(config, ns=(config.stat().st_mtime_ns + 10**9,) * 2)
    assert files.changed()


async def _settle() -> None:
    # Lets the event loop deliver whatever inotify has queued.
    for _ in range(5):
        await asyncio.sleep(0.01)


async def test_the_watch_sees_writes_replacements_removals_and_modes(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("model: a\n")
    actions = [
        lambda: config.write_text("model: b\n"),  # written in place, then closed
        lambda: (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-x\n"),  # created
        lambda: os.replace(tmp_path / "new", config),  # an editor's atomic save
        lambda: config.chmod(0o600),
        lambda: config.unlink(),
    ]
    for number, action in enumerate(actions):
        files = ConfigFiles(str(tmp_path))
        files.watch()
        assert files.watching
        await _settle()
        assert not files.changed()
        (tmp_path / "new").write_text("model: c\n")
        action()
        await _settle()
        assert files.changed(), number
        files.close()
        assert not files.watching


async def test_the_watch_ignores_the_database_beside_the_config(tmp_path: Path) -> None:
    files = ConfigFiles(str(tmp_path))
    files.watch()
    (tmp_path / "sessions.db-wal").write_bytes(b"x" * 100)
    (tmp_path / "sessions.db-wal").unlink()
    (tmp_path / "logs").mkdir()
    await _settle()
    assert not files.changed()
    files.close()


async def test_a_change_made_before_the_watch_started_is_not_missed(tmp_path: Path) -> None:
    files = ConfigFiles(str(tmp_path))
    (tmp_path / "config.yaml").write_text("model: scripted\n")  # no watch yet
    files.watch()
    assert files.changed()
    files.close()


async def test_a_home_removed_under_the_watch_reads_as_changed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    files = ConfigFiles(str(home))
    files.watch()
    home.rmdir()
    await _settle()
    assert files.changed() and not files.watching
