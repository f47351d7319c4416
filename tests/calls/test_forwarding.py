"""Forwarding, DND and call waiting through the B2BUA (calls/features/forward.py, dnd.py,
call_waiting.py) on the in-memory network: each forward kind to an extension and to an outside
number (the exact RFC 5806 Diversion header the carrier gets), the no-answer forward at exactly
N seconds on the ManualClock, DND's busy treatment, call waiting on and off, loops and long
chains cut, feature codes, ring-group members, and another tenant's extension never reached."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.call import Call, SipSide
from centrex.calls.features import FeatureHooks, PlanPart
from centrex.calls.features.call_waiting import CallWaiting
from centrex.calls.features.dnd import DoNotDisturb
from centrex.calls.features.forward import Forwarder, ForwardingFeature
from centrex.calls.features.ring_group import RingGroups
from centrex.calls.features.standard import standard_features
from centrex.calls.outbound import RingFailure, RingResult
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Direction, Disposition, Extension, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from centrex.provisioning import extensions, numbers, ring_groups
from centrex.provisioning import forwarding as fwd
from centrex.sip.message import Response
from tests.calls.harness import (
    CENTREX,
    DID,
    OUTSIDE,
    OUTSIDE_E164,
    TENANT,
    FakeApps,
    Harness,
    make_harness,
)

NUMBER_102 = "+41215550102"  # a DID of 102's own, so Diversion names 102 and not the tenant


def diversion(number: str, reason: str) -> str:
    return f"<sip:{number}@{TENANT}>;reason={reason};counter=1"


class GroupOwner:
    """A ring group's owner as the ring-group feature writes it (`group_member = True`)."""

    group_member = True

    def __init__(self) -> None:
        self.failures: list[RingFailure] = []

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        raise AssertionError("no member should answer in these tests")

    async def failed(self, call: Call, failure: RingFailure) -> None:
        self.failures.append(failure)


class GroupFeature:
    """A test feature: number 600 rings 102 as a group member, then rejects with 480."""

    name = "test-group"

    def __init__(self) -> None:
        self.owner = GroupOwner()
        self.hooks: FeatureHooks | None = None

    def attach(self, hooks: FeatureHooks) -> None:
        self.hooks = hooks
        hooks.contribute(self.name, self._plan)
        hooks.serve("test-group", self._serve)

    async def _plan(self, _session: AsyncSession, _tenant: Tenant) -> PlanPart:
        return PlanPart(numbers={"600": ("test-group", "600")})

    async def _serve(self, call: Call, _argument: str) -> None:
        assert self.hooks is not None
        await self.hooks.actions.ring_extension(call, "102", self.owner)
        if self.owner.failures:
            await self.hooks.actions.reject(call, 480, "no member available")


@contextlib.asynccontextmanager
async def world(
    url: str, apps: FakeApps | None = None, extra: tuple[object, ...] = ()
) -> AsyncIterator[Harness]:
    database = Database(url)
    forwarder = Forwarder(database)
    features = (DoNotDisturb(forwarder, database), ForwardingFeature(forwarder, database),
                CallWaiting(forwarder), *extra)  # fmt: skip
    try:
        async with make_harness(url, apps=apps, features=features) as h:  # type: ignore[arg-type]
            async with h.database.transaction() as session:
                scope = TenantScope(session, h.tenant_id, TENANT)
                await numbers.assign_number(scope, NUMBER_102, now=h.clock.utcnow(),
                                            extension_number="102")  # fmt: skip
            yield h
    finally:
        await database.dispose()


@pytest.fixture
async def fh(sqlite_url: str) -> AsyncIterator[Harness]:
    async with world(sqlite_url) as harness:
        yield harness


async def scope_do(h: Harness, work: object) -> None:
    async with h.database.transaction() as session:
        await work(TenantScope(session, h.tenant_id, TENANT))  # type: ignore[operator]


async def forward(h: Harness, number: str, kind: str, dest: str, after: int | None = None) -> None:
    async def work(scope: TenantScope) -> None:
        await fwd.set_forward(scope, number, fwd.ForwardKind(kind), dest, seconds=after)

    await scope_do(h, work)


