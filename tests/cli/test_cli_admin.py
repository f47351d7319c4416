"""The CLI contract of the Foundation issue, on SQLite and PostgreSQL.

Commands run in-process through click's runner (same code path as the console script, without
paying the interpreter start-up for each); `test_console_script` runs the real binary.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner, Result

from centrex.cli import cli


class Centrex:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.runner = CliRunner()

    def run(self, *args: str) -> Result:
        return self.runner.invoke(cli, list(args), env=self.env, catch_exceptions=False)

    def ok(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def fails(self, *args: str) -> str:
        result = self.run(*args, "--json")
        assert result.exit_code != 0, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        return lines[0]

    def snapshot(self) -> Any:
        return {
            "tenants": self.ok("tenant", "list"),
            "ext_a": self.run("extension", "list", "--tenant", "a.example.com", "--json").stdout,
            "numbers_a": self.run("number", "list", "--tenant", "a.example.com", "--json").stdout,
            "trunks": self.ok("trunk", "list"),
        }


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    return Centrex(cli_env)


def test_full_admin_flow(centrex: Centrex) -> None:
    partner = centrex.ok("partner", "create", "--name", "Reseller SA")
    a = centrex.ok(
        "tenant",
        "create",
        "--name",
        "A",
        "--domain",
        "a.example.com",
        "--extension-digits",
        "3",
        "--max-calls",
        "4",
        "--language",
        "fr",
        "--partner",
        str(partner["id"]),
        "--trial-days",
        "40",
    )
    assert a["id"] > 0
    assert (a["domain"], a["status"], a["language"], a["partner_id"]) == (
        "a.example.com",
        "trial",
        "fr",
        partner["id"],
    )
    centrex.ok(
        "tenant",
        "create",
        "--name",
        "B",
        "--domain",
        "b.example.com",
        "--extension-digits",
        "3",
        "--max-calls",
        "2",
    )
    listed = centrex.ok("tenant", "list")
    assert listed["total"] == 2
    assert [t["domain"] for t in listed["items"]] == ["a.example.com", "b.example.com"]
    assert centrex.ok("tenant", "show", "a.example.com")["name"] == "A"

    ext = centrex.ok(
        "extension", "create", "--tenant", "a.example.com", "--number", "101", "--name", "Alice"
    )
    assert ext["id"] > 0
    assert ext["sip_username"] == "101"
    assert len(ext["sip_password"]) >= 16
    given = centrex.ok(
        "extension",
        "create",
        "--tenant",
        "b.example.com",
        "--number",
        "101",
        "--password",
        "GivenPass123",
    )
    assert "sip_password" not in given  # a chosen password is never echoed
    a_exts = centrex.ok("extension", "list", "--tenant", "a.example.com")
    assert a_exts["total"] == 1
    assert a_exts["items"][0]["name"] == "Alice"

    rng = centrex.ok("number", "range", "add", "+41215550100", "+41215550199")
    assert rng["size"] == 100
    num = centrex.ok(
        "number", "add", "+41215550100", "--tenant", "a.example.com", "--extension", "101"
    )
    assert (num["e164"], num["state"], num["extension"]) == ("+41215550100", "assigned", "101")
    assert centrex.ok("number", "list", "--tenant", "a.example.com")["total"] == 1
    assert centrex.ok("number", "list", "--tenant", "b.example.com")["total"] == 0

    trunk = centrex.ok(
        "trunk",
        "create",
        "--name",
        "carrier-a",
        "--host",
        "127.0.0.1",
        "--port",
        "5080",
        "--priority",
        "1",
        "--username",
        "u",
        "--password",
        "trunk-secret",
    )
    assert trunk["has_password"] is True
    assert "trunk-secret" not in json.dumps(centrex.ok("trunk", "list"))
    assert centrex.ok("cdr", "list", "--tenant", "a.example.com") == {"total": 0, "items": []}

    assert centrex.ok("tenant", "suspend", "a.example.com")["status"] == "suspended"
    assert centrex.ok("tenant", "activate", "a.example.com")["status"] == "active"

    deleted = centrex.ok("extension", "delete", "--tenant", "a.example.com", "--number", "101")
    assert deleted["deleted"] is True
    assert centrex.ok("extension", "list", "--tenant", "a.example.com")["total"] == 0
    assert centrex.ok("extension", "list", "--tenant", "b.example.com")["total"] == 1


def test_bad_input_fails_with_one_line_and_writes_nothing(centrex: Centrex) -> None:
    centrex.ok(
        "tenant",
        "create",
        "--name",
        "A",
        "--domain",
        "a.example.com",
        "--extension-digits",
        "3",
        "--max-calls",
        "4",
    )
    centrex.ok(
        "tenant",
        "create",
        "--name",
        "B",
        "--domain",
        "b.example.com",
        "--extension-digits",
        "3",
        "--max-calls",
        "4",
    )
    centrex.ok("extension", "create", "--tenant", "a.example.com", "--number", "101")
    centrex.ok("number", "add", "+41215550100", "--tenant", "a.example.com")
    before = centrex.snapshot()
    cases = [
        (
            (
                "tenant",
                "create",
                "--name",
                "X",
                "--domain",
                "not valid",
                "--extension-digits",
                "3",
                "--max-calls",
                "1",
            ),
            "domain",
        ),
        (
            (
                "tenant",
                "create",
                "--name",
                "X",
                "--domain",
                "a.example.com",
                "--extension-digits",
                "3",
                "--max-calls",
                "1",
            ),
            "already used",
        ),
        (
            (
                "tenant",
                "create",
                "--name",
                "X",
                "--domain",
                "x.example.com",
                "--extension-digits",
                "7",
                "--max-calls",
                "1",
            ),
            "between 2 and 5",
        ),
        (
            (
                "tenant",
                "create",
                "--name",
                "X",
                "--domain",
                "x.example.com",
                "--extension-digits",
                "3",
                "--max-calls",
                "-5",
            ),
            "negative",
        ),
        (("extension", "create", "--tenant", "a.example.com", "--number", "1011"), "3 digits"),
        (("extension", "create", "--tenant", "a.example.com", "--number", "101"), "already"),
        (
            ("extension", "create", "--tenant", "nope.example.com", "--number", "101"),
            "unknown tenant",
        ),
        (("number", "add", "not-a-number", "--tenant", "a.example.com"), "E.164"),
        (("number", "add", "+41215550100", "--tenant", "b.example.com"), "another tenant"),
        (("extension", "delete", "--tenant", "b.example.com", "--number", "101"), "not found"),
        (("tenant", "show", "nope.example.com"), "unknown tenant"),
        (
            (
                "trunk",
                "create",
                "--name",
                "t",
                "--host",
                "bad host",
                "--port",
                "5060",
                "--priority",
                "1",
            ),
            "host",
        ),
    ]
    for args, expected in cases:
        message = centrex.fails(*args)
        assert expected in message, (args, message)
    assert centrex.snapshot() == before


def test_unmigrated_database_is_refused(tmp_path: Any) -> None:
    env = {"CENTREX_DATA_DIR": str(tmp_path), "CENTREX_DATABASE_URL": ""}
    result = CliRunner().invoke(cli, ["tenant", "list", "--json"], env=env)
    assert result.exit_code == 1
    assert "centrex db upgrade" in result.stderr


def test_console_script(cli_env: dict[str, str]) -> None:
    """`python -m centrex` runs the same CLI as the `centrex` script."""
    done = subprocess.run(
        [sys.executable, "-m", "centrex", "tenant", "list", "--json"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"total": 0, "items": []}
