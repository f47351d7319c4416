"""`centrex campaign explain|simulate` (SQLite and PostgreSQL): the JSON of both, bad input in
one line with a non-zero exit, and another tenant's campaign simply not found."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli_admin import Centrex
from tests.cli.test_cli_campaigns import LEADS, MAP, A, B, _file


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    runner = Centrex(cli_env)
    for domain, number in ((A, "101"), (B, "201")):
        runner.ok("tenant", "create", "--name", domain, "--domain", domain, "--country", "FR",
                  "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
        runner.ok("extension", "create", "--tenant", domain, "--number", number)
    return runner


def _spring(centrex: Centrex, tmp_path: Path) -> None:
    centrex.ok("campaign", "create", "--tenant", A, "--name", "Spring", "--method", "predictive",
               "--agent", "101", "--window", "00:00-23:59")  # fmt: skip
    centrex.ok("dnc", "add", "--tenant", A, "--number", "06 12 34 56 78")
    centrex.ok("lead", "import", _file(tmp_path, "l.csv", LEADS), "--tenant", A, "--campaign",
               "Spring", *MAP)  # fmt: skip


def test_explain_and_simulate(centrex: Centrex, tmp_path: Path) -> None:
    _spring(centrex, tmp_path)
    summary = centrex.ok("campaign", "explain", "--tenant", A, "--name", "Spring")
    assert (summary["leads"], summary["tenant"], summary["campaign_status"]) == (2, A, "draft")
    assert summary["dialable_now"] + sum(summary["removed"].values()) == 2
    one = centrex.ok("campaign", "explain", "--tenant", A, "--name", "Spring", "--number",
                     "06 12 34 56 78")  # fmt: skip
    assert (one["number"], one["dnc"]["tenant"], one["lead"]) == ("+33612345678", True, None)
    assert one["caller_id"] is None  # local presence, and A owns no number yet
    simulated = centrex.ok("campaign", "simulate", "--tenant", A, "--name", "Spring")
    assert (simulated["basis"], simulated["agents"]) == ("defaults", 1)
    assert len(simulated["methods"]) == 4


def test_bad_input_and_other_tenant(centrex: Centrex, tmp_path: Path) -> None:
    _spring(centrex, tmp_path)
    assert "YYYY-MM-DD" in centrex.fails("campaign", "simulate", "--tenant", A, "--name", "Spring",
                                         "--day", "yesterday")  # fmt: skip
    assert "has not happened yet" in centrex.fails(
        "campaign", "simulate", "--tenant", A, "--name", "Spring", "--day", "2999-01-01"
    )
    assert (
        centrex.fails("campaign", "explain", "--tenant", A, "--name", "Spring", "--number", "12")
        == "error: not a number to explain: too short: '12'"
    )
    for command in ("explain", "simulate"):
        assert "not found" in centrex.fails("campaign", command, "--tenant", B, "--name", "Spring")
