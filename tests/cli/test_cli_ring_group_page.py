"""`centrex ring-group create|update --strategy page`: a paging group of the tenant's
extensions; an outside member is refused with one line, non-zero, nothing written; the help
lists `page`."""

from __future__ import annotations

import pytest

from tests.cli.test_cli_admin import Centrex

A = "a.example.com"


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    runner = Centrex(cli_env)
    runner.ok("tenant", "create", "--name", A, "--domain", A, "--extension-digits", "3",
              "--max-calls", "4")  # fmt: skip
    for number in ("101", "102"):
        runner.ok("extension", "create", "--tenant", A, "--number", number)
    return runner


def test_page_groups_take_extensions_only(centrex: Centrex) -> None:
    made = centrex.ok("ring-group", "create", "--tenant", A, "--number", "650", "--strategy",
                      "page", "--member", "101", "--member", "102")  # fmt: skip
    assert made["strategy"] == "page"
    error = centrex.fails("ring-group", "create", "--tenant", A, "--number", "651",
                          "--strategy", "page", "--member", "101", "--member", "0791234567")  # fmt: skip
    assert "pages the tenant's phones only: +41791234567 is an outside number" in error
    centrex.ok("ring-group", "create", "--tenant", A, "--number", "652", "--strategy",
               "simultaneous", "--member", "0791234567")  # fmt: skip
    error = centrex.fails("ring-group", "update", "--tenant", A, "--number", "652",
                          "--strategy", "page")  # fmt: skip
    assert "outside number" in error
    listed = centrex.ok("ring-group", "list", "--tenant", A)
    assert sorted((g["number"], g["strategy"]) for g in listed["items"]) == [
        ("650", "page"), ("652", "simultaneous"),
    ]  # fmt: skip
    assert "page" in centrex.run("ring-group", "create", "--help").stdout
