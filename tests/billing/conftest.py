"""Shared fixtures for billing tests: small retail and wholesale decks.

Database tests use the `db` fixture of tests/conftest.py (SQLite and PostgreSQL).
"""

from __future__ import annotations

import pytest

from centrex.billing.decks import RateDeck, parse_deck_csv

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
