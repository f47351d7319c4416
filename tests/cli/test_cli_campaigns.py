"""`centrex campaign|lead|dnc` (SQLite and PostgreSQL): the options of issue 15's contract,
the exact JSON of `lead import`, rollback, export as CSV and XLSX read back, search, DNC by
number and by file, focus, the status table, and bad input (one line, nothing written) —
including another tenant's campaign and batch being simply not found."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli.test_cli_admin import Centrex

A = "a.example.com"
B = "b.example.com"
LEADS = [
    "Nom;Téléphone;CP;Société",
    "Dupont;01 42 68 53 01;75008;ACME",
    "Bad;12;1;",
    "Twice;+33142685301;75008;",
    "Martin;04 91 00 00 01;13001;Café",
    "Blocked;06 12 34 56 78;75001;",
]
MAP = ("--map", "number=Téléphone", "--map", "name=Nom", "--map", "postal_code=CP")


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    runner = Centrex(cli_env)
    for domain, numbers in ((A, ("101", "102")), (B, ("201",))):
        runner.ok("tenant", "create", "--name", domain, "--domain", domain, "--country", "FR",
                  "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
        for number in numbers:
            runner.ok("extension", "create", "--tenant", domain, "--number", number)
    return runner


def _file(tmp_path: Path, name: str, lines: list[str], encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return str(path)


def test_create_list_and_status_moves(centrex: Centrex) -> None:
    made = centrex.ok("campaign", "create", "--tenant", A, "--name", "Spring", "--method",
                      "ratio", "--ratio", "2", "--drop-target", "2.5", "--window",
                      "10:00-19:00", "--max-attempts", "5", "--agent", "101",
                      "--retry", "busy=300")  # fmt: skip
    assert {k: made[k] for k in ("name", "method", "ratio", "drop_target", "caller_id", "window",
                                 "max_attempts", "status", "agents", "tenant")} == {
        "name": "Spring", "method": "ratio", "ratio": 2.0, "drop_target": 0.025,
        "caller_id": "local", "window": "10:00-19:00", "max_attempts": 5, "status": "draft",
        "agents": ["101"], "tenant": A,
    }  # fmt: skip
    assert made["retry_delays"]["busy"] == 300
    listed = centrex.ok("campaign", "list", "--tenant", A)
    assert [c["name"] for c in listed["items"]] == ["Spring"]
    assert centrex.ok("campaign", "list", "--tenant", B) == {"total": 0, "items": []}
    assert centrex.ok("campaign", "list", "--tenant", A, "--name", "Spring")["total"] == 1
    for action, status in (("start", "running"), ("pause", "paused"), ("start", "running"),
                           ("stop", "stopped")):  # fmt: skip
        moved = centrex.ok("campaign", action, "--tenant", A, "--name", "Spring")
        assert moved["status"] == status
    assert "stopped: cannot pause" in centrex.fails("campaign", "pause", "--tenant", A,
                                                    "--name", "Spring")  # fmt: skip
    focus = centrex.ok("campaign", "focus", "--tenant", A, "--name", "Spring", "--postal-code",
                       "75", "--postal-code", "13001")  # fmt: skip
    assert focus["postal_focus"] == ["75", "13001"]
    cleared = centrex.ok("campaign", "focus", "--tenant", A, "--name", "Spring", "--clear")
    assert cleared["postal_focus"] == []
    stats = centrex.ok("campaign", "stats", "--tenant", A, "--name", "Spring")
    assert {k: stats[k] for k in ("placed", "answered", "dropped", "drop_pct")} == {
        "placed": 0, "answered": 0, "dropped": 0, "drop_pct": 0.0,
    }  # fmt: skip


def test_bad_campaigns_are_one_line_and_write_nothing(centrex: Centrex) -> None:
    base = ("campaign", "create", "--tenant", A, "--name", "X")
    assert "never opens" in centrex.fails(*base, "--method", "predictive", "--window",
                                          "09:00-09:00")  # fmt: skip
    assert "dial method is one of" in centrex.fails(*base, "--method", "robot")
    assert "ratio must be 1-5" in centrex.fails(*base, "--method", "ratio", "--ratio", "9")
    assert "drop target" in centrex.fails(*base, "--method", "ratio", "--drop-target", "0")
    assert "not a number of a.example.com" in centrex.fails(*base, "--method", "ratio",
                                                            "--caller-id", "+41215550999")  # fmt: skip
    assert "201 is not an extension of a.example.com" in centrex.fails(
        *base, "--method", "ratio", "--agent", "201"
    )
    assert centrex.ok("campaign", "list", "--tenant", A)["total"] == 0
    centrex.ok(*base, "--method", "preview")
    assert "exists already" in centrex.fails(*base, "--method", "preview")
    assert "has no agents" in centrex.fails("campaign", "start", "--tenant", A, "--name", "X")
    assert "not found" in centrex.fails("campaign", "start", "--tenant", B, "--name", "X")


def test_import_rollback_export_search(centrex: Centrex, tmp_path: Path) -> None:
    centrex.ok("campaign", "create", "--tenant", A, "--name", "Spring", "--method", "predictive")
    centrex.ok("dnc", "add", "--tenant", A, "--number", "+33612345678")
    path = _file(tmp_path, "leads.csv", LEADS, "cp1252")
    result = centrex.run("lead", "import", path, "--tenant", A, "--campaign", "Spring", *MAP,
                         "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "read as cp1252" in result.stderr
    imported = json.loads(result.stdout)
    assert imported == {"batch": imported["batch"], "imported": 2,
                        "rejected": [{"line": 3, "error": "too short: '12'"}],
                        "dnc_filtered": 1, "duplicates": 1}  # fmt: skip
    second = centrex.ok("lead", "import", _file(tmp_path, "more.csv", ["phone", "0142685301",
                        "0142685399"]), "--tenant", A, "--campaign", "Spring")  # fmt: skip
    assert (second["imported"], second["duplicates"]) == (1, 1)
    found = centrex.ok("lead", "search", "--tenant", A, "--campaign", "Spring", "--query", "café")
    assert [x["name"] for x in found["items"]] == ["Martin"]
    assert centrex.ok("lead", "search", "--tenant", A, "--postal-code", "75")["total"] == 1
    assert centrex.ok("lead", "search", "--tenant", A, "--status", "new")["total"] == 3
    assert centrex.ok("lead", "search", "--tenant", B)["total"] == 0
    out_csv, out_xlsx = tmp_path / "out.csv", tmp_path / "out.xlsx"
    assert centrex.ok("lead", "export", "--tenant", A, "--campaign", "Spring", "--csv",
                      str(out_csv))["leads"] == 3  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text("utf-8-sig"))))
    assert {r["number"]: (r["status"], r["attempts"], r["Société"]) for r in rows} == {
        "+33142685301": ("new", "0", "ACME"), "+33491000001": ("new", "0", "Café"),
        "+33142685399": ("new", "0", ""),
    }  # fmt: skip
    centrex.ok("lead", "export", "--tenant", A, "--campaign", "Spring", "--xlsx", str(out_xlsx))
    sheet = load_workbook(out_xlsx).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("number", "name", "postal_code", "status")
    assert len(values) == 4
    # the export imports again into another campaign (round trip through XLSX)
    centrex.ok("campaign", "create", "--tenant", A, "--name", "Again", "--method", "preview")
    again = centrex.ok("lead", "import", str(out_xlsx), "--tenant", A, "--campaign", "Again")
    assert again["imported"] == 3
    # rollback: exactly the second batch; another tenant does not find it
    assert "batch" in centrex.fails("lead", "rollback", "--tenant", B, "--batch",
                                    str(second["batch"]))  # fmt: skip
    gone = centrex.ok("lead", "rollback", "--tenant", A, "--batch", str(second["batch"]))
    assert (gone["leads"], gone["attempts"]) == (1, 0)
    left = centrex.ok("lead", "search", "--tenant", A, "--campaign", "Spring")
    assert sorted(x["number"] for x in left["items"]) == ["+33142685301", "+33491000001"]


def test_broken_lead_files(centrex: Centrex, tmp_path: Path) -> None:
    centrex.ok("campaign", "create", "--tenant", A, "--name", "Spring", "--method", "predictive")
    base = ("lead", "import")
    tail = ("--tenant", A, "--campaign", "Spring")
    assert "is empty" in centrex.fails(*base, _file(tmp_path, "e.csv", []), *tail)
    assert "column 'Phone' (mapped to number) is not in the file" in centrex.fails(
        *base, _file(tmp_path, "m.csv", ["Tel", "0142685300"]), *tail, "--map", "number=Phone"
    )
    assert "field=Column" in centrex.fails(*base, _file(tmp_path, "x.csv", ["Tel"]), *tail,
                                           "--map", "number")  # fmt: skip
    broken = tmp_path / "b.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    assert "XLSX" in centrex.fails(*base, str(broken), *tail)
    assert "cannot read" in centrex.fails(*base, str(tmp_path / "missing.csv"), *tail)
    assert "not found" in centrex.fails(*base, _file(tmp_path, "ok.csv", ["Tel", "0142685300"]),
                                        "--tenant", B, "--campaign", "Spring")  # fmt: skip
    assert centrex.ok("lead", "batches", "--tenant", A)["total"] == 0


def test_dnc_add_list_remove(centrex: Centrex, tmp_path: Path) -> None:
    centrex.ok("campaign", "create", "--tenant", A, "--name", "Spring", "--method", "predictive")
    assert centrex.ok("dnc", "add", "--tenant", A, "--number", "01 42 68 53 00") == {
        "added": 1, "existing": 0, "rejected": []}  # fmt: skip
    assert centrex.ok("dnc", "add", "--tenant", A, "--number", "+33142685300")["existing"] == 1
    path = _file(tmp_path, "dnc.txt", ["number", "+33142685301", "", "# comment", "nope",
                                       "04 91 00 00 00"])  # fmt: skip
    added = centrex.ok("dnc", "add", "--tenant", A, "--file", path, "--campaign", "Spring")
    assert added == {"added": 2, "existing": 0,
                     "rejected": [{"line": 5, "error": "not a phone number: 'nope'"}]}  # fmt: skip
    tenant_list = centrex.ok("dnc", "list", "--tenant", A)
    assert [e["number"] for e in tenant_list["items"]] == ["+33142685300"]
    campaign_list = centrex.ok("dnc", "list", "--tenant", A, "--campaign", "Spring")
    assert [e["number"] for e in campaign_list["items"]] == ["+33142685301", "+33491000000"]
    assert centrex.ok("dnc", "list", "--tenant", A, "--all")["total"] == 3
    assert centrex.ok("dnc", "list", "--tenant", B)["total"] == 0
    assert "not on the tenant list" in centrex.fails("dnc", "remove", "--tenant", B, "--number",
                                                     "+33142685300")  # fmt: skip
    centrex.ok("dnc", "remove", "--tenant", A, "--number", "+33142685300")
    assert centrex.ok("dnc", "list", "--tenant", A)["total"] == 0
    assert "not a number to block" in centrex.fails("dnc", "add", "--tenant", A, "--number", "x")
    assert "one of --number" in centrex.fails("dnc", "add", "--tenant", A)
