"""Fixtures every test layer shares."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def acp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, empty ACP_SERVER_HOME so no test touches the real profile."""
    home = tmp_path / "acp-home"
    monkeypatch.setenv("ACP_SERVER_HOME", str(home))
    return home
