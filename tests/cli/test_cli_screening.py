"""`centrex blocklist|allowlist add|list|delete` and `extension update --outbound/--premium/
--caller-id` (SQLite and PostgreSQL): patterns stored normalised, bad input one line, non-zero
and nothing written, another tenant's entries and extensions not found."""

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
    runner.ok("number", "add", "+41215550100", "--tenant", A, "--extension", "101")
    runner.ok("number", "add", "+41215550200", "--tenant", B)
    return runner


def test_blocklist_add_list_delete(centrex: Centrex) -> None:
    made = centrex.ok("blocklist", "add", "--tenant", A, "--pattern", "079 777 00 00",
                      "--direction", "inbound", "--action", "voicemail")  # fmt: skip
    assert {k: made[k] for k in ("list", "direction", "pattern", "extension", "action")} == {
        "list": "block", "direction": "inbound", "pattern": "+41797770000", "extension": None,
        "action": "voicemail",
    }  # fmt: skip
    prefix = centrex.ok("blocklist", "add", "--tenant", A, "--pattern", "+3389*",
                        "--direction", "outbound", "--extension", "102")  # fmt: skip
    assert (prefix["pattern"], prefix["extension"], prefix["action"]) == ("+3389*", "102", "reject")
    anonymous = centrex.ok("blocklist", "add", "--tenant", A, "--pattern", "anonymous",
                           "--direction", "inbound")  # fmt: skip
    listed = centrex.ok("blocklist", "list", "--tenant", A)
    assert [i["id"] for i in listed["items"]] == [made["id"], prefix["id"], anonymous["id"]]
    assert centrex.ok("allowlist", "list", "--tenant", A) == {"total": 0, "items": []}
    assert centrex.ok("blocklist", "list", "--tenant", B) == {"total": 0, "items": []}
    table = centrex.run("blocklist", "list", "--tenant", A)
    assert "+3389*" in table.stdout
    assert "anonymous" in table.stdout
    centrex.ok("blocklist", "delete", "--tenant", A, "--id", str(prefix["id"]))
    assert centrex.ok("blocklist", "list", "--tenant", A)["total"] == 2


def test_allowlist_is_a_list_of_its_own(centrex: Centrex) -> None:
    entry = centrex.ok("allowlist", "add", "--tenant", A, "--pattern", "+4144*",
                       "--direction", "outbound")  # fmt: skip
    assert entry["list"] == "allow"
    # the blocklist does not reach an allowlist entry by its id
    assert "not found" in centrex.fails("blocklist", "delete", "--tenant", A, "--id",
                                        str(entry["id"]))  # fmt: skip
    assert centrex.ok("allowlist", "list", "--tenant", A)["total"] == 1


def test_bad_input_is_one_line_and_writes_nothing(centrex: Centrex) -> None:
    add = ("blocklist", "add", "--tenant", A, "--direction", "inbound", "--pattern")
    assert "is not an E.164 number" in centrex.fails(*add, "hello")
    assert "is no prefix" in centrex.fails(*add, "3389*")
    assert "extension 109 does not exist in a.example.com" in centrex.fails(
        *add, "+41797770000", "--extension", "109"
    )
    assert "extension 201 does not exist in a.example.com" in centrex.fails(
        *add, "+41797770000", "--extension", "201"
    )  # B's extension
    assert "inbound callers only" in centrex.fails(
        "blocklist", "add", "--tenant", A, "--direction", "outbound", "--pattern", "anonymous"
    )
    assert "inbound entries only" in centrex.fails(
        "blocklist", "add", "--tenant", A, "--direction", "outbound", "--pattern", "+33*",
        "--action", "voicemail",
    )  # fmt: skip
    assert centrex.run(*add[:-1], "--direction", "sideways", "--pattern", "+33*").exit_code != 0
    centrex.ok(*add, "+41797770000")
    assert "on the blocklist already" in centrex.fails(*add, "+41797770000")
    assert centrex.ok("blocklist", "list", "--tenant", A)["total"] == 1


def test_another_tenants_entry_is_not_found(centrex: Centrex) -> None:
    entry = centrex.ok("blocklist", "add", "--tenant", A, "--pattern", "+41797770000",
                       "--direction", "inbound")  # fmt: skip
    assert "not found" in centrex.fails("blocklist", "delete", "--tenant", B, "--id",
                                        str(entry["id"]))  # fmt: skip
    assert centrex.ok("blocklist", "list", "--tenant", A)["total"] == 1


def test_extension_barring_and_caller_id(centrex: Centrex) -> None:
    view = centrex.ok("extension", "update", "--tenant", A, "--number", "101")
    assert (view["outbound_class"], view["premium"]) == ("all", False)
    view = centrex.ok("extension", "update", "--tenant", A, "--number", "101",
                      "--outbound", "national", "--premium", "on")  # fmt: skip
    assert (view["outbound_class"], view["premium"]) == ("national", True)
    view = centrex.ok("extension", "update", "--tenant", A, "--number", "101",
                      "--caller-id", "+41215550100")  # fmt: skip
    assert view["outbound_caller_id"] == "+41215550100"
    assert (view["outbound_class"], view["premium"]) == ("national", True)
    # a number of tenant B's, or nobody's, is refused and nothing changes
    assert "is not a number of this tenant" in centrex.fails(
        "extension", "update", "--tenant", A, "--number", "102", "--caller-id", "+41215550200"
    )
    assert "is not a number of this tenant" in centrex.fails(
        "extension", "update", "--tenant", A, "--number", "102", "--caller-id", "+41215550999"
    )
    assert centrex.run("extension", "update", "--tenant", A, "--number", "101",
                       "--outbound", "galactic").exit_code != 0  # fmt: skip
    assert "not found" in centrex.fails("extension", "update", "--tenant", A, "--number", "201",
                                        "--outbound", "internal")  # fmt: skip
    listed = centrex.ok("extension", "list", "--tenant", A)["items"]
    assert {e["number"]: e["outbound_caller_id"] for e in listed} == {
        "101": "+41215550100", "102": None,
    }  # fmt: skip
    assert {e["number"]: e["outbound_class"] for e in listed} == {"101": "national", "102": "all"}


def test_an_extensions_entries_go_with_it(centrex: Centrex) -> None:
    centrex.ok("blocklist", "add", "--tenant", A, "--pattern", "+33*", "--direction", "outbound",
               "--extension", "102")  # fmt: skip
    kept = centrex.ok("blocklist", "add", "--tenant", A, "--pattern", "+34*",
                      "--direction", "outbound")  # fmt: skip
    centrex.ok("extension", "delete", "--tenant", A, "--number", "102")
    listed = centrex.ok("blocklist", "list", "--tenant", A)
    assert [i["id"] for i in listed["items"]] == [kept["id"]]
