"""Deck storage, quotes and CDR rating against migrated SQLite and PostgreSQL databases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from centrex.billing import service
from centrex.billing.decks import DeckImportError
from centrex.data.db import Database
from centrex.data.models.cdr import Cdr as CdrRow
from centrex.data.models.cdr import Direction
from centrex.errors import NotFound, ValidationFailed

from .conftest import HEADER, RETAIL_CSV, WHOLESALE_CSV
from .dbhelpers import NOW, add_cdr, make_tenant, tenant_scope

D = Decimal


async def test_import_store_and_quote(db: Database) -> None:
    async with db.transaction() as session:
        result = await service.import_deck(session, "retail", RETAIL_CSV, now=NOW)
        assert (result.imported, result.currency, result.replaced) == (5, "CHF", False)
    async with db.session() as session:
        q = await service.quote_number(session, "retail", "+33123456789", 61)
        assert (q.prefix, q.billed_seconds, q.price) == ("33", 120, D("0.0800"))
        deck = await service.load_deck(session, "retail")
        assert len(deck) == 5
        assert [d.name for d in await service.list_decks(session)] == ["retail"]


async def test_reimport_replaces_and_bad_import_writes_nothing(db: Database) -> None:
    async with db.transaction() as session:
        await service.import_deck(session, "retail", RETAIL_CSV, now=NOW)
    async with db.transaction() as session:
        again = await service.import_deck(
            session, "retail", HEADER + "41,CH,0.07,0,1/1,CHF\n", now=NOW
        )
        assert again.replaced
    with pytest.raises(DeckImportError):
        async with db.transaction() as session:
            await service.import_deck(session, "retail", HEADER + "41,CH,-1,0,1/1,CHF\n", now=NOW)
    async with db.session() as session:
        deck = await service.load_deck(session, "retail")
        assert len(deck) == 1
        rate = deck.lookup("+41441234567")
        assert rate is not None
        assert rate.price_per_minute == D("0.07")


async def test_quote_errors(db: Database) -> None:
    async with db.transaction() as session:
        await service.import_deck(session, "retail", RETAIL_CSV, now=NOW)
    async with db.session() as session:
        with pytest.raises(NotFound, match="unknown rate deck"):
            await service.quote_number(session, "nope", "+41441234567", 10)
        with pytest.raises(NotFound, match="no rate"):
            await service.quote_number(session, "retail", "+4930123456", 10)
        with pytest.raises(ValidationFailed, match=r"E\.164"):
            await service.quote_number(session, "retail", "0041441234567", 10)
        with pytest.raises(ValidationFailed, match="negative"):
            await service.quote_number(session, "retail", "+41441234567", -1)
    with pytest.raises(ValidationFailed, match="deck name"):
        async with db.transaction() as session:
            await service.import_deck(session, " ", RETAIL_CSV, now=NOW)


async def test_rate_period_stores_price_cost_and_is_idempotent(db: Database) -> None:
    async with db.transaction() as session:
        await service.import_deck(session, "retail", RETAIL_CSV, now=NOW)
        await service.import_deck(session, "wholesale", WHOLESALE_CSV, now=NOW)
        acme = await make_tenant(session, "acme.example")
        other = await make_tenant(session, "other.example")
        add_cdr(acme, 1, "+41781234567", 90)  # 0.3750 / cost 0.1500
        add_cdr(acme, 2, "+33123456789", 61)  # 0.0800 / cost 61 s at 0.008 = 0.0081
        add_cdr(acme, 3, "+41441234567", 0, answered=False)
        add_cdr(acme, 4, "+41441234567", 60, direction=Direction.INBOUND)
        add_cdr(acme, 5, "+4930123456", 60)  # no rate
        add_cdr(acme, 6, "+41441234567", 60, on=date(2026, 4, 1))  # outside the period
        add_cdr(other, 7, "+41781234567", 90)
    for _ in range(2):
        async with db.transaction() as session:
            scope = await tenant_scope(session, "acme.example")
            report = await service.rate_period(
                scope,
                start=datetime(2026, 3, 1, tzinfo=UTC),
                end=datetime(2026, 4, 1, tzinfo=UTC),
                price_deck="retail",
                cost_deck="wholesale",
            )
            assert (report.calls, report.rated, report.unrated) == (5, 4, 1)
            assert report.price == D("0.4550")
            assert report.cost == D("0.1581")
    async with db.session() as session:
        acme = await tenant_scope(session, "acme.example")
        rows = {r.call_id: r for r in await acme.list(CdrRow)}
        assert (rows["call-1"].rate_prefix, rows["call-1"].price, rows["call-1"].cost) == (
            "417",
            D("0.3750"),
            D("0.1500"),
        )
        assert rows["call-3"].price == 0
        assert rows["call-5"].price is None
        assert rows["call-6"].price is None
        other = await tenant_scope(session, "other.example")
        (theirs,) = await other.list(CdrRow)
        assert theirs.price is None  # another tenant's CDRs are not touched
