"""`centrex conference create|list|update|delete` (SQLite and PostgreSQL): the options of the
contract, the number space of the tenant (an extension's number is a 409-like one-line error),
bad PINs and sizes refused with nothing written, and another tenant's room not found."""

from __future__ import annotations

import pytest

from tests.cli.test_cli_admin import Centrex

A = "a.example.com"
B = "b.example.com"


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    runner = Centrex(cli_env)
    for domain, numbers in ((A, ("101", "102")), (B, ("201",))):
        runner.ok("tenant", "create", "--name", domain, "--domain", domain,
                  "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
        for number in numbers:
            runner.ok("extension", "create", "--tenant", domain, "--number", number)
    return runner


def test_create_list_update_delete(centrex: Centrex) -> None:
    made = centrex.ok("conference", "create", "--tenant", A, "--number", "800", "--pin", "1234",
                      "--moderator-pin", "9999", "--record", "--max-members", "5")  # fmt: skip
    assert {k: made[k] for k in ("number", "pin", "moderator_pin", "record", "max_members",
                                 "tenant")} == {
        "number": "800", "pin": "1234", "moderator_pin": "9999", "record": True,
        "max_members": 5, "tenant": A,
    }  # fmt: skip
    plain = centrex.ok("conference", "create", "--tenant", A, "--number", "801")
    assert (plain["pin"], plain["record"], plain["max_members"]) == (None, False, 20)
    listed = centrex.ok("conference", "list", "--tenant", A)
    assert [r["number"] for r in listed["items"]] == ["800", "801"]
    assert centrex.ok("conference", "list", "--tenant", B) == {"total": 0, "items": []}
    table = centrex.run("conference", "list", "--tenant", A)
    assert "800" in table.stdout
    assert "9999" in table.stdout
    changed = centrex.ok("conference", "update", "--tenant", A, "--number", "800", "--pin", "",
                         "--no-record")  # fmt: skip
    assert (changed["pin"], changed["moderator_pin"], changed["record"]) == (None, "9999", False)
    assert centrex.ok("conference", "delete", "--tenant", A, "--number", "800") == {
        "deleted": "800", "tenant": A,
    }  # fmt: skip
    assert [r["number"] for r in centrex.ok("conference", "list", "--tenant", A)["items"]] == [
        "801"
    ]


def test_bad_input_is_one_line_and_writes_nothing(centrex: Centrex) -> None:
    base = ("conference", "create", "--tenant", A)
    assert "101 is an extension of a.example.com" in centrex.fails(*base, "--number", "101")
    assert "2 to 10 digits" in centrex.fails(*base, "--number", "8x")
    assert "3 to 8 digits" in centrex.fails(*base, "--number", "800", "--pin", "12")
    assert "must differ" in centrex.fails(*base, "--number", "800", "--pin", "1234",
                                          "--moderator-pin", "1234")  # fmt: skip
    assert "max members must be 2-100" in centrex.fails(*base, "--number", "800",
                                                         "--max-members", "0")  # fmt: skip
    assert "tenant" in centrex.fails("conference", "create", "--tenant", "nowhere.test",
                                     "--number", "800")  # fmt: skip
    assert centrex.ok("conference", "list", "--tenant", A)["total"] == 0
    centrex.ok(*base, "--number", "800")
    assert "exists already" in centrex.fails(*base, "--number", "800")


def test_another_tenants_room_is_not_found(centrex: Centrex) -> None:
    centrex.ok("conference", "create", "--tenant", A, "--number", "800", "--pin", "1234")
    assert "not found" in centrex.fails("conference", "delete", "--tenant", B, "--number", "800")
    assert "not found" in centrex.fails("conference", "update", "--tenant", B, "--number", "800",
                                        "--pin", "5555")  # fmt: skip
    assert centrex.ok("conference", "list", "--tenant", A)["items"][0]["pin"] == "1234"
    own = centrex.ok("conference", "create", "--tenant", B, "--number", "800")  # B's own 800
    assert own["pin"] is None


def test_a_did_pointed_at_a_room_of_its_own_tenant_only(centrex: Centrex) -> None:
    centrex.ok("conference", "create", "--tenant", A, "--number", "800")
    made = centrex.ok("number", "add", "+41215550177", "--tenant", A, "--conference", "800")
    assert (made["e164"], made["conference"]) == ("+41215550177", "800")
    assert "conference 800 not found in b.example.com" in centrex.fails(
        "number", "add", "+41215550178", "--tenant", B, "--conference", "800"
    )
    assert "one extension, ring group, conference room or queue" in centrex.fails(
        "number", "add", "+41215550179", "--tenant", A, "--conference", "800",
        "--extension", "101",
    )  # fmt: skip
