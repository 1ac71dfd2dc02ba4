"""When a new session re-reads the configuration: acp_server/server/config_files.py."""

from __future__ import annotations

import os
import time
from pathlib import Path

from acp_server.server.config_files import ConfigFiles


def _settled(home: Path) -> Path:
    hour_ago = time.time() - 3600
    os.utime(home, (hour_ago, hour_ago))
    return home


def test_nothing_changed_reads_as_unchanged(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("model: scripted\n")
    files = ConfigFiles(str(tmp_path))
    assert not files.changed()
    assert not files.changed()


def test_a_config_file_created_in_a_settled_home_is_seen(tmp_path: Path) -> None:
    files = ConfigFiles(str(_settled(tmp_path)))
    assert not files.changed()
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-new\n")
    assert files.changed()


def test_an_edit_in_place_is_seen_even_at_the_same_size(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("model: aaaa\n")
    files = ConfigFiles(str(_settled(tmp_path)))
    config.write_text("model: bbbb\n")
    os.utime(config, ns=(config.stat().st_mtime_ns + 10**9,) * 2)
    assert files.changed()


def test_a_fresh_home_looks_for_missing_files_every_time(tmp_path: Path) -> None:
    # The home's mtime is too recent to prove a missing file still is: a file
    # created within the same clock tick would leave it where it was.
    files = ConfigFiles(str(tmp_path))
    before = tmp_path.stat().st_mtime_ns
    (tmp_path / "config.yaml").write_text("permissions:\n  default_mode: yolo\n")
    os.utime(tmp_path, ns=(before, before))  # as if in the same tick
    assert files.changed()


def test_a_home_made_world_writable_is_seen(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    files = ConfigFiles(str(_settled(home)))
    home.chmod(0o777)
    assert files.changed()
