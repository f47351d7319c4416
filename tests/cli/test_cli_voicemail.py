"""`centrex extension create` gives a mailbox; `centrex voicemail list|create|update|reset-pin`.

Issue 11, defect 4: before, an extension created on the command line had no mailbox, so its
callers heard "mailbox unavailable". Runs on SQLite and PostgreSQL (the `backend` fixture).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from centrex.data.db import Database
from centrex.data.models import VoicemailBox
from centrex.provisioning import voicemail as vm
from centrex.provisioning.tenants import scope_for
from tests.cli.test_cli_admin import Centrex

A = "a.example.com"
B = "b.example.com"


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    runner = Centrex(cli_env)
    for domain in (A, B):
        runner.ok(
            "tenant",
            "create",
            "--name",
            domain,
            "--domain",
            domain,
            "--extension-digits",
            "3",
            "--max-calls",
            "4",
        )
    return runner


def _boxes(env: dict[str, str]) -> dict[tuple[str, str], tuple[Any, ...]]:
    """Every mailbox as stored, PIN hash included: (tenant, extension) -> row values."""

    async def read() -> dict[tuple[str, str], tuple[Any, ...]]:
        database = Database(env["CENTREX_DATABASE_URL"])
        try:
            rows: dict[tuple[str, str], tuple[Any, ...]] = {}
            async with database.session() as session:
                for domain in (A, B):
                    scope = await scope_for(session, domain)
                    for box in await scope.list(VoicemailBox):
                        ext = await vm.mailbox_extension(scope, box)
                        rows[(domain, ext.number)] = (
                            box.pin_hash,
                            box.enabled,
                            box.email_enabled,
                            box.attachment_format,
                            box.max_message_seconds,
                            box.max_messages,
                            ext.email,
                        )
            return rows
        finally:
            await database.dispose()

    return asyncio.run(read())


def _pin_works(env: dict[str, str], domain: str, number: str, pin: str) -> bool:
    async def check() -> bool:
        database = Database(env["CENTREX_DATABASE_URL"])
        try:
            async with database.session() as session:
                box = await vm.mailbox_for_extension(await scope_for(session, domain), number)
                assert box is not None
                return vm.verify_pin(box, pin)
        finally:
            await database.dispose()

    return asyncio.run(check())


def test_extension_create_makes_a_mailbox_and_shows_its_pin_once(
    centrex: Centrex, cli_env: dict[str, str]
) -> None:
    created = centrex.ok(
        "extension", "create", "--tenant", A, "--number", "101", "--email", "alice@a.example.com"
    )
    pin = created["voicemail_pin"]
    assert len(pin) == 6
    assert pin.isdigit()
    assert _pin_works(cli_env, A, "101", pin)
    assert not _pin_works(cli_env, A, "101", "1" + pin[1:] if pin[0] != "1" else "2" + pin[1:])
    listed = centrex.ok("voicemail", "list", "--tenant", A)
    assert listed["total"] == 1
    (item,) = listed["items"]
    assert (item["extension"], item["email"], item["enabled"], item["email_enabled"]) == (
        "101",
        "alice@a.example.com",
        True,
        True,
    )
    assert (item["new_messages"], item["old_messages"]) == (0, 0)
    # shown once: no later output carries the PIN or its hash
    for later in (
        centrex.run("voicemail", "list", "--tenant", A, "--json").stdout,
        centrex.run("voicemail", "list", "--tenant", A).stdout,
        centrex.run("extension", "list", "--tenant", A, "--json").stdout,
    ):
        assert pin not in later
        assert "argon2" not in later
    assert centrex.ok("voicemail", "list", "--tenant", B) == {"total": 0, "items": []}
    text = centrex.run("extension", "create", "--tenant", A, "--number", "102").stdout
    assert "voicemail_pin: " in text  # the readable output shows it too


def test_reset_pin_prints_a_new_pin_and_the_old_one_stops_working(
    centrex: Centrex, cli_env: dict[str, str]
) -> None:
    old = centrex.ok("extension", "create", "--tenant", A, "--number", "101")["voicemail_pin"]
    reset = centrex.ok("voicemail", "reset-pin", "--tenant", A, "--extension", "101")
    assert (reset["tenant"], reset["extension"]) == (A, "101")
    new = reset["voicemail_pin"]
    assert len(new) == 6
    assert new.isdigit()
    assert _pin_works(cli_env, A, "101", new)
    assert old == new or not _pin_works(cli_env, A, "101", old)


def test_no_voicemail_opts_out_and_create_adds_one_later(
    centrex: Centrex, cli_env: dict[str, str]
) -> None:
    created = centrex.ok("extension", "create", "--tenant", A, "--number", "101", "--no-voicemail")
    assert "voicemail_pin" not in created
    assert centrex.ok("voicemail", "list", "--tenant", A) == {"total": 0, "items": []}
    assert centrex.ok("voicemail", "list", "--tenant", A, "--extension", "101")["total"] == 0
    assert _boxes(cli_env) == {}
    message = centrex.fails("voicemail", "reset-pin", "--tenant", A, "--extension", "101")
    assert "has no voicemail box" in message
    made = centrex.ok("voicemail", "create", "--tenant", A, "--extension", "101")
    assert _pin_works(cli_env, A, "101", made["voicemail_pin"])
    assert "already has a mailbox" in centrex.fails(
        "voicemail", "create", "--tenant", A, "--extension", "101"
    )


def test_update_changes_only_what_is_given(centrex: Centrex, cli_env: dict[str, str]) -> None:
    centrex.ok(
        "extension", "create", "--tenant", A, "--number", "101", "--email", "a@a.example.com"
    )
    centrex.ok("extension", "create", "--tenant", A, "--number", "102")
    before = _boxes(cli_env)
    updated = centrex.ok(
        "voicemail",
        "update",
        "--tenant",
        A,
        "--extension",
        "101",
        "--email",
        "Bob@A.example.com",
        "--email-enabled",
        "off",
        "--attachment-format",
        "mp3",
        "--enabled",
        "off",
        "--max-message-seconds",
        "60",
        "--max-messages",
        "5",
    )
    assert (
        updated["email"],
        updated["email_enabled"],
        updated["attachment_format"],
        updated["enabled"],
        updated["max_message_seconds"],
        updated["max_messages"],
    ) == ("bob@a.example.com", False, "mp3", False, 60, 5)
    after = _boxes(cli_env)
    assert after[(A, "101")][0] == before[(A, "101")][0]  # the PIN is untouched
    assert after[(A, "102")] == before[(A, "102")]
    ext = centrex.ok("extension", "list", "--tenant", A)["items"][0]
    assert ext["email"] == "bob@a.example.com"  # the mailbox mails to the extension's address
    again = centrex.ok(
        "voicemail", "update", "--tenant", A, "--extension", "101", "--enabled", "on"
    )
    assert (again["enabled"], again["email_enabled"], again["max_messages"]) == (True, False, 5)
    only = centrex.ok("voicemail", "list", "--tenant", A, "--extension", "102")
    assert [i["extension"] for i in only["items"]] == ["102"]


def test_bad_input_fails_with_one_line_and_writes_nothing(
    centrex: Centrex, cli_env: dict[str, str]
) -> None:
    centrex.ok("extension", "create", "--tenant", A, "--number", "101")
    centrex.ok("extension", "create", "--tenant", B, "--number", "102")
    centrex.ok("extension", "create", "--tenant", B, "--number", "103", "--no-voicemail")
    before = (_boxes(cli_env), centrex.run("voicemail", "list", "--tenant", B, "--json").stdout)
    update = ("voicemail", "update", "--tenant", A, "--extension")
    cases = [
        (("voicemail", "list", "--tenant", A, "--extension", "199"), "extension 199 not found"),
        # another tenant's extension is not found, never reached
        (("voicemail", "list", "--tenant", A, "--extension", "102"), "extension 102 not found"),
        (("voicemail", "reset-pin", "--tenant", A, "--extension", "102"), "102 not found"),
        (("voicemail", "create", "--tenant", A, "--extension", "103"), "103 not found"),
        ((*update, "102", "--enabled", "off"), "102 not found"),
        ((*update, "199", "--enabled", "off"), "199 not found"),
        (
            ("voicemail", "reset-pin", "--tenant", "nope.example.com", "--extension", "101"),
            "unknown",
        ),
        ((*update, "101", "--max-messages", "0", "--enabled", "off"), "1 to 1000"),
        ((*update, "101", "--max-message-seconds", "5", "--email-enabled", "off"), "10 to 900"),
        ((*update, "101", "--email", "not-an-address", "--enabled", "off"), "e-mail address"),
    ]
    for args, expected in cases:
        message = centrex.fails(*args)
        assert expected in message, (args, message)
    after = (_boxes(cli_env), centrex.run("voicemail", "list", "--tenant", B, "--json").stdout)
    assert after == before
    assert json.loads(after[1])["total"] == 1


def test_deleting_an_extension_deletes_its_mailbox(
    centrex: Centrex, cli_env: dict[str, str]
) -> None:
    centrex.ok("extension", "create", "--tenant", A, "--number", "101")
    centrex.ok("extension", "create", "--tenant", B, "--number", "101")
    centrex.ok("extension", "delete", "--tenant", A, "--number", "101")
    assert list(_boxes(cli_env)) == [(B, "101")]
    assert "not found" in centrex.fails(
        "voicemail", "reset-pin", "--tenant", A, "--extension", "101"
    )
    recreated = centrex.ok("extension", "create", "--tenant", A, "--number", "101")
    assert _pin_works(cli_env, A, "101", recreated["voicemail_pin"])