async def settings_of(h: Harness, number: str, tenant_id: int | None = None) -> Extension:
    async with h.database.session() as session:
        scope = TenantScope(session, tenant_id or h.tenant_id, TENANT)
        return await extensions.get_extension(scope, number)


# ---- forward always ------------------------------------------------------------------------
async def test_forward_always_to_an_extension_rings_only_the_target(fh: Harness) -> None:
    await fh.register("101", "102", "103")
    await forward(fh, "102", "always", "103")
    call, incoming = await fh.call("101", "102", callee="103")
    assert fh["102"].incoming == []  # the forwarding extension's phones never rang
    assert incoming.request.uri.user == "103"
    assert "Diversion" not in incoming.request.headers  # inside the tenant: no carrier to tell
    assert call.statuses[-1] == 200
    call.bye()
    await fh.settle()
    assert fh.live_calls() == 0


async def test_forward_always_to_an_outside_number_carries_diversion(fh: Harness) -> None:
    await fh.register("101", "102")
    await forward(fh, "102", "always", OUTSIDE)
    call = fh["101"].invite("102")
    await fh.settle()
    assert fh["102"].incoming == []
    assert len(fh.carrier_a.incoming) == 1
    invite = fh.carrier_a.incoming[0].request
    assert invite.uri.user == OUTSIDE_E164
    assert invite.headers.get("Diversion") == diversion(NUMBER_102, "unconditional")
    # the caller 101 has no number of its own: the trunk policy gives the forwarding
    # extension's choice (the tenant's main number), never an unowned number
    assert invite.from_ is not None
    assert invite.from_.uri.user == DID
    assert invite.headers.get("P-Asserted-Identity") == f"<sip:{DID}@{TENANT}>"
    fh.carrier_a.incoming[0].answer()
    await fh.settle()
    assert call.statuses == [100, 200]
    call.bye()
    await fh.settle()
    # the leg that costs: an outbound call of the tenant to the outside number, rated as such
    cdr = await fh.cdr(call.call_id)
    assert (cdr.direction, cdr.callee, cdr.disposition) == (
        Direction.OUTBOUND,
        OUTSIDE_E164,
        Disposition.ANSWERED,
    )
    assert cdr.trunk_id is not None


async def test_an_unanswered_outside_forward_keeps_the_dialled_extension(fh: Harness) -> None:
    """Nothing left through the trunk: the CDR stays the internal call to 102."""
    await fh.register("101")
    await forward(fh, "102", "always", OUTSIDE)
    call = fh["101"].invite("102")
    await fh.settle()
    fh.carrier_a.incoming[0].reject(486)
    await fh.settle()
    cdr = await fh.cdr(call.call_id)
    assert (cdr.direction, cdr.callee) == (Direction.INTERNAL, "102")


async def test_the_diversion_survives_trunk_failover(fh: Harness) -> None:
    await fh.register("101")
    await forward(fh, "102", "always", OUTSIDE)
    call = fh["101"].invite("102")
    await fh.settle()
    fh.carrier_a.incoming[0].reject(503)
    await fh.settle()
    second = fh.carrier_b.incoming[0].request
    assert second.headers.get("Diversion") == diversion(NUMBER_102, "unconditional")
    fh.carrier_b.incoming[0].reject(486)
    await fh.settle()
    assert call.status == 486  # no voicemail app: the carrier's busy reaches the caller


async def test_an_outside_caller_forwarded_out_shows_the_tenants_number(fh: Harness) -> None:
    """The carrier's caller +41797770000 is not the tenant's number: it is not presented."""
    await forward(fh, "101", "always", OUTSIDE)
    call = fh.carrier_a.invite(DID, domain=CENTREX[0], from_user="+41797770000")
    await fh.settle()
    out = fh.carrier_a.incoming[-1].request
    assert out.uri.user == OUTSIDE_E164
    assert out.headers.get("Diversion") == diversion(DID, "unconditional")
    assert out.from_ is not None
    assert out.from_.uri.user == DID
    fh.carrier_a.incoming[-1].reject(603)
    await fh.settle()
    assert call.status == 603


