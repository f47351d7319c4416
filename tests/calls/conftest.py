"""Fixtures of the B2BUA tests: a fresh migrated SQLite database and the in-memory harness."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.calls.harness import Harness, make_harness


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A copy of the run's migrated SQLite template (the B2BUA tests run on SQLite only: the
    database code they touch is tested on both backends in test_cdr_and_plans.py)."""
    target = tmp_path / "calls.db"
    target.write_bytes(sqlite_template.read_bytes())
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def h(sqlite_url: str) -> AsyncIterator[Harness]:
    async with make_harness(sqlite_url) as harness:
        yield harness
