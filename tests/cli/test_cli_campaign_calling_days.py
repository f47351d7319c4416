"""`centrex campaign create|update --days … --legal-rules/--no-legal-rules` (SQLite and
PostgreSQL): the JSON fields, days in canonical form, days that do not parse (exit 2, one line,
nothing written), and the campaign that could never call the tenant's own country (FR)
refused with the reason, at create and at update."""

from __future__ import annotations

import pytest

from tests.cli.test_cli_admin import Centrex

A = "a.example.com"


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    runner = Centrex(cli_env)
    runner.ok("tenant", "create", "--name", A, "--domain", A, "--country", "FR",
              "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
    runner.ok("extension", "create", "--tenant", A, "--number", "101")
    return runner


def _create(*extra: str) -> tuple[str, ...]:
    return ("campaign", "create", "--tenant", A, "--method", "preview", *extra)


def test_days_and_legal_rules_on_create_and_update(centrex: Centrex) -> None:
    plain = centrex.ok(*_create("--name", "Plain"))
    assert (plain["calling_days"], plain["legal_rules"]) == ("mon-sun", True)
    made = centrex.ok(*_create("--name", "Week", "--days", "MON-FRI", "--no-legal-rules"))
    assert (made["calling_days"], made["legal_rules"]) == ("mon-fri", False)
    changed = centrex.ok("campaign", "update", "--tenant", A, "--name", "Week", "--days",
                         "mon,wed,fri", "--legal-rules", "--window", "10:00-19:00")  # fmt: skip
    assert {k: changed[k] for k in ("calling_days", "legal_rules", "window")} == {
        "calling_days": "mon,wed,fri", "legal_rules": True, "window": "10:00-19:00",
    }  # fmt: skip
    listed = centrex.ok("campaign", "list", "--tenant", A, "--name", "Week")
    assert listed["items"][0]["calling_days"] == "mon,wed,fri"
    text = centrex.run("campaign", "list", "--tenant", A)
    assert "CALLING_DAYS" in text.stdout
    assert "mon,wed,fri" in text.stdout


def test_bad_days_exit_2_and_write_nothing(centrex: Centrex) -> None:
    result = centrex.run(*_create("--name", "X", "--days", "weekdays"), "--json")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --days: calling days are days like mon-fri or mon,wed,fri, not 'weekdays' "
        "('weekdays' is not a day: mon, tue, wed, thu, fri, sat, sun)"
    ]
    centrex.ok(*_create("--name", "Y"))
    update = centrex.run("campaign", "update", "--tenant", A, "--name", "Y", "--days", "mon-",
                         "--json")  # fmt: skip
    assert update.exit_code == 2
    assert centrex.ok("campaign", "list", "--tenant", A)["total"] == 1
    assert (
        centrex.ok("campaign", "list", "--tenant", A, "--name", "Y")["items"][0]["calling_days"]
        == "mon-sun"
    )
    assert "at least one setting" in centrex.fails("campaign", "update", "--tenant", A,
                                                   "--name", "Y")  # fmt: skip


def test_a_campaign_that_never_calls_france_is_refused(centrex: Centrex) -> None:
    assert centrex.fails(*_create("--name", "Weekend", "--days", "sat-sun")) == (
        "error: the campaign would never call FR: the calling days sat-sun are never legal "
        "calling days in FR (10:00-13:00, 14:00-20:00 Mon-Fri)"
    )
    assert "never meets the legal hours in FR" in centrex.fails(
        *_create("--name", "Night", "--window", "20:00-23:00")
    )
    assert centrex.ok("campaign", "list", "--tenant", A)["total"] == 0
    centrex.ok(*_create("--name", "Weekend", "--days", "sat-sun", "--no-legal-rules"))
    assert "never call FR" in centrex.fails("campaign", "update", "--tenant", A, "--name",
                                            "Weekend", "--legal-rules")  # fmt: skip
    kept = centrex.ok("campaign", "list", "--tenant", A, "--name", "Weekend")["items"][0]
    assert (kept["calling_days"], kept["legal_rules"]) == ("sat-sun", False)