# ---- busy, no answer, unregistered -----------------------------------------------------------
async def test_busy_forward_to_an_extension(fh: Harness) -> None:
    await fh.register("101", "102", "103")
    await forward(fh, "102", "busy", "103")
    call = fh["101"].invite("102")
    await fh.settle()
    fh["102"].incoming[0].reject(486)
    await fh.settle()
    assert len(fh["103"].incoming) == 1
    fh["103"].incoming[0].answer()
    await fh.settle()
    assert call.statuses == [100, 200]
    call.bye()
    await fh.settle()


async def test_busy_forward_to_an_outside_number(fh: Harness) -> None:
    await fh.register("101", "102")
    await forward(fh, "102", "busy", OUTSIDE)
    call = fh["101"].invite("102")
    await fh.settle()
    fh["102"].incoming[0].reject(600)
    await fh.settle()
    invite = fh.carrier_a.incoming[0].request
    assert invite.headers.get("Diversion") == diversion(NUMBER_102, "user-busy")
    fh.carrier_a.incoming[0].reject(480)
    await fh.settle()
    fh.carrier_b.incoming[0].reject(404)
    await fh.settle()
    assert call.status == 404


async def test_a_busy_forward_does_not_apply_to_no_answer(fh: Harness) -> None:
    await fh.register("101", "102", "103")
    await forward(fh, "102", "busy", "103")
    call = fh["101"].invite("102")
    await fh.settle()
    await fh.advance(20.0)  # the default ring timeout: no forward for no answer
    assert fh["103"].incoming == []
    assert call.status == 480


async def test_no_answer_forward_at_exactly_n_seconds(fh: Harness) -> None:
    await fh.register("101", "102", "103")
    await forward(fh, "102", "no-answer", "103", after=7)
    start = fh.clock.monotonic()
    call = fh["101"].invite("102")
    await fh.settle()
    fh["102"].incoming[0].ring()
    await fh.settle()
    assert fh.b2bua.next_deadline() == start + 7.0  # the RING deadline is N, not 20 s
    await fh.advance(7.0 - 0.001)
    assert fh["103"].incoming == []
    assert not fh["102"].incoming[0].cancelled
    await fh.advance(0.001)
    assert fh["102"].incoming[0].cancelled
    assert len(fh["103"].incoming) == 1
    fh["103"].incoming[0].answer()
    await fh.settle()
    assert call.statuses == [100, 180, 200]
    call.bye()
    await fh.settle()


async def test_no_answer_forward_default_is_20_seconds_to_an_outside_number(fh: Harness) -> None:
    await fh.register("101", "102")
    await forward(fh, "102", "no-answer", OUTSIDE)
    start = fh.clock.monotonic()
    fh["101"].invite("102")
    await fh.settle()
    assert fh.b2bua.next_deadline() == start + 20.0
    await fh.advance(20.0)
    invite = fh.carrier_a.incoming[0].request
    assert invite.headers.get("Diversion") == diversion(NUMBER_102, "no-answer")


async def test_unregistered_forward_to_an_extension_and_outside(fh: Harness) -> None:
    await fh.register("101", "103")
    await forward(fh, "102", "unregistered", "103")
    call = fh["101"].invite("102")
    await fh.settle()
    assert len(fh["103"].incoming) == 1
    fh["103"].incoming[0].reject(486)
    await fh.settle()
    assert call.status == 486
    await forward(fh, "102", "unregistered", OUTSIDE)
    fh["101"].invite("102")
    await fh.settle()
    invite = fh.carrier_a.incoming[0].request
    assert invite.headers.get("Diversion") == diversion(NUMBER_102, "unavailable")


async def test_forward_to_voicemail_is_the_forwarding_extensions_mailbox(sqlite_url: str) -> None:
    apps = FakeApps(("voicemail",))
    async with world(sqlite_url, apps) as h:
        await h.register("101", "102")
        await forward(h, "102", "busy", "voicemail")
        await forward(h, "103", "always", "102")
        h["101"].invite("103")
        await h.settle()
        h["102"].incoming[0].reject(486)
        await h.settle()
        assert [(r.app, r.context.extension, r.context.reason) for r in apps.runs] == [
            ("voicemail", "102", "busy")
        ]


