"""The demo's credentials file: kept passwords survive a restart, private to its owner (0600),
and a file that cannot be understood is replaced with a warning instead of stopping the demo."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from centrex.cli.common import CliState
from centrex.cli.demo_credentials import (
    DemoCredentialsError,
    PasswordSource,
    credentials_path,
    load,
    resolve,
)
from centrex.cli.serve import DEMO_ADMIN_EMAIL, DEMO_EXTENSIONS, _demo_objects
from centrex.data.db import Database
from centrex.data.models import Extension, SipCredential, User
from centrex.provisioning.credentials import ha1
from centrex.provisioning.passwords import verify_password
from centrex.provisioning.tenants import scope_for

NUMBERS = [number for number, _name in DEMO_EXTENSIONS]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return credentials_path(tmp_path / "data")


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would make new files world-readable: the file must be 0600 anyway."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_first_start_writes_a_private_file_and_the_next_keeps_it(store: Path) -> None:
    first, source = resolve(store, NUMBERS)
    assert source is PasswordSource.NEW
    assert store.name == "demo-credentials.json"
    assert mode(store) == 0o600
    assert sorted(first.sip) == NUMBERS
    assert len(set(first.sip.values())) == len(NUMBERS)  # one password per phone
    assert all(len(p) >= 16 for p in [*first.sip.values(), first.admin_password])
    again, source = resolve(store, NUMBERS)
    assert source is PasswordSource.KEPT
    assert again == first
    assert mode(store) == 0o600
    assert [p.name for p in store.parent.iterdir()] == [store.name]  # no temporary file left


def test_reset_makes_new_passwords_and_saves_them(store: Path) -> None:
    first, _ = resolve(store, NUMBERS)
    fresh, source = resolve(store, NUMBERS, reset=True)
    assert source is PasswordSource.RESET
    assert set(fresh.sip.values()).isdisjoint(first.sip.values())
    assert fresh.admin_password != first.admin_password
    assert load(store) == fresh


def test_a_given_password_is_every_phones_and_is_kept(store: Path) -> None:
    first, _ = resolve(store, NUMBERS)
    given, source = resolve(store, NUMBERS, password="my-demo-secret")
    assert source is PasswordSource.GIVEN
    assert set(given.sip.values()) == {"my-demo-secret"}
    assert given.admin_password == first.admin_password  # portal logins are not touched
    later, source = resolve(store, NUMBERS)
    assert (later, source) == (given, PasswordSource.KEPT)


def test_a_short_given_password_is_refused_and_nothing_is_written(store: Path) -> None:
    with pytest.raises(DemoCredentialsError, match="at least 8 characters"):
        resolve(store, NUMBERS, password="short")
    assert not store.exists()


def test_an_extension_missing_from_the_file_gets_a_password_others_keep_theirs(
    store: Path,
) -> None:
    first, _ = resolve(store, NUMBERS[:2])
    grown, source = resolve(store, NUMBERS)
    assert source is PasswordSource.KEPT
    assert {n: grown.sip[n] for n in NUMBERS[:2]} == first.sip
    assert len(grown.sip[NUMBERS[2]]) >= 16
    assert load(store) == grown


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[]",
        b'{"version": 99, "extensions": {}, "admin_password": "x" , "softphone_password": "y"}',
        b'{"version": 1, "extensions": ["101"], "admin_password": "abcdefgh",'
        b' "softphone_password": "abcdefgh"}',
        b'{"version": 1, "extensions": {"101": "short"}, "admin_password": "abcdefghij",'
        b' "softphone_password": "abcdefghij"}',
        b'{"version": 1, "extensions": {"101": "long-enough-1"}}',
        b"",
    ],
    ids=["broken-json", "not-utf8", "not-object", "version", "list", "short", "missing", "empty"],
)
def test_a_file_that_cannot_be_understood_is_replaced_with_a_warning(
    store: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    store.parent.mkdir(parents=True)
    store.write_bytes(content)
    store.chmod(0o600)
    with caplog.at_level(logging.WARNING, logger="centrex.cli.demo_credentials"):
        credentials, source = resolve(store, NUMBERS)
    assert source is PasswordSource.NEW
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert str(store) in warning
    assert "new demo passwords replace it" in warning
    assert json.loads(store.read_text())["extensions"] == credentials.sip  # rewritten, valid
    assert mode(store) == 0o600


def test_a_file_readable_by_others_is_narrowed_and_kept(
    store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first, _ = resolve(store, NUMBERS)
    store.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="centrex.cli.demo_credentials"):
        again, source = resolve(store, NUMBERS)
    assert (again, source) == (first, PasswordSource.KEPT)
    assert mode(store) == 0o600
    assert any("narrowed" in r.getMessage() for r in caplog.records)


def test_a_directory_in_place_of_the_file_is_a_clear_error(store: Path) -> None:
    store.mkdir(parents=True)
    with pytest.raises(DemoCredentialsError, match="is not a regular file"):
        resolve(store, NUMBERS)


def test_the_demo_command_stops_with_one_line_naming_the_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    credentials_path(data).mkdir(parents=True)
    env = dict(os.environ, CENTREX_DATA_DIR=str(data), CENTREX_DATABASE_URL="")
    env.pop("CENTREX_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "centrex", "demo", "--sip", "127.0.0.1:0", "--http", "127.0.0.1:0"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: {credentials_path(data)} is not a regular file: remove it or move it away"
    )
    assert "Traceback" not in done.stderr
    assert not (data / "centrex.db").exists()  # stopped before touching the database


async def test_kept_passwords_leave_the_database_as_it_was(db: Database, store: Path) -> None:
    """A restart with the kept passwords writes the same digests and keeps the login rows."""
    credentials, _ = resolve(store, NUMBERS)
    async with db.transaction() as session:
        lines, admin_password = await _demo_objects(CliState(), session, credentials)
    assert [line.password for line in lines] == [credentials.sip[n] for n in NUMBERS]
    assert admin_password == credentials.admin_password
    assert lines[0].portal_password == credentials.softphone_password
    async with db.session() as session:
        scope = await scope_for(session, "demo.centrex.test")
        admin = await scope.first(User, User.email == DEMO_ADMIN_EMAIL)
        assert admin is not None
        hash_before = admin.password_hash
    again, source = resolve(store, NUMBERS)
    assert source is PasswordSource.KEPT
    async with db.transaction() as session:
        lines, admin_password = await _demo_objects(CliState(), session, again)
    assert [line.password for line in lines] == [credentials.sip[n] for n in NUMBERS]
    async with db.session() as session:
        scope = await scope_for(session, "demo.centrex.test")
        admin = await scope.first(User, User.email == DEMO_ADMIN_EMAIL)
        assert admin is not None
        assert admin.password_hash == hash_before
        assert verify_password(hash_before or "", credentials.admin_password)
        for number in NUMBERS:
            extension = await scope.first(Extension, Extension.number == number)
            assert extension is not None
            row = await scope.first(SipCredential, SipCredential.extension_id == extension.id)
            assert row is not None
            assert row.ha1_md5 == ha1(row.username, row.realm, credentials.sip[number], "MD5")
