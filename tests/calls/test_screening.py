"""Call screening through the B2BUA (calls/features/screening.py) on the in-memory network:
callers from a trunk blocked (603 with a Warning, or the callee's voicemail), allowlists,
anonymous callers, extension-scoped entries, outbound numbers blocked (403, no INVITE to any
carrier), barring classes (internal, national, international, premium) with emergency calls
always out, forwards out barred by the forwarding extension's class, and another tenant's
lists never applying."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from centrex.calls.features.forward import Forwarder, ForwardingFeature
from centrex.calls.features.screening import CallScreening
from centrex.calls.features.screening_rules import ListKind
from centrex.data.db import Database
from centrex.data.models import Direction, Disposition
from centrex.data.tenancy import TenantScope
from centrex.provisioning import forwarding, numbers
from centrex.provisioning import screening as service
from tests.calls.harness import (
    CENTREX,
    DID,
    OTHER,
    OUTSIDE,
    OUTSIDE_E164,
    TENANT,
    FakeApps,
    Harness,
    make_harness,
)
from tests.calls.uas import OutgoingCall

NUMBER_102 = "+41215550102"  # a DID routed to 102
STRANGER = "+41797770000"
FRIEND = "+41797770001"
FRANCE = "+33140000000"


@contextlib.asynccontextmanager
async def world(url: str, apps: FakeApps | None = None) -> AsyncIterator[Harness]:
    database = Database(url)
    features = (CallScreening(database),)
    try:
        async with make_harness(url, apps=apps, features=features) as h:
            async with h.database.transaction() as session:
                scope = TenantScope(session, h.tenant_id, TENANT)
                await numbers.assign_number(scope, NUMBER_102, now=h.clock.utcnow(),
                                            extension_number="102")  # fmt: skip
            yield h
    finally:
        await database.dispose()


@pytest.fixture
async def sh(sqlite_url: str) -> AsyncIterator[Harness]:
    async with world(sqlite_url) as harness:
        yield harness


async def add(h: Harness, kind: ListKind, pattern: str, direction: str, *,
              extension: str | None = None, action: str = "reject",
              tenant: tuple[int, str] | None = None) -> None:  # fmt: skip
    tenant_id, domain = tenant or (h.tenant_id, TENANT)
    async with h.database.transaction() as session:
        await service.add_entry(TenantScope(session, tenant_id, domain), kind, pattern=pattern,
                                direction=direction, extension=extension,
                                action=action)  # fmt: skip


async def bar(h: Harness, number: str, outbound: str | None = None, premium: bool | None = None,
              ) -> None:  # fmt: skip
    async with h.database.transaction() as session:
        scope = TenantScope(session, h.tenant_id, TENANT)
        await service.set_barring(scope, number, outbound_class=outbound, premium=premium)


def from_carrier(
    h: Harness, caller: str, did: str = DID, headers: list[tuple[str, str]] | None = None
) -> OutgoingCall:
    """carrier-a calls `did` from `caller` (its From user)."""
    return h.carrier_a.invite(did, domain=CENTREX[0], from_user=caller, headers=headers)


def warning(call: OutgoingCall) -> str:
    return str(call.final.headers.get("Warning"))


# ---- inbound -------------------------------------------------------------------------------
async def test_a_blocked_caller_from_a_trunk_gets_603_and_no_phone_rings(sh: Harness) -> None:
    await sh.register("101")
    await add(sh, ListKind.BLOCK, STRANGER, "inbound")
    call = from_carrier(sh, STRANGER)
    await sh.settle()
    assert call.status == 603
    assert "blocklist" in warning(call)
    assert STRANGER in warning(call)
    assert sh["101"].incoming == []
    cdr = await sh.cdr(call.call_id)
    assert cdr.direction is Direction.INBOUND
    assert cdr.disposition is Disposition.FAILED
    assert cdr.hangup_cause == "sip-603"
    assert sh.live_calls() == 0
    # another caller still gets through
    other = from_carrier(sh, FRIEND)
    await sh.settle()
    assert len(sh["101"].incoming) == 1
    sh["101"].incoming[0].answer()
    await sh.settle()
    assert other.statuses[-1] == 200
    other.bye()
    await sh.settle()


async def test_a_national_caller_id_is_matched_in_e164(sh: Harness) -> None:
    await sh.register("101")
    await add(sh, ListKind.BLOCK, "+4179*", "inbound")
    call = from_carrier(sh, "0797770000")
    await sh.settle()
    assert call.status == 603
    assert sh["101"].incoming == []


async def test_a_blocked_caller_with_the_voicemail_action_reaches_the_mailbox(
    sqlite_url: str,
) -> None:
    apps = FakeApps(("voicemail",))
    async with world(sqlite_url, apps) as h:
        await h.register("101")
        await add(h, ListKind.BLOCK, "+4179*", "inbound", action="voicemail")
        call = from_carrier(h, STRANGER)
        await h.settle()
        assert h["101"].incoming == []
        assert [(r.app, r.context.extension) for r in apps.runs] == [("voicemail", "101")]
        assert call.statuses[-1] == 200  # the mailbox answered


async def test_without_voicemail_the_voicemail_action_declines(sh: Harness) -> None:
    await add(sh, ListKind.BLOCK, STRANGER, "inbound", action="voicemail")
    call = from_carrier(sh, STRANGER)
    await sh.settle()
    assert call.status == 603


async def test_an_allowlist_lets_only_its_callers_through(sh: Harness) -> None:
    await sh.register("101")
    await add(sh, ListKind.ALLOW, FRIEND, "inbound")
    refused = from_carrier(sh, STRANGER)
    await sh.settle()
    assert refused.status == 603
    assert "allowlist" in warning(refused)
    assert sh["101"].incoming == []
    allowed = from_carrier(sh, FRIEND)
    await sh.settle()
    assert len(sh["101"].incoming) == 1
    sh["101"].incoming[0].reject(486)
    await sh.settle()
    assert allowed.status == 486


@pytest.mark.parametrize(
    ("user", "headers"),
    [("anonymous", None), (STRANGER, [("Privacy", "id")])],
    ids=["from-anonymous", "privacy-id"],
)
async def test_anonymous_callers_are_blocked(
    sh: Harness, user: str, headers: list[tuple[str, str]] | None
) -> None:
    await sh.register("101")
    await add(sh, ListKind.BLOCK, "anonymous", "inbound")
    call = from_carrier(sh, user, headers=headers)
    await sh.settle()
    assert call.status == 603
    assert "anonymous" in warning(call)
    assert sh["101"].incoming == []
    shown = from_carrier(sh, FRIEND)
    await sh.settle()
    assert len(sh["101"].incoming) == 1
    sh["101"].incoming[0].reject(480)
    await sh.settle()
    assert shown.status == 480


async def test_an_extensions_entry_screens_only_its_calls(sh: Harness) -> None:
    await sh.register("101", "102")
    await add(sh, ListKind.BLOCK, STRANGER, "inbound", extension="102")
    to_102 = from_carrier(sh, STRANGER, did=NUMBER_102)
    await sh.settle()
    assert to_102.status == 603
    assert sh["102"].incoming == []
    to_101 = from_carrier(sh, STRANGER)
    await sh.settle()
    assert len(sh["101"].incoming) == 1
    sh["101"].incoming[0].reject(486)
    await sh.settle()
    assert to_101.status == 486


async def test_internal_calls_are_not_screened(sh: Harness) -> None:
    await sh.register("101", "102")
    await add(sh, ListKind.ALLOW, FRIEND, "inbound")
    await add(sh, ListKind.ALLOW, FRIEND, "outbound")
    call, _incoming = await sh.call("101", "102")
    assert call.status == 200
    call.bye()
    await sh.settle()


# ---- outbound ------------------------------------------------------------------------------
async def test_an_outbound_blocked_number_gets_403_and_no_carrier_sees_it(sh: Harness) -> None:
    await sh.register("101")
    await add(sh, ListKind.BLOCK, OUTSIDE_E164, "outbound")
    call = sh["101"].invite(OUTSIDE)
    await sh.settle()
    assert call.status == 403
    assert "blocklist" in warning(call)
    assert sh.carrier_a.incoming == []
    assert sh.carrier_b.incoming == []
    cdr = await sh.cdr(call.call_id)
    assert cdr.direction is Direction.OUTBOUND
    assert cdr.disposition is Disposition.FAILED
    assert cdr.hangup_cause == "sip-403"
    assert await sh.legs(cdr.id) == []
    assert sh.limits.trunk_calls(sh.trunk_ids["carrier-a"]) == 0


async def test_an_outbound_prefix_entry_of_one_extension(sh: Harness) -> None:
    await sh.register("101", "102")
    await add(sh, ListKind.BLOCK, "+33*", "outbound", extension="102")
    barred = sh["102"].invite(FRANCE)
    await sh.settle()
    assert barred.status == 403
    free = sh["101"].invite(FRANCE)
    await sh.settle()
    assert len(sh.carrier_a.incoming) == 1
    assert sh.carrier_a.incoming[0].request.uri.user == FRANCE
    sh.carrier_a.incoming[0].reject(404)
    await sh.settle()
    assert free.status == 404


async def test_an_outbound_allowlist(sh: Harness) -> None:
    await sh.register("101")
    await add(sh, ListKind.ALLOW, "+4144*", "outbound")
    refused = sh["101"].invite(FRANCE)
    await sh.settle()
    assert refused.status == 403
    assert sh.carrier_a.incoming == []
    allowed = sh["101"].invite(OUTSIDE)
    await sh.settle()
    assert len(sh.carrier_a.incoming) == 1
    sh.carrier_a.incoming[0].reject(404)
    await sh.settle()
    assert allowed.status == 404


@pytest.mark.parametrize(
    ("outbound", "premium", "dialled", "passes"),
    [
        ("all", None, OUTSIDE, True),
        ("internal", None, OUTSIDE, False),
        ("national", None, OUTSIDE, True),
        ("national", None, FRANCE, False),
        ("international", None, FRANCE, True),
        ("international", None, "+80012345678", False),
        ("all", None, "+80012345678", True),
        ("all", None, "0900123456", False),  # premium rate, national form
        ("all", True, "0900123456", True),
        ("national", None, "0848123456", False),  # shared cost
        ("national", True, "+33890123456", False),  # premium on does not open abroad
    ],
)
async def test_barring_classes(
    sh: Harness, outbound: str, premium: bool | None, dialled: str, passes: bool
) -> None:
    await sh.register("101")
    await bar(sh, "101", outbound, premium)
    call = sh["101"].invite(dialled)
    await sh.settle()
    if passes:
        assert len(sh.carrier_a.incoming) == 1, call.statuses
        sh.carrier_a.incoming[0].reject(404)
        await sh.settle()
        assert call.status == 404
    else:
        assert call.status == 403
        assert "barred" in warning(call)
        assert sh.carrier_a.incoming == []
        assert sh.carrier_b.incoming == []


async def test_emergency_calls_pass_every_bar_and_list(sh: Harness) -> None:
    await sh.register("101")
    await bar(sh, "101", "internal")
    await add(sh, ListKind.ALLOW, OUTSIDE_E164, "outbound")
    call = sh["101"].invite("112")
    await sh.settle()
    assert len(sh.carrier_a.incoming) == 1
    assert sh.carrier_a.incoming[0].request.uri.user == "112"
    sh.carrier_a.incoming[0].answer()
    await sh.settle()
    assert call.statuses[-1] == 200
    call.bye()
    await sh.settle()


async def test_an_internal_extension_still_calls_its_colleagues(sh: Harness) -> None:
    await sh.register("101", "102")
    await bar(sh, "101", "internal")
    call, _incoming = await sh.call("101", "102")
    assert call.status == 200
    call.bye()
    await sh.settle()


# ---- isolation -----------------------------------------------------------------------------
async def test_another_tenants_lists_never_apply(sh: Harness) -> None:
    beta = (sh.other_tenant_id, OTHER)
    await add(sh, ListKind.BLOCK, STRANGER, "inbound", tenant=beta)
    await add(sh, ListKind.ALLOW, FRIEND, "inbound", tenant=beta)
    await add(sh, ListKind.BLOCK, OUTSIDE_E164, "outbound", tenant=beta)
    await sh.register("101", "beta-201")
    inbound = from_carrier(sh, STRANGER)
    await sh.settle()
    assert len(sh["101"].incoming) == 1
    sh["101"].incoming[0].reject(486)
    await sh.settle()
    assert inbound.status == 486
    outbound = sh["101"].invite(OUTSIDE)
    await sh.settle()
    assert len(sh.carrier_a.incoming) == 1
    sh.carrier_a.incoming[0].reject(404)
    await sh.settle()
    assert outbound.status == 404
    # and acme's own block does not bar beta's extension
    await add(sh, ListKind.BLOCK, FRANCE, "outbound")
    beta_call = sh["beta-201"].invite(FRANCE)
    await sh.settle()
    assert len(sh.carrier_a.incoming) == 2
    assert sh.carrier_a.incoming[1].request.uri.user == FRANCE
    sh.carrier_a.incoming[1].reject(404)
    await sh.settle()
    assert beta_call.status == 404


# ---- destinations features ask for (forwards) ----------------------------------------------
@contextlib.asynccontextmanager
async def forwarding_world(url: str) -> AsyncIterator[Harness]:
    database = Database(url)
    forwarder = Forwarder(database)
    features = (CallScreening(database), ForwardingFeature(forwarder, database))
    try:
        async with make_harness(url, features=features) as h:
            yield h
    finally:
        await database.dispose()


async def forward_always(h: Harness, number: str, destination: str) -> None:
    async with h.database.transaction() as session:
        scope = TenantScope(session, h.tenant_id, TENANT)
        await forwarding.set_forward(scope, number, forwarding.ForwardKind.ALWAYS, destination)


async def test_a_forward_out_is_barred_by_the_forwarding_extensions_class(
    sqlite_url: str,
) -> None:
    async with forwarding_world(sqlite_url) as h:
        await bar(h, "101", "national")
        await forward_always(h, "101", FRANCE)
        call = from_carrier(h, STRANGER)  # to the DID of 101, forwarded to France
        await h.settle()
        assert call.status == 403
        assert "barred" in warning(call)
        assert h.carrier_a.incoming == []
        assert h.carrier_b.incoming == []
        await forward_always(h, "101", OUTSIDE)  # a national forward still goes out
        national = from_carrier(h, STRANGER)
        await h.settle()
        assert len(h.carrier_a.incoming) == 1
        assert h.carrier_a.incoming[0].request.uri.user == OUTSIDE_E164
        h.carrier_a.incoming[0].reject(404)
        await h.settle()
        assert national.status == 404


async def test_a_forward_to_a_tenant_blocked_number_is_refused(sqlite_url: str) -> None:
    async with forwarding_world(sqlite_url) as h:
        await h.register("102")
        await add(h, ListKind.BLOCK, "+4144*", "outbound")
        await forward_always(h, "102", OUTSIDE)
        call = h["102"].invite("102")  # 102 calls itself: forwarded out
        await h.settle()
        assert call.status == 403
        assert "blocklist" in warning(call)
        assert h.carrier_a.incoming == []


# ---- rules reused for the route cache time -------------------------------------------------
async def test_rules_are_reused_for_the_cache_time_then_reread(sqlite_url: str) -> None:
    """With `cache_seconds` (the server passes the route cache setting) a tenant's rules are
    read once per period, not per call: an entry added meanwhile applies from exactly
    `cache_seconds` after the read, on the B2BUA clock."""
    database = Database(sqlite_url)
    try:
        features = (CallScreening(database, cache_seconds=2.0),)
        async with make_harness(sqlite_url, features=features) as h:
            await h.register("101")  # the DID rings 101
            first = from_carrier(h, STRANGER)
            await h.settle()
            assert len(h["101"].incoming) == 1  # read now: no entry yet
            first.cancel()
            await h.settle()
            await add(h, ListKind.BLOCK, STRANGER, "inbound")
            await h.advance(1.9)
            second = from_carrier(h, STRANGER)
            await h.settle()
            assert len(h["101"].incoming) == 2  # still the rules read at t0
            second.cancel()
            await h.settle()
            await h.advance(0.1)  # t0 + 2 s: read again
            third = from_carrier(h, STRANGER)
            await h.settle()
            assert third.status == 603
            assert len(h["101"].incoming) == 2
    finally:
        await database.dispose()