async def test_forward_to_a_flow_runs_it(sqlite_url: str) -> None:
    apps = FakeApps(("voicemail", "ivr"))
    async with world(sqlite_url, apps) as h:
        async with h.database.transaction() as session:
            from centrex.data.models import CallFlow

            scope = TenantScope(session, h.tenant_id, TENANT)
            scope.add(CallFlow(name="night", graph={"start": "x", "nodes": {}}))
        await h.register("101")
        await forward(h, "102", "always", "flow:night")
        h["101"].invite("102")
        await h.settle()
        assert [(r.app, r.context.extension) for r in apps.runs] == [("ivr", "flow:night")]


# ---- DND -----------------------------------------------------------------------------------
async def test_dnd_without_forward_or_voicemail_is_486(fh: Harness) -> None:
    await fh.register("101", "102")
    await scope_do(fh, lambda scope: fwd.set_dnd(scope, "102", True))
    call = fh["101"].invite("102")
    await fh.settle()
    assert fh["102"].incoming == []
    assert call.status == 486


async def test_dnd_goes_to_voicemail(sqlite_url: str) -> None:
    apps = FakeApps(("voicemail",))
    async with world(sqlite_url, apps) as h:
        await h.register("101", "102")
        await scope_do(h, lambda scope: fwd.set_dnd(scope, "102", True))
        h["101"].invite("102")
        await h.settle()
        assert h["102"].incoming == []
        assert [(r.app, r.context.extension, r.context.reason) for r in apps.runs] == [
            ("voicemail", "102", "busy")
        ]


async def test_dnd_takes_the_busy_forward_before_forward_always(fh: Harness) -> None:
    await fh.register("101", "102", "103")
    await scope_do(fh, lambda scope: fwd.set_dnd(scope, "102", True))
    await forward(fh, "102", "always", "101")
    await forward(fh, "102", "busy", OUTSIDE)
    fh["101"].invite("102")
    await fh.settle()
    assert fh["101"].incoming == []  # DND decides first: the busy forward, not forward always
    invite = fh.carrier_a.incoming[0].request
    assert invite.headers.get("Diversion") == diversion(NUMBER_102, "do-not-disturb")


# ---- call waiting --------------------------------------------------------------------------
async def test_call_waiting_on_rings_an_extension_in_a_call(fh: Harness) -> None:
    await fh.register("101", "102", "103")
    first, _ = await fh.call("101", "103")
    second = fh["102"].invite("101")
    await fh.settle()
    assert len(fh["101"].incoming) == 1  # 101 is in a call and rings for the second one
    fh["101"].incoming[0].answer()
    await fh.settle()
    assert second.statuses == [100, 200]
    first.bye()
    second.bye()
    await fh.settle()


async def test_call_waiting_off_gives_busy_treatment(fh: Harness) -> None:
    await fh.register("101", "102", "103")
    await scope_do(fh, lambda scope: fwd.set_call_waiting(scope, "101", False))
    first, _ = await fh.call("101", "103")
    second = fh["102"].invite("101")
    await fh.settle()
    assert fh["101"].incoming == []
    assert second.status == 486
    await forward(fh, "101", "busy", OUTSIDE)
    fh["102"].invite("101")
    await fh.settle()
    assert fh.carrier_a.incoming[0].request.headers.get("Diversion") == diversion(DID, "user-busy")
    first.bye()
    await fh.settle()
    third = fh["102"].invite("101")  # no longer in a call: it rings
    await fh.settle()
    assert len(fh["101"].incoming) == 1
    third.cancel()
    await fh.settle()


# ---- loops and chains ----------------------------------------------------------------------
async def test_a_forward_loop_is_cut_at_the_second_visit(fh: Harness) -> None:
    await fh.register("101", "102", "103")
    await forward(fh, "101", "always", "102")
    await forward(fh, "102", "always", "101")
    call = fh["103"].invite("101")
    await fh.settle()
    assert call.status == 482
    assert fh["101"].incoming == []
    assert fh["102"].incoming == []


async def _chain(h: Harness, last: str) -> None:
    async def work(scope: TenantScope) -> None:
        for number in ("104", "105", "106", "107", "108"):
            await extensions.create_extension(scope, number=number, password="pw-secret-1",
                                              voicemail=False)  # fmt: skip
        hops = ["101", "102", "104", "105", "106", "107", "108"]
        for here, there in itertools.pairwise(hops):
            if here == last:
                break
            await fwd.set_forward(scope, here, fwd.ForwardKind.ALWAYS, there)

    await scope_do(h, work)


