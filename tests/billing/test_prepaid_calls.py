"""The prepaid guard in the call path (`billing/prepaid_calls.py`) through the B2BUA on the
in-memory network (SQLite, like every B2BUA test): a prepaid call is cut by Centrex inside its
last paid second and rated within its reservation; at zero credit the next call is refused
with 403, a Warning and a Q.850 Reason, and no carrier sees it; emergency calls still go out;
a tenant that is not prepaid is neither limited nor holds credit."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from centrex.billing import accounts, prepaid, service
from centrex.billing.live_rating import rate_pending
from centrex.billing.prepaid_calls import PrepaidGuard
from centrex.calls.features import CallFeature
from centrex.calls.features.forward import Forwarder, ForwardingFeature
from centrex.data.db import Database
from centrex.data.models import Disposition
from centrex.data.models.prepaid import CreditReservation
from centrex.data.tenancy import TenantScope
from centrex.provisioning import forwarding
from tests.calls.harness import CENTREX, DID, OUTSIDE, TENANT, Harness, make_harness

DECK = (
    "prefix,destination,price_per_minute,connection_fee,increment,currency\n"
    "41,Switzerland,0.6000,0,1/1,CHF\n"
)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    target = tmp_path / "calls.db"
    target.write_bytes(sqlite_template.read_bytes())
    return f"sqlite+aiosqlite:///{target}"


@contextlib.asynccontextmanager
async def world(url: str, credit: str | None, *, forwards: bool = False) -> AsyncIterator[Harness]:
    """The harness tenant on a plan priced by DECK; prepaid with `credit` unless None ("0":
    prepaid, never topped up); `forwards`: with call forwarding."""
    database = Database(url)
    features: tuple[CallFeature, ...] = (PrepaidGuard(database, cache_seconds=0),)
    if forwards:
        features = (ForwardingFeature(Forwarder(database), database), *features)
    try:
        async with make_harness(url, features=features) as h:
            async with h.database.transaction() as session:
                await service.import_deck(session, "retail", DECK, now=h.clock.utcnow())
                plan = await accounts.create_plan(session, name="Prepaid", currency="CHF",
                                                  base_monthly_fee=Decimal(0),
                                                  retail_deck="retail")  # fmt: skip
                scope = TenantScope(session, h.tenant_id, TENANT)
                await accounts.subscribe(scope, plan.id, h.clock.utcnow().date())
                if credit is not None:
                    await prepaid.set_prepaid(scope, True)
                    if credit != "0":
                        await prepaid.top_up(scope, credit, reference=None, now=h.clock.utcnow())
            yield h
    finally:
        await database.dispose()


def _header(call: object, name: str) -> str:
    final = call.final  # type: ignore[attr-defined]
    return str(final.headers.get(name) or "")


async def _balance(h: Harness) -> prepaid.Balance:
    async with h.database.session() as session:
        return await prepaid.balance(TenantScope(session, h.tenant_id, TENANT))


async def test_the_credit_ends_the_call_and_the_next_one_is_refused(sqlite_url: str) -> None:
    async with world(sqlite_url, "0.10") as h:
        await h.register("101")
        call = h["101"].invite(OUTSIDE)
        await h.settle()
        assert len(h.carrier_a.incoming) == 1
        carrier = h.carrier_a.incoming[0]
        carrier.answer()
        await h.settle()
        assert call.status == 200
        await h.advance(9.4)
        assert h.live_calls() == 1  # 0.10 at 0.60/min pays 10 s
        await h.advance(0.2)
        assert h.live_calls() == 0  # cut inside the 10th second, by Centrex
        cdr = await h.cdr(call.call_id)
        assert (cdr.disposition, cdr.billsec) == (Disposition.ANSWERED, 10)
        await rate_pending(h.database, now=h.clock.utcnow())
        state = await _balance(h)
        assert (state.balance, state.reserved) == (Decimal(0), Decimal(0))
        refused = h["101"].invite(OUTSIDE)
        await h.settle()
        assert refused.status == 403
        assert "prepaid credit exhausted" in _header(refused, "Warning")
        assert _header(refused, "Reason").startswith("Q.850;cause=21;")
        assert len(h.carrier_a.incoming) == 1
        assert h.carrier_b.incoming == []
        failed = await h.cdr(refused.call_id)
        assert failed.hangup_cause == "sip-403"
        emergency = h["101"].invite("112")
        await h.settle()
        assert len(h.carrier_a.incoming) == 2  # emergency calls always go out
        assert h.carrier_a.incoming[1].request.uri.user == "112"
        h.carrier_a.incoming[1].reject(486)
        await h.settle()
        assert emergency.status == 486


async def test_a_tenant_that_is_not_prepaid_is_not_limited(sqlite_url: str) -> None:
    async with world(sqlite_url, None) as h:
        await h.register("101")
        call = h["101"].invite(OUTSIDE)
        await h.settle()
        h.carrier_a.incoming[0].answer()
        await h.settle()
        assert call.status == 200
        await h.advance(60)
        assert h.live_calls() == 1
        async with h.database.session() as session:
            holds = await session.scalar(select(func.count()).select_from(CreditReservation))
        assert holds == 0
        call.bye()
        await h.settle()


async def test_a_forward_out_of_a_prepaid_tenant_without_credit_is_refused(
    sqlite_url: str,
) -> None:
    async with world(sqlite_url, "0", forwards=True) as h:
        async with h.database.transaction() as session:
            scope = TenantScope(session, h.tenant_id, TENANT)
            await forwarding.set_forward(scope, "101", forwarding.ForwardKind.ALWAYS, OUTSIDE)
        call = h.carrier_a.invite(DID, domain=CENTREX[0], from_user="+41797770000")
        await h.settle()
        assert call.status == 403
        assert "prepaid credit exhausted" in _header(call, "Warning")
        assert len(h.carrier_a.incoming) == 0
        assert h.carrier_b.incoming == []
