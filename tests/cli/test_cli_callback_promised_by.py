"""`centrex callback add` records who promised the callback (issue 16: the agent's notice names
them): "CLI", returned by `add` and by `list` (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli_admin import Centrex
from tests.cli.test_cli_callbacks import FAR
from tests.cli.test_cli_campaign_insights import _spring
from tests.cli.test_cli_campaign_insights import centrex as centrex  # noqa: PLC0414 - fixture
from tests.cli.test_cli_campaigns import A


def test_a_callback_added_from_the_cli_is_promised_by_cli(centrex: Centrex, tmp_path: Path) -> None:
    _spring(centrex, tmp_path)
    made = centrex.ok("callback", "add", "--tenant", A, "--campaign", "Spring", "--number",
                      "01 42 68 53 01", "--at", FAR, "--extension", "101")  # fmt: skip
    assert made["promised_by"] == "CLI"
    listed = centrex.ok("callback", "list", "--tenant", A)
    assert [(c["id"], c["promised_by"]) for c in listed["items"]] == [(made["id"], "CLI")]