async def test_a_chain_of_five_forwards_reaches_its_end(fh: Harness) -> None:
    await fh.register("103")
    await _chain(fh, last="107")  # 101 102 104 105 106 forward: 5 hops, 107 rings
    call = fh["103"].invite("101")
    await fh.settle()
    assert call.status == 480  # 107 has no phone: "not registered", not a cut chain


async def test_a_sixth_forward_is_cut(fh: Harness) -> None:
    await fh.register("103")
    await _chain(fh, last="108")  # 107 would forward a sixth time
    call = fh["103"].invite("101")
    await fh.settle()
    assert call.status == 483


# ---- ring-group members --------------------------------------------------------------------
async def test_a_dnd_group_member_is_reported_busy_to_the_group(sqlite_url: str) -> None:
    group = GroupFeature()
    async with world(sqlite_url, extra=(group,)) as h:
        await h.register("101", "102")
        await scope_do(h, lambda scope: fwd.set_dnd(scope, "102", True))
        await forward(h, "102", "busy", "103")  # personal: not for the group's calls
        call = h["101"].invite("600")
        await h.settle()
        assert [f.result for f in group.owner.failures] == [RingResult.BUSY]
        assert h["102"].incoming == []
        assert h["103"].incoming == []
        assert call.status == 480


async def test_a_forwarded_group_member_is_unavailable_to_the_group(sqlite_url: str) -> None:
    group = GroupFeature()
    async with world(sqlite_url, extra=(group,)) as h:
        await h.register("101", "102", "103")
        await forward(h, "102", "always", "103")
        h["101"].invite("600")
        await h.settle()
        assert [f.result for f in group.owner.failures] == [RingResult.UNAVAILABLE]
        assert h["103"].incoming == []


# ---- feature codes -------------------------------------------------------------------------
async def test_feature_codes_set_dnd_and_forward_with_a_confirmation(sqlite_url: str) -> None:
    apps = FakeApps(("voicemail", "feature-confirm"))
    async with world(sqlite_url, apps) as h:
        await h.register("101")
        for code, reason in (("*78", "dnd-on"), ("*72103", "forward-on")):
            call = h["101"].invite(code)
            await h.settle()
            assert call.statuses == [100, 200], code
            assert (apps.runs[-1].app, apps.runs[-1].context.reason) == ("feature-confirm",
                                                                         reason)  # fmt: skip
        ext = await settings_of(h, "101")
        assert (ext.dnd, ext.forward_always) == (True, "103")
        for code in ("*79", "*73"):
            h["101"].invite(code)
            await h.settle()
        ext = await settings_of(h, "101")
        assert (ext.dnd, ext.forward_always) == (False, None)
        assert [r.context.reason for r in apps.runs[-2:]] == ["dnd-off", "forward-off"]


async def test_a_feature_code_with_a_bad_destination_changes_nothing(fh: Harness) -> None:
    await fh.register("101")
    for code in ("*72201", "*72999", "*72112"):  # beta's 201, nobody's 999, an emergency number
        call = fh["101"].invite(code)
        await fh.settle()
        assert call.status == 484, code
    assert (await settings_of(fh, "101")).forward_always is None


async def test_without_the_confirmation_app_the_change_is_said_in_a_warning(fh: Harness) -> None:
    await fh.register("101")
    call = fh["101"].invite("*78")
    await fh.settle()
    assert call.status == 480
    assert "dnd-on" in (call.final.headers.get("Warning") or "")
    assert (await settings_of(fh, "101")).dnd is True


# ---- isolation -----------------------------------------------------------------------------
async def test_another_tenants_extension_is_refused_as_a_destination(fh: Harness) -> None:
    async def work(scope: TenantScope) -> None:
        await fwd.set_forward(scope, "101", fwd.ForwardKind.ALWAYS, "201")

    with pytest.raises(ValidationFailed) as refused:
        await scope_do(fh, work)
    assert refused.value.error_id == "forward-destination-unknown"


