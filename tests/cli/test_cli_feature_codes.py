"""`centrex feature-code list|set` and `centrex short-number add|list|delete` (SQLite and
PostgreSQL): defaults listed, a change shown and reverted with `default`, bad and taken codes
one line with nothing written, short numbers normalised to E.164, refused when they would hide
an extension or a ring group or call an emergency number, and each tenant's choices its own."""

from __future__ import annotations

import pytest

from centrex.calls.feature_codes import CATALOG
from tests.cli.test_cli_admin import Centrex

A = "a.example.com"
B = "b.example.com"


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    runner = Centrex(cli_env)
    for domain in (A, B):
        runner.ok("tenant", "create", "--name", domain, "--domain", domain,
                  "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
        runner.ok("extension", "create", "--tenant", domain, "--number", "101")
    runner.ok("ring-group", "create", "--tenant", A, "--number", "60", "--strategy",
              "simultaneous", "--member", "101")  # fmt: skip
    return runner


def codes(centrex: Centrex, domain: str) -> dict[str, str]:
    return {i["feature"]: i["code"] for i in centrex.ok("feature-code", "list", "--tenant", domain)["items"]}  # fmt: skip


def test_defaults_then_a_change_and_back(centrex: Centrex) -> None:
    assert codes(centrex, A) == {spec.name: spec.default for spec in CATALOG}
    changed = centrex.ok("feature-code", "set", "--tenant", A, "--feature", "dnd-on",
                         "--code", "*77")  # fmt: skip
    assert (changed["code"], changed["default"], changed["changed"]) == ("*77", "*78", True)
    assert codes(centrex, A)["dnd-on"] == "*77"
    assert codes(centrex, B)["dnd-on"] == "*78"  # another tenant keeps its own
    table = centrex.run("feature-code", "list", "--tenant", A)
    assert "*77" in table.stdout
    back = centrex.ok("feature-code", "set", "--tenant", A, "--feature", "dnd-on",
                      "--code", "default")  # fmt: skip
    assert (back["code"], back["changed"]) == ("*78", False)


def test_bad_and_taken_codes_write_nothing(centrex: Centrex) -> None:
    centrex.ok("feature-code", "set", "--tenant", A, "--feature", "intercom", "--code", "#5")
    for code, expected in (("77", "starting with * or #"), ("*1234567890", "2-8 characters"),
                           ("*8", "group-pickup"), ("#5", "intercom")):  # fmt: skip
        line = centrex.fails("feature-code", "set", "--tenant", A, "--feature", "dnd-off",
                             "--code", code)  # fmt: skip
        assert expected in line, line
    assert codes(centrex, A)["dnd-off"] == "*79"
    assert "Invalid value" in centrex.run("feature-code", "set", "--tenant", A, "--feature",
                                          "nothing", "--code", "*5").output  # fmt: skip
    assert "unknown tenant" in centrex.fails("feature-code", "list", "--tenant", "c.example.com")


def test_short_numbers(centrex: Centrex) -> None:
    made = centrex.ok("short-number", "add", "--tenant", A, "--number", "20", "--target",
                      "044 668 18 00", "--name", "Head office")  # fmt: skip
    assert (made["number"], made["target"], made["name"]) == ("20", "+41446681800", "Head office")
    for number, target, expected in (("101", "0446681800", "is an extension"),
                                     ("60", "0446681800", "is a ring group"),
                                     ("20", "0446681801", "exists already"),
                                     ("1234567", "0446681800", "1 to 6 digits"),
                                     ("21", "112", "not an outside number"),
                                     ("22", "hello", "not an outside number")):  # fmt: skip
        line = centrex.fails("short-number", "add", "--tenant", A, "--number", number,
                             "--target", target)  # fmt: skip
        assert expected in line, line
    assert centrex.ok("short-number", "list", "--tenant", A)["total"] == 1
    assert centrex.ok("short-number", "list", "--tenant", B)["total"] == 0
    # B cannot delete A's short number: in B there is none
    assert "no short number 20" in centrex.fails("short-number", "delete", "--tenant", B,
                                                 "--number", "20")  # fmt: skip
    centrex.ok("short-number", "delete", "--tenant", A, "--number", "20")
    assert centrex.ok("short-number", "list", "--tenant", A)["total"] == 0
