"""`centrex queue create|list|update|delete|stats` (SQLite and PostgreSQL): members are the
tenant's extensions (EXT or EXT:LEVEL), update replaces the static members when given, stats
answer the contract's fields, bad input is one line, non-zero and nothing written, and another
tenant's queue or extension is not found."""

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
        "queue", "create", "--tenant", A, "--number", "500", "--strategy", "longest-idle",
        "--member", "102", "--member", "103:7", "--wrap-up", "30", "--max-wait", "90",
        "--fallback", "101", "--announce-position", "--service-level", "25",
    )  # fmt: skip
    assert [(m["extension"], m["level"]) for m in made["members"]] == [("102", 1), ("103", 7)]
    assert (made["wrap_up_seconds"], made["max_wait_seconds"], made["fallback"]) == (30, 90, "101")
    assert (made["announce_position"], made["service_level_seconds"]) == (True, 25)
    changed = centrex.ok(
        "queue", "update", "--tenant", A, "--number", "500", "--strategy", "round-robin",
        "--member", "101", "--fallback", "", "--no-announce-position",
    )  # fmt: skip
    assert [m["extension"] for m in changed["members"]] == ["101"]
    assert (changed["strategy"], changed["fallback"], changed["announce_position"]) == (
        "round-robin", None, False,
    )  # fmt: skip
    assert centrex.ok("queue", "list", "--tenant", A)["total"] == 1
    assert centrex.ok("queue", "list", "--tenant", B) == {"total": 0, "items": []}
    table = centrex.run("queue", "list", "--tenant", A)
    assert "500" in table.stdout
    assert "round-robin" in table.stdout
    centrex.ok("queue", "delete", "--tenant", A, "--number", "500")
    assert centrex.ok("queue", "list", "--tenant", A)["total"] == 0


def test_stats_answer_the_contract_fields(centrex: Centrex) -> None:
    centrex.ok("queue", "create", "--tenant", A, "--number", "500", "--strategy", "ring-all",
               "--member", "102")  # fmt: skip
    stats = centrex.ok("queue", "stats", "--tenant", A, "--number", "500",
                       "--since", "2026-01-01T00:00:00", "--until", "2027-01-01T00:00:00")  # fmt: skip
    for key in ("offered", "answered", "abandoned", "answered_within_service_level_pct",
                "avg_wait_seconds", "max_wait_seconds", "avg_talk_seconds"):  # fmt: skip
        assert key in stats
    assert stats["offered"] == 0
    assert stats["agents"] == [{"extension": "102", "calls": 0, "talk_seconds": 0.0,
                                "wrap_up_seconds": 0.0, "ring_seconds": 0.0,
                                "pause_seconds": {}}]  # fmt: skip
    assert "not an ISO timestamp" in centrex.fails("queue", "stats", "--tenant", A, "--number",
                                                   "500", "--since", "yesterday")  # fmt: skip


def test_bad_input_is_one_line_and_writes_nothing(centrex: Centrex) -> None:
    base = ("queue", "create", "--tenant", A, "--number", "500", "--strategy", "longest-idle")
    assert "at least one member" in centrex.fails(*base)
    assert "extension 201 does not exist in a.example.com" in centrex.fails(
        *base, "--member", "201"
    )  # B's 201
    assert "max wait seconds must be 5-7200" in centrex.fails(*base, "--member", "101",
                                                              "--max-wait", "1")  # fmt: skip
    assert "a skill level is 1-10" in centrex.fails(*base, "--member", "101:11")
    assert "is in use in a.example.com" in centrex.fails(
        "queue", "create", "--tenant", A, "--number", "101", "--strategy", "skills",
        "--member", "102",
    )  # fmt: skip
    assert "neither an extension" in centrex.fails(*base, "--member", "101", "--fallback", "x")
    assert centrex.ok("queue", "list", "--tenant", A)["total"] == 0


def test_another_tenants_queue_is_not_found(centrex: Centrex) -> None:
    centrex.ok("queue", "create", "--tenant", A, "--number", "500", "--strategy", "skills",
               "--member", "102")  # fmt: skip
    for command in (("update", "--name", "x"), ("delete",), ("stats",)):
        message = centrex.fails("queue", command[0], "--tenant", B, "--number", "500",
                                *command[1:])  # fmt: skip
        assert message == "error: queue 500 not found"
    assert centrex.ok("queue", "list", "--tenant", A)["items"][0]["name"] == ""