async def test_a_stale_destination_never_reaches_another_tenant(fh: Harness) -> None:
    """Even written behind validation's back, 201 is looked up in the caller's tenant only."""
    await fh.register("101", "beta-201")
    async with fh.database.transaction() as session:
        scope = TenantScope(session, fh.tenant_id, TENANT)
        ext = await extensions.get_extension(scope, "102")
        ext.forward_always = "201"
    call = fh["101"].invite("102")
    await fh.settle()
    assert fh["beta-201"].incoming == []
    assert call.status == 404


async def test_beta_102_forwards_are_its_own(fh: Harness) -> None:
    """acme's 102 forwarded always does not touch beta's 102 (same number, other tenant)."""
    await fh.register("beta-102", "beta-201")
    await forward(fh, "102", "always", OUTSIDE)
    call = fh["beta-201"].invite("102", domain="beta.test")
    await fh.settle()
    assert len(fh["beta-102"].incoming) == 1
    assert fh.carrier_a.incoming == []
    call.cancel()
    await fh.settle()


def test_standard_features_run_dnd_then_forwarding_then_call_waiting(sqlite_url: str) -> None:
    names = [f.name for f in standard_features(Database(sqlite_url), ManualClock())]
    mine = [n for n in names if n in ("dnd", "forwarding", "call-waiting")]
    assert mine == ["dnd", "forwarding", "call-waiting"]


async def test_settings_are_reused_for_the_cache_time_but_a_code_is_seen_at_once(
    sqlite_url: str,
) -> None:
    """With `cache_seconds` (the server's route cache setting) an extension's forwarding is
    read once per period: a change made elsewhere (the CLI, the API) applies from exactly
    the cache time after the read; a change by the extension's own feature code at once."""
    database = Database(sqlite_url)
    forwarder = Forwarder(database, cache_seconds=2.0)
    features = (DoNotDisturb(forwarder, database), ForwardingFeature(forwarder, database))
    try:
        async with make_harness(sqlite_url, features=features) as h:  # type: ignore[arg-type]
            await h.register("101", "102", "103")
            first = h["101"].invite("102")
            await h.settle()
            assert len(h["102"].incoming) == 1  # read at t0: no forward
            first.cancel()
            await h.settle()
            await forward(h, "102", "always", "103")  # as the CLI would
            await h.advance(1.9)
            second = h["101"].invite("102")
            await h.settle()
            assert (len(h["102"].incoming), len(h["103"].incoming)) == (2, 0)
            second.cancel()
            await h.settle()
            await h.advance(0.1)  # t0 + 2 s
            third = h["101"].invite("102")
            await h.settle()
            assert (len(h["102"].incoming), len(h["103"].incoming)) == (2, 1)
            third.cancel()
            await h.settle()
            h["102"].invite("*73")  # 102 clears it from its phone: the next call rings 102
            await h.settle()
            h["101"].invite("102")
            await h.settle()
            assert (len(h["102"].incoming), len(h["103"].incoming)) == (3, 1)
    finally:
        await database.dispose()


async def test_a_forward_to_a_ring_group_rings_its_members(sqlite_url: str) -> None:
    """DEST may be one of the tenant's ring groups: 102 forwarded always to 600 rings 101 and
    103 at once, the first answer wins."""
    database = Database(sqlite_url)
    try:
        async with world(sqlite_url, extra=(RingGroups(database, lambda: 0.0),)) as h:
            async with h.database.transaction() as session:
                scope = TenantScope(session, h.tenant_id, TENANT)
                await ring_groups.create_ring_group(scope, number="600", strategy="simultaneous",
                                                    members=["101", "103"])  # fmt: skip
            await forward(h, "102", "always", "600")
            await h.register("101", "102", "103")
            caller = h.carrier_a.invite(NUMBER_102, domain=CENTREX[0], from_user="+41797770000")
            await h.settle()
            assert h["102"].incoming == []
            assert len(h["101"].incoming) == 1
            assert len(h["103"].incoming) == 1
            h["103"].incoming[0].answer()
            await h.settle()
            assert caller.status == 200
            assert h["101"].incoming[0].cancelled
            caller.bye()
            await h.settle()
    finally:
        await database.dispose()
