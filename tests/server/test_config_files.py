"""When a new session re-reads the configuration: acp_server/server/config_files.py."""

from __future__ import annotations

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
