"""`centrex dnc national-import|national-list|national-delete` (SQLite and PostgreSQL): the
import's JSON, --replace, the list, delete; bad input exits 2 with one line and writes
nothing; and the list at work for a tenant: `dnc remove` of a nationally listed number says it
stays blocked, `campaign explain --number` names the list."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli_admin import Centrex

A = "a.example.com"


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    runner = Centrex(cli_env)
    runner.ok("tenant", "create", "--name", A, "--domain", A, "--country", "FR",
              "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
    runner.ok("extension", "create", "--tenant", A, "--number", "101")
    return runner


def _file(tmp_path: Path, name: str, lines: list[str]) -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _refused(centrex: Centrex, *args: str) -> str:
    result = centrex.run(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_import_list_replace_and_delete(centrex: Centrex, tmp_path: Path) -> None:
    first = _file(tmp_path, "bloctel.csv", ["numero", "01 42 68 53 01", "+33142685302",
                                            "+41445550000", "0142685301"])  # fmt: skip
    imported = centrex.ok("dnc", "national-import", "--country", "FR", "--name", "Bloctel",
                          "--file", first)  # fmt: skip
    assert imported == {"list": "Bloctel", "country": "FR", "imported": 2, "duplicates": 1,
                        "rejected": [{"line": 4,
                                      "error": "a number of CH, not of FR: '+41445550000'"}],
                        "total": 2}  # fmt: skip
    more = _file(tmp_path, "more.txt", ["+33142685302", "+33142685303"])
    added = centrex.ok("dnc", "national-import", "--country", "fr", "--name", "Bloctel",
                       "--file", more)  # fmt: skip
    assert (added["imported"], added["duplicates"], added["total"]) == (1, 1, 3)
    swapped = centrex.ok("dnc", "national-import", "--country", "FR", "--name", "Bloctel",
                         "--file", more, "--replace")  # fmt: skip
    assert (swapped["imported"], swapped["total"]) == (2, 2)
    listed = centrex.ok("dnc", "national-list")
    assert [(x["country"], x["name"], x["count"]) for x in listed["items"]] == [
        ("FR", "Bloctel", 2)
    ]
    table = centrex.run("dnc", "national-list")
    assert table.exit_code == 0
    assert "Bloctel" in table.output
    assert centrex.ok("dnc", "national-delete", "--country", "FR", "--name", "Bloctel") == {
        "deleted": "Bloctel", "country": "FR", "numbers": 2,
    }  # fmt: skip
    assert centrex.ok("dnc", "national-list") == {"total": 0, "items": []}
    assert "no national DNC list" in centrex.fails("dnc", "national-delete", "--country", "FR",
                                                   "--name", "Bloctel")  # fmt: skip


def test_bad_input_exits_2_with_one_line(centrex: Centrex, tmp_path: Path) -> None:
    good = _file(tmp_path, "good.txt", ["+33142685301"])
    foreign = _file(tmp_path, "foreign.txt", ["+41445550000", "hello"])
    base = ("dnc", "national-import", "--name", "Bloctel")
    assert "unknown country code 'XX'" in _refused(centrex, *base, "--country", "XX",
                                                   "--file", good)  # fmt: skip
    assert "cannot read" in _refused(centrex, *base, "--country", "FR", "--file",
                                     str(tmp_path / "missing.txt"))  # fmt: skip
    assert "no valid number of FR" in _refused(centrex, *base, "--country", "FR",
                                               "--file", foreign)  # fmt: skip
    assert "unknown country code" in _refused(centrex, "dnc", "national-delete", "--country",
                                              "ZZ", "--name", "Bloctel")  # fmt: skip
    assert centrex.ok("dnc", "national-list")["total"] == 0


def test_a_tenant_sees_the_block_but_cannot_lift_it(centrex: Centrex, tmp_path: Path) -> None:
    path = _file(tmp_path, "bloctel.txt", ["06 12 34 56 78"])
    centrex.ok("dnc", "national-import", "--country", "FR", "--name", "Bloctel", "--file", path)
    centrex.ok("dnc", "add", "--tenant", A, "--number", "+33612345678")
    removed = centrex.ok("dnc", "remove", "--tenant", A, "--number", "+33612345678")
    assert removed["national"] == "Bloctel (FR)"
    assert removed["message"] == "+33612345678 stays blocked: national DNC list Bloctel (FR)"
    assert centrex.ok("dnc", "list", "--tenant", A)["total"] == 0
    centrex.ok("campaign", "create", "--tenant", A, "--name", "Spring", "--method", "predictive",
               "--agent", "101")  # fmt: skip
    explained = centrex.ok("campaign", "explain", "--tenant", A, "--name", "Spring",
                           "--number", "06 12 34 56 78")  # fmt: skip
    assert explained["dnc"] == {"tenant": False, "campaign": False, "national": "Bloctel",
                                "blocked": True}  # fmt: skip
