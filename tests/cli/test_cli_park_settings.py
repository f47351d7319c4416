"""`centrex tenant set-park` and `centrex number add --ring-group`, on SQLite and PostgreSQL:
the settings are stored and shown, refusals name what is wrong, `--default` goes back."""

from __future__ import annotations

from tests.cli.test_cli_admin import Centrex, centrex  # noqa: F401 - the fixture


def test_tenant_park_settings_and_a_number_to_a_ring_group(centrex: Centrex) -> None:  # noqa: F811
    centrex.ok(
        "tenant", "create", "--name", "A", "--domain", "a.example.com",
        "--extension-digits", "3", "--max-calls", "4",
    )  # fmt: skip
    shown = centrex.ok("tenant", "set-park", "a.example.com", "--number", "800", "--slots",
                       "801-805", "--timeout", "45")  # fmt: skip
    assert (shown["park_number"], shown["park_slots"], shown["park_timeout"]) == (
        "800", "801-805", 45,
    )  # fmt: skip
    assert centrex.ok("tenant", "show", "a.example.com")["park_slots"] == "801-805"
    centrex.ok("extension", "create", "--tenant", "a.example.com", "--number", "101")
    taken = centrex.run("tenant", "set-park", "a.example.com", "--slots", "100-102")
    assert taken.exit_code != 0
    assert "101 is an extension" in taken.output
    backwards = centrex.run("tenant", "set-park", "a.example.com", "--slots", "809-801")
    assert backwards.exit_code != 0
    assert "comes after" in backwards.output
    reset = centrex.ok("tenant", "set-park", "a.example.com", "--default")
    assert (reset["park_number"], reset["park_slots"], reset["park_timeout"]) == (
        "700", "701-709", 60,
    )  # fmt: skip
    centrex.ok("ring-group", "create", "--tenant", "a.example.com", "--number", "600",
               "--strategy", "simultaneous", "--member", "101")  # fmt: skip
    routed = centrex.ok("number", "add", "+41215550160", "--tenant", "a.example.com",
                        "--ring-group", "600")  # fmt: skip
    assert (routed["ring_group"], routed["extension"]) == ("600", None)
    unknown = centrex.run("number", "add", "+41215550161", "--tenant", "a.example.com",
                          "--ring-group", "601")  # fmt: skip
    assert unknown.exit_code != 0
    assert "ring group 601" in unknown.output
