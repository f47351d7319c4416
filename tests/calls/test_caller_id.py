"""Caller identity through the B2BUA (calls/features/caller_id.py): the extension's outbound
caller ID on the trunk INVITE (From and P-Asserted-Identity), `*31` withholding it for one call
(RFC 3323 anonymous From, RFC 3325 Privacy: id with the asserted identity kept for the carrier,
through failover, still barred like a direct call), the extension's name shown to internal
callees, and a caller ID the tenant does not own refused."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from centrex.calls.features.caller_id import CallerIdentity
from centrex.calls.features.screening import CallScreening
from centrex.data.db import Database
from centrex.data.models import Direction, Extension
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from centrex.provisioning import extensions, numbers
from centrex.provisioning import screening as screening_service
from centrex.sip.message import Request
from tests.calls.harness import (
    CENTREX,
    DID,
    OTHER,
    OUTSIDE,
    OUTSIDE_E164,
    TENANT,
    Harness,
    make_harness,
)

NUMBER_102 = "+41215550102"
BETA_NUMBER = "+41215550200"
ANONYMOUS_FROM = "sip:anonymous@anonymous.invalid"


@contextlib.asynccontextmanager
async def world(url: str) -> AsyncIterator[Harness]:
    database = Database(url)
    features = (CallScreening(database), CallerIdentity(database))
    try:
        async with make_harness(url, features=features) as h:
            async with h.database.transaction() as session:
                now = h.clock.utcnow()
                scope = TenantScope(session, h.tenant_id, TENANT)
                await numbers.assign_number(scope, NUMBER_102, now=now, extension_number="102")
                beta = TenantScope(session, h.other_tenant_id, OTHER)
                await numbers.assign_number(beta, BETA_NUMBER, now=now)
            yield h
    finally:
        await database.dispose()


@pytest.fixture
async def ch(sqlite_url: str) -> AsyncIterator[Harness]:
    async with world(sqlite_url) as harness:
        yield harness


async def update(h: Harness, number: str, **fields: str) -> None:
    async with h.database.transaction() as session:
        scope = TenantScope(session, h.tenant_id, TENANT)
        extension = await extensions.get_extension(scope, number)
        await extensions.update_extension(scope, extension, **fields)  # type: ignore[arg-type]


def from_uri(request: Request) -> str:
    assert request.from_ is not None
    return str(request.from_.uri)


# ---- the number towards carriers -----------------------------------------------------------
async def test_the_extensions_caller_id_is_on_the_trunk_invite(ch: Harness) -> None:
    await ch.register("101")
    ch["101"].invite(OUTSIDE)
    await ch.settle()
    plain = ch.carrier_a.incoming[0].request
    assert from_uri(plain) == f"sip:{DID}@{TENANT}"  # the tenant's main number
    ch.carrier_a.incoming[0].reject(404)
    await ch.settle()
    await update(ch, "101", outbound_caller_id=NUMBER_102)
    await ch.advance(2.0)  # the plan cache's TTL: the new choice is seen
    ch["101"].invite(OUTSIDE)
    await ch.settle()
    chosen = ch.carrier_a.incoming[1].request
    assert from_uri(chosen) == f"sip:{NUMBER_102}@{TENANT}"
    assert chosen.headers.get("P-Asserted-Identity") == f"<sip:{NUMBER_102}@{TENANT}>"
    assert chosen.headers.get("Privacy") is None
    ch.carrier_a.incoming[1].reject(404)
    await ch.settle()


async def test_a_caller_id_the_tenant_does_not_own_is_refused(ch: Harness) -> None:
    for foreign in (BETA_NUMBER, "+41215550999"):
        with pytest.raises(ValidationFailed) as refused:
            await update(ch, "101", outbound_caller_id=foreign)
        assert refused.value.error_id == "caller-id-not-owned"
    async with ch.database.session() as session:
        scope = TenantScope(session, ch.tenant_id, TENANT)
        extension = await scope.first(Extension, Extension.number == "101")
    assert extension is not None
    assert extension.outbound_caller_id is None


# ---- *31: CLIR for one call ----------------------------------------------------------------
async def test_star_31_withholds_the_caller_id_towards_the_carrier(ch: Harness) -> None:
    await ch.register("101")
    await update(ch, "101", outbound_caller_id=NUMBER_102)
    call = ch["101"].invite("*31" + OUTSIDE)
    await ch.settle()
    assert len(ch.carrier_a.incoming) == 1
    invite = ch.carrier_a.incoming[0].request
    assert invite.uri.user == OUTSIDE_E164
    assert from_uri(invite) == ANONYMOUS_FROM
    assert invite.from_ is not None
    assert invite.from_.display_name == "Anonymous"
    assert invite.headers.get("Privacy") == "id"
    # RFC 3325: the trusted carrier still learns who calls (emergency, interception)
    assert invite.headers.get("P-Asserted-Identity") == f"<sip:{NUMBER_102}@{TENANT}>"
    assert NUMBER_102 not in str(invite.to)
    ch.carrier_a.incoming[0].answer()
    await ch.settle()
    assert call.statuses[-1] == 200
    cdr = await ch.cdr(call.call_id)
    assert cdr.direction is Direction.OUTBOUND
    assert cdr.callee == OUTSIDE_E164
    call.bye()
    await ch.settle()
    assert ch.live_calls() == 0


async def test_star_31_stays_anonymous_through_failover(ch: Harness) -> None:
    await ch.register("101")
    call = ch["101"].invite("*31" + OUTSIDE)
    await ch.settle()
    ch.carrier_a.incoming[0].reject(503)
    await ch.settle()
    second = ch.carrier_b.incoming[0].request
    assert from_uri(second) == ANONYMOUS_FROM
    assert second.headers.get("Privacy") == "id"
    ch.carrier_b.incoming[0].reject(486)
    await ch.settle()
    assert call.status == 486


async def test_a_normal_call_after_star_31_shows_the_number_again(ch: Harness) -> None:
    await ch.register("101")
    ch["101"].invite("*31" + OUTSIDE)
    await ch.settle()
    ch.carrier_a.incoming[0].reject(404)
    await ch.settle()
    ch["101"].invite(OUTSIDE)
    await ch.settle()
    assert from_uri(ch.carrier_a.incoming[1].request) == f"sip:{DID}@{TENANT}"
    assert ch.carrier_a.incoming[1].request.headers.get("Privacy") is None
    ch.carrier_a.incoming[1].reject(404)
    await ch.settle()


async def test_star_31_is_barred_like_a_direct_call(ch: Harness) -> None:
    await ch.register("101")
    async with ch.database.transaction() as session:
        scope = TenantScope(session, ch.tenant_id, TENANT)
        await screening_service.set_barring(scope, "101", outbound_class="national")
    call = ch["101"].invite("*31+33140000000")
    await ch.settle()
    assert call.status == 403
    assert "barred" in str(call.final.headers.get("Warning"))
    assert ch.carrier_a.incoming == []
    assert ch.carrier_b.incoming == []


async def test_star_31_to_an_extension_rings_it_and_bad_numbers_are_refused(ch: Harness) -> None:
    await ch.register("101", "102")
    call = ch["101"].invite("*31102")
    await ch.settle()
    assert len(ch["102"].incoming) == 1
    ch["102"].incoming[0].answer()
    await ch.settle()
    assert call.statuses[-1] == 200
    call.bye()
    await ch.settle()
    bad = ch["101"].invite("*31abc")
    await ch.settle()
    assert bad.status == 484


# ---- the caller's name inside the tenant ---------------------------------------------------
async def test_internal_callees_see_the_extensions_name(ch: Harness) -> None:
    await ch.register("101", "102", "103")
    call = ch["101"].invite("102", display="Mallory")  # the phone claims another name
    await ch.settle()
    incoming = ch["102"].incoming[0].request
    assert incoming.from_ is not None
    assert incoming.from_.display_name == "Ext 101"
    assert incoming.from_.uri.user == "101"
    ch["102"].incoming[0].reject(486)
    await ch.settle()
    assert call.status == 486
    await update(ch, "103", name="")  # no name in the directory: the phone's own stays
    ch["103"].invite("102", display="Front Desk")
    await ch.settle()
    second = ch["102"].incoming[1].request
    assert second.from_ is not None
    assert second.from_.display_name == "Front Desk"
    ch["102"].incoming[1].reject(486)
    await ch.settle()


async def test_a_carriers_caller_name_reaches_the_phone_unchanged(ch: Harness) -> None:
    await ch.register("101")
    ch.carrier_a.invite(DID, domain=CENTREX[0], from_user="+41797770000", display="Ms Caller")
    await ch.settle()
    incoming = ch["101"].incoming[0].request
    assert incoming.from_ is not None
    assert incoming.from_.display_name == "Ms Caller"
    ch["101"].incoming[0].reject(486)
    await ch.settle()
