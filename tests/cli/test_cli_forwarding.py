"""`centrex extension forward|dnd` and `extension update --call-waiting`, on SQLite and
PostgreSQL: each kind set and cleared, destinations normalised, a destination the router would
refuse (another tenant's extension, an undialable number, a missing flow, the extension itself)
is one line of error and nothing is written, tenants are kept apart."""

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
    c.ok("extension", "create", "--tenant", B, "--number", "201")


def _forward(c: Centrex, *args: str) -> Any:
    return c.ok("extension", "forward", "--tenant", A, "--number", "101", *args)


def test_every_forward_kind_set_and_cleared(centrex: Centrex) -> None:  # noqa: F811
    _world(centrex)
    assert _forward(centrex, "--always", "102")["forwarding"]["always"] == "102"
    busy = _forward(centrex, "--busy", "079 123 45 67")
    assert busy["forwarding"]["busy"] == "+41791234567"  # normalised for the tenant's country
    na = _forward(centrex, "--no-answer", "voicemail", "--after", "12")
    assert (na["forwarding"]["no_answer"], na["forwarding"]["no_answer_seconds"]) == (
        "voicemail",
        12,
    )
    un = _forward(centrex, "--unregistered", "+41215550199")
    assert un["forwarding"] == {
        "always": "102",
        "busy": "+41791234567",
        "no_answer": "voicemail",
        "no_answer_seconds": 12,
        "unregistered": "+41215550199",
    }
    assert un["tenant"] == A
    shown = centrex.ok("extension", "list", "--tenant", A)["items"][0]
    assert shown["forwarding"]["always"] == "102"
    cleared = _forward(centrex, "--clear", "busy")["forwarding"]
    assert (cleared["busy"], cleared["always"]) == (None, "102")
    everything = _forward(centrex, "--clear", "all")["forwarding"]
    assert everything == {
        "always": None,
        "busy": None,
        "no_answer": None,
        "no_answer_seconds": 20,
        "unregistered": None,
    }


def test_bad_destinations_are_one_line_and_write_nothing(centrex: Centrex) -> None:  # noqa: F811
    _world(centrex)
    _forward(centrex, "--always", "102")
    before = centrex.snapshot()
    for args, words in (
        (("--always", "201"), "201 does not exist"),  # B's extension: unknown in A
        (("--always", "999"), "999 does not exist"),
        (("--busy", "101"), "itself"),
        (("--busy", "hello"), "not an extension"),
        (("--busy", "112"), "emergency"),
        (("--always", "flow:nope"), "nope"),
        (("--no-answer", "102", "--after", "0"), "--after"),
        (("--busy", "102", "--after", "10"), "--after"),
        (("--always", "102", "--busy", "102"), "exactly one"),
        ((), "exactly one"),
        (("--clear", "sometimes"), "unknown forward kind"),
    ):
        line = centrex.fails("extension", "forward", "--tenant", A, "--number", "101", *args)
        assert words in line, (args, line)
    assert centrex.snapshot() == before
    unknown = centrex.fails("extension", "forward", "--tenant", B, "--number", "101",
                            "--always", "201")  # fmt: skip
    assert "101" in unknown  # A's 101 is not B's


def test_dnd_and_call_waiting(centrex: Centrex) -> None:  # noqa: F811
    _world(centrex)
    assert centrex.ok("extension", "dnd", "--tenant", A, "--number", "101", "--on")["dnd"] is True
    shown = centrex.ok("extension", "list", "--tenant", A)["items"]
    assert [(e["number"], e["dnd"], e["call_waiting"]) for e in shown] == [
        ("101", True, True),
        ("102", False, True),
    ]
    assert centrex.ok("extension", "dnd", "--tenant", A, "--number", "101", "--off")["dnd"] is False
    off = centrex.ok("extension", "update", "--tenant", A, "--number", "102",
                     "--call-waiting", "off")  # fmt: skip
    assert off["call_waiting"] is False
    on = centrex.ok("extension", "update", "--tenant", A, "--number", "102",
                    "--call-waiting", "on")  # fmt: skip
    assert on["call_waiting"] is True
    assert centrex.run("extension", "dnd", "--tenant", A, "--number", "101").exit_code == 2
    assert centrex.run("extension", "update", "--tenant", A, "--number", "101",
                       "--call-waiting", "maybe").exit_code == 2  # fmt: skip
    assert "not found" in centrex.fails("extension", "dnd", "--tenant", B, "--number", "101",
                                        "--on")  # fmt: skip
    assert centrex.ok("extension", "list", "--tenant", B)["items"][0]["dnd"] is False
