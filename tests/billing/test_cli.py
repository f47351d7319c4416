"""`centrex rates` and `centrex billing` through click's CliRunner against a temporary SQLite
database (CENTREX_DATA_DIR in tmp, `db upgrade` first)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from .conftest import HEADER, RETAIL_CSV, Runner


def _json(result: Result) -> Any:
    return json.loads(result.stdout)


def test_import_list_and_quote(run: Runner, tmp_path: Path) -> None:
    deck = tmp_path / "retail.csv"
    deck.write_text(RETAIL_CSV, encoding="utf-8")
    result = run("rates", "import", str(deck), "--deck", "retail", "--json")
    assert result.exit_code == 0, result.output
    assert _json(result)["imported"] == 5
    assert _json(result)["rejected"] == []

    listed = _json(run("rates", "list", "--json"))
    assert listed["total"] == 1
    assert listed["items"][0]["rates"] == 5

    quote = run(
        "rates",
        "quote",
        "--deck",
        "retail",
        "--number",
        "+33123456789",
        "--seconds",
        "61",
        "--json",
    )
    assert quote.exit_code == 0, quote.output
    data = _json(quote)
    assert (data["prefix"], data["billed_seconds"], data["price"]) == ("33", 120, "0.0800")
    assert data["currency"] == "CHF"

    human = run("rates", "quote", "--deck", "retail", "--number", "+41791234567", "--seconds", "31")
    assert "billed_seconds: 36" in human.stdout
    assert "price: 0.2800" in human.stdout


def test_rejected_import_exits_non_zero_and_imports_nothing(run: Runner, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(RETAIL_CSV, encoding="utf-8")
    assert run("rates", "import", str(good), "--deck", "retail").exit_code == 0

    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "41,CH,0.01,0,1/1,CHF\n42,Broken\n43,AT,-1,0,1/1,CHF\n44,UK,0.02,0,1/1,XYZ\n41,CH,0.02,0,1/1,CHF\n",
        encoding="utf-8",
    )
    result = run("rates", "import", str(bad), "--deck", "retail", "--json")
    assert result.exit_code != 0
    data = _json(result)
    assert data["imported"] == 0
    assert [r["line"] for r in data["rejected"]] == [3, 4, 5, 6]
    assert data["rejected"][1] == {"line": 4, "error": "negative price_per_minute -1"}

    human = run("rates", "import", str(bad), "--deck", "other")
    assert human.exit_code != 0
    assert "line 5: unknown currency 'XYZ'" in human.stderr

    # the existing deck is untouched and no new deck appeared
    listed = _json(run("rates", "list", "--json"))
    assert [(d["name"], d["rates"]) for d in listed["items"]] == [("retail", 5)]
    quote = _json(
        run(
            "rates",
            "quote",
            "--deck",
            "retail",
            "--number",
            "+41441234567",
            "--seconds",
            "60",
            "--json",
        )
    )
    assert quote["price"] == "0.0500"


def test_quote_errors_exit_non_zero(run: Runner) -> None:
    missing = run(
        "rates", "quote", "--deck", "nope", "--number", "+41441234567", "--seconds", "1", "--json"
    )
    assert missing.exit_code == 1
    assert "unknown rate deck 'nope'" in missing.stderr
    bad = run("rates", "quote", "--deck", "nope", "--number", "+41441234567", "--seconds", "-1")
    assert bad.exit_code == 2


def test_sla_credit(run: Runner) -> None:
    one = _json(
        run("billing", "sla-credit", "--monthly-fee", "100", "--restoration-hours", "11", "--json")
    )
    assert one["credit"] == "5.00"
    assert one["capped"] is False
    three = run(
        "billing",
        "sla-credit",
        "--monthly-fee",
        "100",
        "--restoration-hours",
        "13",
        "--restoration-hours",
        "25",
        "--restoration-hours",
        "5",
        "--json",
    )
    data = _json(three)
    assert (data["credit"], data["capped"]) == ("20.00", True)
    assert data["uncapped_percent"] == "35"
    none = _json(run("billing", "sla-credit", "--monthly-fee", "100", "--json"))
    assert (none["credit"], none["capped"]) == ("0.00", False)


def test_termination_fee(run: Runner) -> None:
    data = _json(
        run("billing", "termination-fee", "--monthly-fee", "180", "--months-left", "7", "--json")
    )
    assert data["fee"] == "1197.00"
    fixed = _json(
        run(
            "billing",
            "termination-fee",
            "--monthly-fee",
            "180",
            "--months-left",
            "7",
            "--fixed",
            "50",
            "--json",
        )
    )
    assert fixed["fee"] == "1247.00"
    human = run("billing", "termination-fee", "--monthly-fee", "180", "--months-left", "7")
    assert "fee: 1197.00" in human.stdout


@pytest.mark.parametrize("amount", ["abc", "-5", "NaN"])
def test_bad_amounts_are_usage_errors(run: Runner, amount: str) -> None:
    result = run("billing", "termination-fee", "--monthly-fee", amount, "--months-left", "7")
    assert result.exit_code == 2


def test_rate_command_on_an_empty_tenant(run: Runner, tmp_path: Path) -> None:
    deck = tmp_path / "retail.csv"
    deck.write_text(RETAIL_CSV, encoding="utf-8")
    run("rates", "import", str(deck), "--deck", "retail")
    unknown = run(
        "billing",
        "rate",
        "--tenant",
        "nope.example",
        "--deck",
        "retail",
        "--since",
        "2026-03-01",
        "--until",
        "2026-04-01",
    )
    assert unknown.exit_code == 1
    assert "unknown tenant" in unknown.stderr
    bad_date = run(
        "billing",
        "rate",
        "--tenant",
        "x",
        "--deck",
        "retail",
        "--since",
        "March",
        "--until",
        "2026-04-01",
    )
    assert bad_date.exit_code == 1


def test_import_refuses_a_file_that_is_not_utf8(run: Runner, tmp_path: Path) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes((HEADER + "41,Zürich,0.05,0,60/60,CHF\n").encode("latin-1"))
    result = run("rates", "import", str(latin), "--deck", "retail")
    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr
