"""`centrex billing` account commands end to end on a temporary SQLite database: plan,
subscription, incidents, fair-use evidence, flagging, invoices, contract terms, prepaid limits."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import Result

from centrex.data.db import Database
from centrex.data.models.cdr import Cdr as CdrRow
from centrex.data.models.cdr import Direction, Disposition
from centrex.provisioning.tenants import scope_for

from .conftest import RETAIL_CSV, Runner


def _ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _insert_cdrs(data_dir: Path, domain: str, numbers: list[str]) -> None:
    async def insert() -> None:
        database = Database(f"sqlite+aiosqlite:///{data_dir / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                scope = await scope_for(session, domain)
                start = datetime(2026, 3, 2, 9, tzinfo=UTC)
                for n, number in enumerate(numbers):
                    at = start + timedelta(minutes=n)
                    scope.add(
                        CdrRow(
                            call_id=f"c{n}",
                            caller="+33100000000",
                            callee=number,
                            direction=Direction.OUTBOUND,
                            started_at=at,
                            answered_at=at,
                            ended_at=at + timedelta(seconds=60),
                            billsec=60,
                            disposition=Disposition.ANSWERED,
                            extension="101",
                        )
                    )
        finally:
            await database.dispose()

    asyncio.run(insert())


def _setup(run: Runner) -> None:
    _ok(
        run(
            "tenant",
            "create",
            "--name",
            "Acme",
            "--domain",
            "acme.example",
            "--extension-digits",
            "3",
            "--max-calls",
            "10",
            "--country",
            "FR",
            "--currency",
            "EUR",
            "--json",
        )
    )
    plan = _ok(
        run(
            "billing",
            "plan-create",
            "--name",
            "France unlimited",
            "--currency",
            "EUR",
            "--monthly-fee",
            "180",
            "--included-agents",
            "2",
            "--included-admins",
            "1",
            "--extra-seat-fee",
            "40",
            "--fixed-per-minute",
            "0.01",
            "--mobile-per-minute",
            "0.08",
            "--bundle",
            "france_unlimited",
            "--json",
        )
    )
    assert (plan["name"], plan["base_monthly_fee"], plan["bundle"]) == (
        "France unlimited",
        "180",
        "france_unlimited",
    )
    _ok(
        run(
            "billing",
            "subscribe",
            "--tenant",
            "acme.example",
            "--plan",
            "France unlimited",
            "--starts-on",
            "2026-01-01",
            "--agents",
            "3",
            "--admins",
            "1",
            "--json",
        )
    )


def test_invoice_with_fair_use_and_sla_credit_then_flagged(run: Runner, cli_data_dir: Path) -> None:
    _setup(run)
    _insert_cdrs(cli_data_dir, "acme.example", [f"+336{10000000 + i}" for i in range(151)])
    incident = _ok(
        run(
            "billing",
            "incident-add",
            "--tenant",
            "acme.example",
            "--service",
            "telephony",
            "--notified-at",
            "2026-03-10T08:00:00",
            "--restored-at",
            "2026-03-10T19:00:00",
            "--json",
        )
    )
    assert incident["service"] == "telephony"
    listed = _ok(run("billing", "incident-list", "--tenant", "acme.example", "--json"))
    assert listed["total"] == 1

    invoice = _ok(
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
        )
    )
    assert [(line["kind"], line["amount"]) for line in invoice["lines"]] == [
        ("subscription", "180.00"),
        ("seats", "40.00"),
        ("bundle", "0.00"),
        ("fair_use", "0.08"),  # the 151st distinct number, 1 min to a mobile
        ("sla_credit", "-11.00"),  # 11 h outage: 5 % of 220
    ]
    assert (invoice["subtotal"], invoice["vat"], invoice["total"]) == ("209.08", "41.82", "250.90")

    report = _ok(
        run(
            "billing",
            "fair-use",
            "--tenant",
            "acme.example",
            "--since",
            "2026-03-01",
            "--until",
            "2026-04-01",
            "--json",
        )
    )
    (user,) = report["items"]
    assert (user["user"], user["distinct_numbers"], user["suspicious"]) == ("101", 151, True)

    refused = run("billing", "flag", "--tenant", "acme.example")
    assert refused.exit_code == 1
    assert "reason" in refused.stderr
    flagged = _ok(
        run("billing", "flag", "--tenant", "acme.example", "--reason", "call center", "--json")
    )
    assert flagged["flagged"] is True

    again = _ok(
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
        )
    )
    amounts = {line["kind"]: line["amount"] for line in again["lines"]}
    assert amounts["usage"] == "12.08"  # 151 min to mobiles, bundle ignored
    assert amounts["penalty"] == "36.24"  # + 300 % = 400 % in all
    human = run(
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
    )
    assert "total EUR" in human.stdout
    cleared = _ok(run("billing", "flag", "--tenant", "acme.example", "--clear", "--json"))
    assert cleared["flagged"] is False


def test_incident_restore_and_errors(run: Runner) -> None:
    _setup(run)
    created = _ok(
        run(
            "billing",
            "incident-add",
            "--tenant",
            "acme.example",
            "--service",
            "trunk",
            "--notified-at",
            "2026-03-10T08:00:00+01:00",
            "--excuse",
            "planned_maintenance",
            "--json",
        )
    )
    assert created["restored_at"] is None
    restored = _ok(
        run(
            "billing",
            "incident-restore",
            "--tenant",
            "acme.example",
            "--id",
            str(created["id"]),
            "--restored-at",
            "2026-03-10T12:00:00Z",
            "--json",
        )
    )
    assert restored["restored_at"].startswith("2026-03-10T12:00:00")
    missing = run(
        "billing",
        "incident-restore",
        "--tenant",
        "acme.example",
        "--id",
        "999",
        "--restored-at",
        "2026-03-10T12:00:00",
    )
    assert missing.exit_code == 1
    bad_time = run(
        "billing",
        "incident-add",
        "--tenant",
        "acme.example",
        "--service",
        "x",
        "--notified-at",
        "yesterday",
    )
    assert bad_time.exit_code == 1
    assert "ISO timestamp" in bad_time.stderr
    duplicate = run(
        "billing",
        "plan-create",
        "--name",
        "France unlimited",
        "--currency",
        "EUR",
        "--monthly-fee",
        "1",
    )
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.stderr
    bad_fee = run(
        "billing", "plan-create", "--name", "P2", "--currency", "EUR", "--monthly-fee", "x"
    )
    assert bad_fee.exit_code == 1
    plans = _ok(run("billing", "plan-list", "--json"))
    assert [p["name"] for p in plans["items"]] == ["France unlimited"]
    no_plan = run(
        "billing",
        "subscribe",
        "--tenant",
        "acme.example",
        "--plan",
        "nope",
        "--starts-on",
        "2026-01-01",
    )
    assert no_plan.exit_code == 1


def test_contract_terms(run: Runner) -> None:
    data = _ok(
        run("billing", "contract-terms", "--start", "2026-01-15", "--on", "2026-06-01", "--json")
    )
    assert data == {
        "period_end": "2027-01-14",
        "notice_deadline": "2026-10-14",
        "effective_end_if_notice_given": "2027-01-14",
        "months_left": 8,
    }
    late = _ok(
        run("billing", "contract-terms", "--start", "2026-01-15", "--on", "2026-11-01", "--json")
    )
    assert late["effective_end_if_notice_given"] == "2028-01-14"
    bad = run("billing", "contract-terms", "--start", "soon", "--on", "2026-11-01")
    assert bad.exit_code == 1


def test_prepaid_max_duration(run: Runner, tmp_path: Path) -> None:
    deck = tmp_path / "retail.csv"
    deck.write_text(RETAIL_CSV, encoding="utf-8")
    _ok(run("rates", "import", str(deck), "--deck", "retail", "--json"))
    ok = _ok(
        run(
            "rates",
            "max-duration",
            "--deck",
            "retail",
            "--number",
            "+41791234567",
            "--balance",
            "1.00",
            "--json",
        )
    )
    assert (ok["allowed"], ok["max_seconds"]) == (True, 180)
    empty = _ok(
        run(
            "rates",
            "max-duration",
            "--deck",
            "retail",
            "--number",
            "+41791234567",
            "--balance",
            "0",
            "--json",
        )
    )
    assert (empty["allowed"], empty["refusal"]) == (False, "no_credit")
    unknown = run(
        "rates", "max-duration", "--deck", "retail", "--number", "+4930123456", "--balance", "1"
    )
    assert unknown.exit_code == 1


def test_rate_command_stores_prices_and_is_idempotent(run: Runner, cli_data_dir: Path) -> None:
    _setup(run)
    eur = RETAIL_CSV.replace("CHF", "EUR")
    deck = cli_data_dir.parent / "eur.csv"
    deck.write_text(eur, encoding="utf-8")
    _ok(run("rates", "import", str(deck), "--deck", "retail-eur", "--json"))
    _insert_cdrs(cli_data_dir, "acme.example", ["+33612345678", "+33123456789", "+4930123456"])
    args = (
        "billing",
        "rate",
        "--tenant",
        "acme.example",
        "--deck",
        "retail-eur",
        "--since",
        "2026-03-01",
        "--until",
        "2026-04-01",
        "--json",
    )
    first = _ok(run(*args))
    second = _ok(run(*args))
    assert first == second
    # 60 s at 0.12 (France mobile) + 60 s at 0.04 (France), Germany unmatched
    assert (first["calls"], first["rated"], first["unrated"]) == (3, 2, 1)
    assert (first["price"], first["currency"]) == ("0.1600", "EUR")


def test_dunning_and_payment(run: Runner) -> None:
    _setup(run)
    invoice = _ok(
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
        )
    )
    # issued 1 April: due 16 April, reminder 23 April, suspension 3 May, termination 2 June
    before = _ok(
        run("billing", "dunning", "--tenant", "acme.example", "--today", "2026-04-30", "--json")
    )
    (item,) = before["items"]
    assert (item["state"], item["next_deadline"]) == ("reminded", "2026-05-03")
    assert item["actions"] == [{"on": "2026-04-23", "action": "send_reminder"}]
    paid = _ok(
        run(
            "billing",
            "invoice-paid",
            "--tenant",
            "acme.example",
            "--id",
            str(invoice["id"]),
            "--paid-on",
            "2026-05-05",
            "--json",
        )
    )
    assert paid["paid_on"] == "2026-05-05"
    after = _ok(
        run("billing", "dunning", "--tenant", "acme.example", "--today", "2026-05-10", "--json")
    )
    (item,) = after["items"]
    assert item["state"] == "paid"
    assert [a["action"] for a in item["actions"]] == [
        "send_reminder",
        "suspend_service",
        "restore_service",
    ]
    twice = run(
        "billing",
        "invoice-paid",
        "--tenant",
        "acme.example",
        "--id",
        str(invoice["id"]),
        "--paid-on",
        "2026-05-06",
    )
    assert twice.exit_code == 1
    assert "already paid" in twice.stderr


def test_plan_create_defaults_price_france_by_the_retail_deck(
    run: Runner, cli_data_dir: Path, tmp_path: Path
) -> None:
    """Issue 20's defect: a bundle plan created with the default per-minute prices (0) and a
    retail deck rated French calls beyond the bundle at 0; now the deck prices them. A plan
    without a bundle used to ignore the prices given to it; now they price France's groups. A
    plan without a deck says at creation which calls it cannot rate."""
    deck = tmp_path / "eur.csv"
    deck.write_text(
        "prefix,destination,price_per_minute,connection_fee,increment,currency\n"
        "33,France,0.0400,0,60/60,EUR\n336,France mobile,0.1200,0,60/60,EUR\n",
        encoding="utf-8",
    )
    _ok(run("rates", "import", str(deck), "--deck", "retail-eur", "--json"))
    for domain in ("bundle.example", "flat.example"):
        _ok(run("tenant", "create", "--name", domain, "--domain", domain, "--extension-digits",
                "3", "--max-calls", "10", "--currency", "EUR", "--json"))  # fmt: skip
    bundle = _ok(run("billing", "plan-create", "--name", "Bundle", "--currency", "EUR",
                     "--monthly-fee", "10", "--bundle", "france_unlimited", "--retail-deck",
                     "retail-eur", "--json"))  # fmt: skip
    flat = _ok(run("billing", "plan-create", "--name", "Flat", "--currency", "EUR",
                   "--monthly-fee", "10", "--mobile-per-minute", "0.05", "--retail-deck",
                   "retail-eur", "--json"))  # fmt: skip
    assert bundle["warnings"] == flat["warnings"] == []

    def invoice(domain: str, plan: str, numbers: list[str]) -> list[tuple[str, str]]:
        _ok(run("billing", "subscribe", "--tenant", domain, "--plan", plan, "--starts-on",
                "2026-01-01", "--json"))  # fmt: skip
        _insert_cdrs(cli_data_dir, domain, numbers)
        made = _ok(run("billing", "invoice", "--tenant", domain, "--since", "2026-03-01",
                       "--until", "2026-04-01", "--issued-on", "2026-04-01", "--json"))  # fmt: skip
        return [(line["kind"], line["amount"]) for line in made["lines"]]

    mobiles = [f"+336{10000000 + i}" for i in range(151)]  # the 151st is beyond fair use
    assert ("fair_use", "0.12") in invoice("bundle.example", "Bundle", mobiles)  # was 0.00
    flat_lines = invoice("flat.example", "Flat", ["+33612345678", "+33123456789"])
    assert flat_lines == [("subscription", "10.00"), ("usage", "0.05"), ("usage", "0.04")]

    bare = run("billing", "plan-create", "--name", "Bare", "--currency", "EUR",
               "--monthly-fee", "10", "--bundle", "france_unlimited")  # fmt: skip
    assert bare.exit_code == 0, bare.output
    assert "warning: no per-minute price and no retail deck for France fixed, France mobile" in (
        bare.stderr
    )
