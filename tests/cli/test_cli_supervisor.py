"""`centrex extension update --supervisor/--no-supervisor` and `centrex tenant
set-monitor-beep` (issue 13 item 6), on SQLite and PostgreSQL: the flag is stored and shown,
another tenant's extension is not found and nothing is written, a bad value is refused."""

from __future__ import annotations

import pytest

from tests.cli.test_cli_admin import Centrex

A = "a.example.com"
B = "b.example.com"


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    runner = Centrex(cli_env)
    for domain, numbers in ((A, ("101", "105")), (B, ("201",))):
        runner.ok("tenant", "create", "--name", domain, "--domain", domain,
                  "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
        for number in numbers:
            runner.ok("extension", "create", "--tenant", domain, "--number", number)
    return runner


def flags(centrex: Centrex, domain: str) -> dict[str, bool]:
    listed = centrex.ok("extension", "list", "--tenant", domain)["items"]
    return {item["number"]: item["supervisor"] for item in listed}


def test_the_supervisor_flag_is_set_and_cleared(centrex: Centrex) -> None:
    assert flags(centrex, A) == {"101": False, "105": False}
    shown = centrex.ok("extension", "update", "--tenant", A, "--number", "105", "--supervisor")
    assert shown["supervisor"] is True
    assert flags(centrex, A) == {"101": False, "105": True}
    other = centrex.ok("extension", "update", "--tenant", A, "--number", "105", "--name", "Boss")
    assert other["supervisor"] is True  # an update without the option leaves it
    cleared = centrex.ok("extension", "update", "--tenant", A, "--number", "105",
                         "--no-supervisor")  # fmt: skip
    assert cleared["supervisor"] is False
    assert flags(centrex, A) == {"101": False, "105": False}


def test_another_tenants_extension_is_not_found(centrex: Centrex) -> None:
    message = centrex.fails("extension", "update", "--tenant", B, "--number", "105",
                            "--supervisor")  # fmt: skip
    assert "not found" in message
    assert flags(centrex, A) == {"101": False, "105": False}
    assert flags(centrex, B) == {"201": False}


def test_monitor_beep_per_tenant(centrex: Centrex) -> None:
    assert centrex.ok("tenant", "show", A)["monitor_beep"] is False
    assert centrex.ok("tenant", "set-monitor-beep", A, "on")["monitor_beep"] is True
    assert centrex.ok("tenant", "show", A)["monitor_beep"] is True
    assert centrex.ok("tenant", "show", B)["monitor_beep"] is False
    refused = centrex.run("tenant", "set-monitor-beep", A, "loud")
    assert refused.exit_code == 2
    assert "loud" in refused.output
    assert centrex.ok("tenant", "set-monitor-beep", A, "off")["monitor_beep"] is False
