"""Prepaid credit in the call (`billing/prepaid.py`, `prepaid_ledger.py`) on SQLite and
PostgreSQL: top-ups are ledger entries, a call is authorised for as long as the credit pays and
reserves that price, two concurrent calls cannot spend the same credit, a call is never debited
above its reservation, emergency and free numbers pass at zero, and the low-balance mail is
queued once, when a debit crosses the threshold."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from centrex.billing import accounts, prepaid, service
from centrex.billing.live_rating import rate_pending
from centrex.data.db import Database
from centrex.data.models.apps import MailOutboxEntry
from centrex.data.models.billing import TenantContract
from centrex.data.models.prepaid import CreditLedgerEntry, CreditReservation
from centrex.data.models.tenancy import ContactKind, Tenant, TenantContact, TenantStatus
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed

from .conftest import HEADER
from .dbhelpers import NOW, add_cdr, make_tenant, tenant_scope

D = Decimal
DECK = HEADER + ("41,Switzerland,0.6000,0,1/1,CHF\n41800,Switzerland freephone,0,0,1/1,CHF\n")
NUMBER = "+41441234567"
DOMAIN = "acme.example"


async def _world(db: Database, credit: str = "0.10", *, threshold: str | None = None) -> int:
    """acme: prepaid, a plan priced by DECK, `credit` on its balance; returns its id."""
    async with db.transaction() as session:
        await service.import_deck(session, "retail", DECK, now=NOW)
        plan = await accounts.create_plan(session, name="Prepaid", currency="CHF",
                                          base_monthly_fee=D(0), retail_deck="retail")  # fmt: skip
        scope = await make_tenant(session, DOMAIN)
        await accounts.subscribe(scope, plan.id, date(2026, 1, 1))
        await prepaid.set_prepaid(scope, True)
        await prepaid.top_up(scope, credit, reference="initial", now=NOW)
        if threshold is not None:
            await session.execute(
                update(TenantContract)
                .where(TenantContract.tenant_id == scope.tenant_id)
                .values(low_balance_threshold=D(threshold))
            )
            scope.add(
                TenantContact(kind=ContactKind.IT_ADMIN, name="Ada", email="ada@acme.example")
            )
        return scope.tenant_id


async def _authorize(db: Database, tenant_id: int, call_id: str, number: str = NUMBER,
                     *, emergency: bool = False) -> prepaid.CallAuthorization:  # fmt: skip
    async with db.transaction() as session:
        return await prepaid.authorize(session, tenant_id, number, NOW, call_id=call_id,
                                       emergency=emergency)  # fmt: skip


async def _balance(db: Database) -> prepaid.Balance:
    async with db.session() as session:
        return await prepaid.balance(await tenant_scope(session, DOMAIN))


async def test_a_top_up_is_a_ledger_entry_with_the_balance_after_it(db: Database) -> None:
    await _world(db, "10.00")
    async with db.transaction() as session:
        scope = await tenant_scope(session, DOMAIN)
        assert await prepaid.top_up(scope, "2.50", reference="card 4242", now=NOW) == D("12.5")
        with pytest.raises(ValidationFailed) as refused:
            await prepaid.top_up(scope, "-1", reference=None, now=NOW)
        assert refused.value.error_id == "invalid-amount"
        for bad in ("abc", "0", "1.00001"):
            with pytest.raises(ValidationFailed):
                await prepaid.top_up(scope, bad, reference=None, now=NOW)
    async with db.session() as session:
        scope = await tenant_scope(session, DOMAIN)
        total, rows = await prepaid.ledger(scope)
    assert total == 2
    assert [(r.kind, r.amount, r.balance_after, r.reference) for r in rows] == [
        ("topup", D("2.5"), D("12.5"), "card 4242"),
        ("topup", D("10"), D("10"), "initial"),
    ]
    assert (await _balance(db)).as_json() == {
        "balance": "12.5000",
        "reserved": "0.0000",
        "currency": "CHF",
    }


async def test_a_call_is_authorised_for_what_the_credit_pays_and_reserves_it(
    db: Database,
) -> None:
    tenant_id = await _world(db, "0.10")
    verdict = await _authorize(db, tenant_id, "call-1")
    assert (verdict.allowed, verdict.max_seconds, verdict.reserved) == (True, 10, D("0.1"))
    assert (await _balance(db)).reserved == D("0.1")
    second = await _authorize(db, tenant_id, "call-2")  # the first call holds all the credit
    assert (second.allowed, second.reason) == (False, prepaid.NO_CREDIT_TEXT)
    again = await _authorize(db, tenant_id, "call-1")  # the same call again: one hold, not two
    assert again.max_seconds == 10
    assert (await _balance(db)).reserved == D("0.1")


async def test_two_concurrent_authorisations_cannot_spend_the_same_credit(db: Database) -> None:
    tenant_id = await _world(db, "0.10")
    verdicts = await asyncio.gather(
        _authorize(db, tenant_id, "call-a"), _authorize(db, tenant_id, "call-b")
    )
    assert sorted(v.allowed for v in verdicts) == [False, True]
    assert sum(v.reserved for v in verdicts) == D("0.1")
    assert (await _balance(db)).reserved == D("0.1")


async def test_settle_never_debits_more_than_the_reservation(db: Database) -> None:
    tenant_id = await _world(db, "0.10")
    await _authorize(db, tenant_id, "call-1")
    async with db.transaction() as session:
        settled = await prepaid.settle(session, tenant_id, "call-1", D("0.15"), now=NOW)
        assert await prepaid.settle(session, tenant_id, "call-1", D("0.15"), now=NOW) is None
        assert await prepaid.settle(session, tenant_id, "not-a-call", D("1"), now=NOW) is None
    assert settled is not None
    assert (settled.debited, settled.balance) == (D("0.1"), D("0"))
    assert (await _balance(db)).as_json()["balance"] == "0.0000"
    assert (await _balance(db)).reserved == 0
    async with db.session() as session:
        debits = (await session.scalars(
            select(CreditLedgerEntry).where(CreditLedgerEntry.kind == "debit"))).all()  # fmt: skip
    assert [(d.amount, d.balance_after, d.call_id) for d in debits] == [
        (D("-0.1"), D("0"), "call-1")
    ]
    refused = await _authorize(db, tenant_id, "call-2")
    assert not refused.allowed


async def test_emergency_free_and_unlimited_tenants_pass_at_zero(db: Database) -> None:
    tenant_id = await _world(db, "0.10")
    await _authorize(db, tenant_id, "call-1")  # the whole credit is held
    assert (await _authorize(db, tenant_id, "call-2", "112", emergency=True)).allowed
    free = await _authorize(db, tenant_id, "call-3", "+41800123456")
    assert (free.allowed, free.max_seconds, free.reserved) == (True, None, D(0))
    unrated = await _authorize(db, tenant_id, "call-4", "+33123456789")  # not in the deck
    assert (unrated.allowed, unrated.reason) == (False, prepaid.NO_RATE_TEXT)
    async with db.transaction() as session:
        await prepaid.set_prepaid(await tenant_scope(session, DOMAIN), False)
    assert (await _authorize(db, tenant_id, "call-5")).max_seconds is None  # not limited
    async with db.transaction() as session:  # a trial tenant calls on its test credit
        await session.execute(
            update(Tenant).where(Tenant.id == tenant_id).values(status=TenantStatus.TRIAL)
        )
    assert not (await _authorize(db, tenant_id, "call-6")).allowed
    async with db.session() as session:
        holds = await session.scalar(select(func.count()).select_from(CreditReservation))
    assert holds == 1  # only call-1: refused, free and unlimited calls hold nothing


async def test_the_low_balance_mail_is_queued_once_when_a_debit_crosses(db: Database) -> None:
    tenant_id = await _world(db, "5.50", threshold="5.00")
    for call_id in ("call-1", "call-2"):
        await _authorize(db, tenant_id, call_id)
        async with db.transaction() as session:
            settled = await prepaid.settle(session, tenant_id, call_id, D("0.60"), now=NOW)
        assert settled is not None
        assert settled.low_balance_mail is (call_id == "call-1")
    async with db.session() as session:
        mails = (await session.scalars(select(MailOutboxEntry))).all()
    assert [(m.recipient, m.tenant_id) for m in mails] == [("ada@acme.example", tenant_id)]
    assert "Low prepaid balance: 4.90 CHF" in mails[0].subject
    assert (await _balance(db)).balance == D("4.3")


async def test_the_live_rater_settles_calls_and_releases_calls_that_never_connected(
    db: Database,
) -> None:
    tenant_id = await _world(db, "1.00")
    await _authorize(db, tenant_id, "call-1")
    await _authorize(db, tenant_id, "call-2")
    assert (await _balance(db)).reserved == D("1")
    async with db.transaction() as session:
        scope = TenantScope(session, tenant_id, DOMAIN)
        add_cdr(scope, 1, NUMBER, 30)  # 30 s at 0.60/min: 0.30
        add_cdr(scope, 2, NUMBER, 0, answered=False)
    report = await rate_pending(db, now=NOW)
    assert report.priced == 2
    state = await _balance(db)
    assert (state.balance, state.reserved) == (D("0.7"), D(0))
