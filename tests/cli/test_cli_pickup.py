"""`centrex extension update --pickup-group`, on SQLite and PostgreSQL: set, shown in the views
and JSON, cleared with '' or none; a bad label is one line of error and nothing is written;
another tenant's extension is not found, and the same label in two tenants stays two groups."""

from __future__ import annotations

from typing import Any

from tests.cli.test_cli_admin import Centrex, centrex  # noqa: F401 - the fixture

A, B = "a.example.com", "b.example.com"


def _world(c: Centrex) -> None:
    for name, domain in (("A", A), ("B", B)):
        c.ok("tenant", "create", "--name", name, "--domain", domain, "--extension-digits", "3",
             "--max-calls", "4")  # fmt: skip
    for number in ("101", "102"):
        c.ok("extension", "create", "--tenant", A, "--number", number)
    c.ok("extension", "create", "--tenant", B, "--number", "101")


def _group(c: Centrex, domain: str, number: str, value: str) -> Any:
    return c.ok("extension", "update", "--tenant", domain, "--number", number,
                "--pickup-group", value)  # fmt: skip


def _groups(c: Centrex, domain: str) -> list[tuple[str, str | None]]:
    items = c.ok("extension", "list", "--tenant", domain)["items"]
    return [(e["number"], e["pickup_group"]) for e in items]


def test_pickup_group_set_shown_and_cleared(centrex: Centrex) -> None:  # noqa: F811
    _world(centrex)
    assert _groups(centrex, A) == [("101", None), ("102", None)]
    shown = _group(centrex, A, "101", "sales")
    assert (shown["pickup_group"], shown["tenant"]) == ("sales", A)
    _group(centrex, A, "102", "sales")
    assert _groups(centrex, A) == [("101", "sales"), ("102", "sales")]
    assert _group(centrex, A, "101", "")["pickup_group"] is None
    assert _group(centrex, A, "102", "none")["pickup_group"] is None
    assert _groups(centrex, A) == [("101", None), ("102", None)]
    # an update without the option leaves the group alone
    _group(centrex, A, "101", "front-desk.2")
    renamed = centrex.ok("extension", "update", "--tenant", A, "--number", "101",
                         "--name", "Reception")  # fmt: skip
    assert (renamed["name"], renamed["pickup_group"]) == ("Reception", "front-desk.2")


def test_bad_label_is_one_line_and_writes_nothing(centrex: Centrex) -> None:  # noqa: F811
    _world(centrex)
    _group(centrex, A, "101", "sales")
    before = centrex.snapshot()
    for value in ("two words", "-dash", "x" * 41, "sales;drop"):
        line = centrex.fails("extension", "update", "--tenant", A, "--number", "101",
                             "--name", "Changed", "--pickup-group", value)  # fmt: skip
        assert "pickup group" in line, (value, line)
        assert "\n" not in line
    assert centrex.snapshot() == before
    assert _groups(centrex, A)[0] == ("101", "sales")


def test_tenants_are_kept_apart(centrex: Centrex) -> None:  # noqa: F811
    _world(centrex)
    _group(centrex, A, "101", "sales")
    assert _groups(centrex, B) == [("101", None)]  # same number in B: untouched
    line = centrex.fails("extension", "update", "--tenant", B, "--number", "102",
                         "--pickup-group", "sales")  # fmt: skip
    assert "not found" in line  # A's 102 is not B's
    _group(centrex, B, "101", "sales")
    assert _groups(centrex, A) == [("101", "sales"), ("102", None)]
    assert _groups(centrex, B) == [("101", "sales")]
