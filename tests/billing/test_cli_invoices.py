"""CLI of issued invoices: `billing invoice --issue --pdf --xlsx --csv`, `invoice-show`,
`credit-note`, `invoice-run`, `partner-statement`, `dunning --apply`, `demo-invoice`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from openpyxl import load_workbook

from centrex.cli import cli

from .conftest import Runner
from .test_cli_accounts import _insert_cdrs, _setup


def _ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _issue(run: Runner, *extra: str) -> Any:
    return _ok(
        run(
            "billing",
            "invoice",
            "--tenant",
            "acme.example",
            "--since",
            "2026-03-01",
            "--until",
            "2026-04-01",
            "--issued-on",
            "2026-04-01",
            "--json",
            *extra,
        )
    )


def test_issue_with_files_then_show_and_credit(
    run: Runner, cli_data_dir: Path, tmp_path: Path
) -> None:
    _setup(run)
    _insert_cdrs(cli_data_dir, "acme.example", ["+33612345678", "+4915112345678"])
    draft = _issue(run)
    assert (draft["status"], draft["number"], draft["due_on"]) == ("draft", None, None)
    pdf, xlsx, csv_file = tmp_path / "i.pdf", tmp_path / "i.xlsx", tmp_path / "i.csv"
    issued = _issue(
        run,
        "--issue",
        "--due-days",
        "30",
        "--pdf",
        str(pdf),
        "--xlsx",
        str(xlsx),
        "--csv",
        str(csv_file),
    )
    assert issued["id"] == draft["id"]
    assert (issued["status"], issued["number"], issued["due_on"]) == (
        "issued",
        "2026-000001",
        "2026-05-01",
    )
    assert issued["total"] == "264.00"  # the existing fields are unchanged
    assert issued["files"] == {"pdf": str(pdf), "xlsx": str(xlsx), "csv": str(csv_file)}
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "Invoice 2026-000001" in text
    assert "264.00" in text
    assert "VAT 20 %" in text
    rows = list(load_workbook(xlsx)["Calls"].iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == ["+33612345678", "+4915112345678"]
    assert [r[6] for r in rows[1:]] == ["bundle", "unrated"]
    assert csv_file.read_text().splitlines()[1].split(",")[2] == "+33612345678"

    again = run(
        "billing",
        "invoice",
        "--tenant",
        "acme.example",
        "--since",
        "2026-03-01",
        "--until",
        "2026-04-01",
    )
    assert again.exit_code == 1
    assert "issued and cannot be changed" in again.stderr

    note_pdf = tmp_path / "cn.pdf"
    note = _ok(
        run(
            "billing",
            "credit-note",
            "--tenant",
            "acme.example",
            "--invoice",
            str(issued["id"]),
            "--reason",
            "Outage goodwill",
            "--amount",
            "20",
            "--issued-on",
            "2026-04-10",
            "--pdf",
            str(note_pdf),
            "--json",
        )
    )
    assert (note["number"], note["invoice"], note["total"]) == (
        "CN-2026-000001",
        "2026-000001",
        "24.00",
    )
    assert (
        "Credit note CN-2026-000001"
        in subprocess.run(
            ["pdftotext", str(note_pdf), "-"], capture_output=True, check=True, text=True
        ).stdout
    )
    shown = _ok(
        run(
            "billing",
            "invoice-show",
            "--tenant",
            "acme.example",
            "--id",
            str(issued["id"]),
            "--json",
        )
    )
    assert shown["credit_notes"] == ["CN-2026-000001"]
    assert (shown["number"], shown["total"]) == ("2026-000001", "264.00")
    too_much = run(
        "billing",
        "credit-note",
        "--tenant",
        "acme.example",
        "--invoice",
        str(issued["id"]),
        "--reason",
        "x",
        "--amount",
        "500",
    )
    assert too_much.exit_code == 1
    assert "at most 200.00" in too_much.stderr


def test_dunning_apply_suspends(run: Runner) -> None:
    _setup(run)
    _issue(run, "--issue")
    report = _ok(
        run("billing", "dunning", "--tenant", "acme.example", "--today", "2026-05-03", "--json")
    )
    assert report["items"][0]["number"] == "2026-000001"
    applied = _ok(run("billing", "dunning", "--apply", "--today", "2026-05-03", "--json"))
    assert [(a["action"], a["tenant_status"]) for a in applied["items"]] == [
        ("send_reminder", "active"),
        ("suspend_service", "suspended"),
    ]
    assert _ok(run("billing", "dunning", "--apply", "--today", "2026-05-03", "--json")) == {
        "total": 0,
        "items": [],
    }
    shown = _ok(run("tenant", "show", "acme.example", "--json"))
    assert shown["status"] == "suspended"
    missing = run("billing", "dunning")
    assert missing.exit_code == 1
    assert "--tenant is required" in missing.stderr


def test_monthly_run_and_partner_statement(run: Runner) -> None:
    partner = _ok(run("partner", "create", "--name", "Reseller", "--json"))
    _ok(
        run(
            "tenant",
            "create",
            "--name",
            "Beta",
            "--domain",
            "beta.example",
            "--extension-digits",
            "3",
            "--max-calls",
            "5",
            "--country",
            "FR",
            "--currency",
            "EUR",
            "--partner",
            str(partner["id"]),
            "--json",
        )
    )
    _setup(run)
    _ok(
        run(
            "billing",
            "subscribe",
            "--tenant",
            "beta.example",
            "--plan",
            "France unlimited",
            "--starts-on",
            "2026-01-01",
            "--json",
        )
    )
    done = _ok(
        run(
            "billing",
            "invoice-run",
            "--month",
            "2026-03",
            "--issued-on",
            "2026-04-01",
            "--issue",
            "--json",
        )
    )
    assert [(i["tenant"], i["number"]) for i in done["items"]] == [
        ("beta.example", "2026-000001"),
        ("acme.example", "2026-000002"),
    ]
    statement = _ok(
        run(
            "billing",
            "partner-statement",
            "--partner",
            "Reseller",
            "--since",
            "2026-03-01",
            "--until",
            "2026-04-01",
            "--json",
        )
    )
    assert [i["tenant"] for i in statement["items"]] == ["beta.example"]
    assert statement["totals"] == {"EUR": "216.00"}
    bad = run("billing", "invoice-run", "--month", "March")
    assert bad.exit_code == 1


def test_demo_invoice(tmp_path: Path) -> None:
    runner = CliRunner()
    pdf = tmp_path / "demo.pdf"
    env = {"CENTREX_DATA_DIR": str(tmp_path / "data"), "CENTREX_DATABASE_URL": None}
    result = runner.invoke(
        cli, ["demo-invoice", "--month", "2026-03", "--pdf", str(pdf), "--json"], env=env
    )
    data = _ok(result)
    assert (data["tenant"], data["number"], data["period_start"]) == (
        "demo.centrex.test",
        None,
        "2026-03-01",
    )
    assert data["files"] == {"pdf": str(pdf)}
    assert pdf.read_bytes().startswith(b"%PDF")
    text = runner.invoke(cli, ["demo-invoice", "--month", "2026-03"], env=env)
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith("Invoice DRAFT")
    assert f"{data['total']}" in text.stdout
