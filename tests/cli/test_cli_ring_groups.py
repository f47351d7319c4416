"""`centrex ring-group create|list|update|delete` (SQLite and PostgreSQL): members are the
tenant's extensions or outside numbers, update replaces the members when given, bad input is one
line, non-zero and nothing written, and another tenant's group or extension is not found."""

from __future__ import annotations

import pytest

from tests.cli.test_cli_admin import Centrex

A = "a.example.com"
B = "b.example.com"


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    runner = Centrex(cli_env)
    for domain, numbers in ((A, ("101", "102", "103")), (B, ("201",))):
        runner.ok("tenant", "create", "--name", domain, "--domain", domain,
                  "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
        for number in numbers:
            runner.ok("extension", "create", "--tenant", domain, "--number", number)
    return runner


def test_create_list_update_delete(centrex: Centrex) -> None:
    made = centrex.ok(
        "ring-group", "create", "--tenant", A, "--number", "600", "--strategy", "simultaneous",
        "--member", "101", "--member", "102", "--member", "0791234567", "--fallback", "103",
    )  # fmt: skip
    assert made["members"] == [{"target": "101"}, {"target": "102"}, {"target": "+41791234567"}]
    assert (made["ring_seconds"], made["fallback"]) == (20, "103")
    changed = centrex.ok(
        "ring-group", "update", "--tenant", A, "--number", "600", "--strategy", "sequential",
        "--member", "103", "--ring-seconds", "15", "--fallback", "",
    )  # fmt: skip
    assert changed["members"] == [{"target": "103"}]
    assert (changed["strategy"], changed["ring_seconds"], changed["fallback"]) == (
        "sequential", 15, None,
    )  # fmt: skip
    listed = centrex.ok("ring-group", "list", "--tenant", A)
    assert listed["total"] == 1
    assert centrex.ok("ring-group", "list", "--tenant", B) == {"total": 0, "items": []}
    table = centrex.run("ring-group", "list", "--tenant", A)
    assert "600" in table.stdout
    assert "sequential" in table.stdout
    centrex.ok("ring-group", "delete", "--tenant", A, "--number", "600")
    assert centrex.ok("ring-group", "list", "--tenant", A)["total"] == 0


def test_bad_input_is_one_line_and_writes_nothing(centrex: Centrex) -> None:
    base = ("ring-group", "create", "--tenant", A, "--number", "600", "--strategy", "simultaneous")
    assert "at least one member" in centrex.fails(*base)
    assert "extension 201 does not exist in a.example.com" in centrex.fails(
        *base, "--member", "201"
    )  # B's 201
    assert "extension 109 does not exist" in centrex.fails(*base, "--member", "109")
    assert "ring seconds must be 5-300" in centrex.fails(*base, "--member", "101",
                                                          "--ring-seconds", "1")  # fmt: skip
    assert "101 is an extension of a.example.com" in centrex.fails(
        "ring-group", "create", "--tenant", A, "--number", "101", "--strategy", "sequential",
        "--member", "102",
    )  # fmt: skip
    assert centrex.ok("ring-group", "list", "--tenant", A)["total"] == 0


def test_another_tenants_group_is_not_found(centrex: Centrex) -> None:
    centrex.ok("ring-group", "create", "--tenant", A, "--number", "600", "--strategy",
               "simultaneous", "--member", "101")  # fmt: skip
    assert "not found" in centrex.fails("ring-group", "delete", "--tenant", B, "--number", "600")
    assert "not found" in centrex.fails("ring-group", "update", "--tenant", B, "--number", "600",
                                        "--member", "201")  # fmt: skip
    assert centrex.ok("ring-group", "list", "--tenant", A)["items"][0]["members"] == [
        {"target": "101"}
    ]
