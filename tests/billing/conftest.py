"""Shared fixtures for billing tests: small decks and a CLI runner on a temporary SQLite.

Database tests use the `db` fixture of tests/conftest.py (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from centrex.billing.decks import RateDeck, parse_deck_csv
from centrex.cli.billing import billing, rates
from centrex.cli.tenants import db, partner, tenant

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


@click.group()
def cli_root() -> None:
    """The billing groups as the main CLI registers them, plus `db` and `tenant` for set-up."""


for _group in (db, partner, tenant, rates, billing):
    cli_root.add_command(_group)

Runner = Callable[..., Result]


@pytest.fixture
def cli_data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def run(cli_data_dir: Path) -> Runner:
    """Invoke CLI commands against a fresh SQLite database (CENTREX_DATA_DIR in tmp)."""
    runner = CliRunner()
    env: dict[str, str | None] = {
        "CENTREX_DATA_DIR": str(cli_data_dir),
        "CENTREX_DATABASE_URL": None,
        "CENTREX_CONFIG": None,
    }

    def invoke(*args: str) -> Result:
        return runner.invoke(cli_root, list(args), env=env)

    upgraded = invoke("db", "upgrade", "--json")
    assert upgraded.exit_code == 0, upgraded.output
    return invoke
