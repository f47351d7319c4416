"""Shared fixtures for billing tests: small retail and wholesale decks, a migrated SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from centrex.billing.decks import RateDeck, parse_deck_csv
from centrex.data.db import Database

HEADER = "prefix,destination,price_per_minute,connection_fee,increment,currency\n"

RETAIL_CSV = HEADER + (
    "41,Switzerland,0.0500,0,60/60,CHF\n"
    "4179,Switzerland mobile Swisscom,0.3000,0.10,30/6,CHF\n"
    "417,Switzerland mobile,0.2500,0,1/1,CHF\n"
    "33,France,0.0400,0,60/60,CHF\n"
    "336,France mobile,0.1200,0,60/60,CHF\n"
)
WHOLESALE_CSV = HEADER + (
    "41,Switzerland,0.0100,0,1/1,CHF\n"
    "417,Switzerland mobile,0.1000,0,1/1,CHF\n"
    "33,France,0.0080,0,1/1,CHF\n"
    "336,France mobile,0.0500,0,1/1,CHF\n"
)


@pytest.fixture
def retail() -> RateDeck:
    return parse_deck_csv(RETAIL_CSV, "retail")


@pytest.fixture
def wholesale() -> RateDeck:
    return parse_deck_csv(WHOLESALE_CSV, "wholesale")


@pytest.fixture
def billing_db_path(tmp_path: Path) -> Path:
    """A migrated SQLite database file of its own (billing tests need no PostgreSQL)."""
    path = tmp_path / "billing.db"

    async def migrate() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await database.upgrade()
        finally:
            await database.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture
async def billing_db(billing_db_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{billing_db_path}")
    yield database
    await database.dispose()
