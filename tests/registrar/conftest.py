"""Registrar fixtures: a fresh copy of the migrated SQLite template per test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    target = tmp_path / "centrex.db"
    target.write_bytes(sqlite_template.read_bytes())
    return f"sqlite+aiosqlite:///{target}"
