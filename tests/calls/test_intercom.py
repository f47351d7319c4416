"""Intercom through the B2BUA (calls/features/intercom.py) on the in-memory network: `*80N`
rings N's phones with the auto-answer headers and bridges on their answer; N in DND, forwarded
always, not registered or silent for 20 s is refused with its status and a Warning (no
voicemail, no forward); unknown numbers, the caller's own number and another tenant's
extensions are refused; a plain call carries no auto-answer request."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from centrex.calls.features.call_waiting import CallWaiting
from centrex.calls.features.dnd import DoNotDisturb
from centrex.calls.features.forward import Forwarder, ForwardingFeature
from centrex.calls.features.intercom import RING_SECONDS, Intercom, auto_answer_headers
from centrex.data.db import Database
from centrex.data.models import Disposition
from centrex.data.tenancy import TenantScope
from centrex.provisioning import forwarding as fwd
from tests.calls.harness import OTHER, TENANT, FakeApps, Harness, make_harness
from tests.calls.uas import OutgoingCall


@contextlib.asynccontextmanager
async def world(url: str) -> AsyncIterator[Harness]:
    database = Database(url)
    forwarder = Forwarder(database)
    features = (DoNotDisturb(forwarder, database), ForwardingFeature(forwarder, database),
                CallWaiting(forwarder), Intercom())  # fmt: skip
    try:  # voicemail is available: intercom must still never use it
        async with make_harness(url, apps=FakeApps(), features=features) as h:
            yield h
    finally:
        await database.dispose()


@pytest.fixture
async def ih(sqlite_url: str) -> AsyncIterator[Harness]:
    async with world(sqlite_url) as harness:
        yield harness


def warning(call: OutgoingCall) -> str:
    return call.final.headers.get("Warning") or ""


async def settings(h: Harness, number: str, *, dnd: bool = False, always: str = "") -> None:
    async with h.database.transaction() as session:
        scope = TenantScope(session, h.tenant_id, TENANT)
        if dnd:
            await fwd.set_dnd(scope, number, True)
        if always:
            await fwd.set_forward(scope, number, fwd.ForwardKind.ALWAYS, always)


async def test_intercom_rings_with_auto_answer_and_bridges(ih: Harness) -> None:
    h = ih
    await h.register("101", "102")
    call = h["101"].invite("*80102")
    await h.settle()
    assert len(h["102"].incoming) == 1
    invite = h["102"].incoming[0].request
    domain = TENANT
    assert invite.headers.get("Call-Info") == f"<sip:{domain}>;answer-after=0"
    assert invite.headers.get("Alert-Info") == dict(auto_answer_headers(domain))["Alert-Info"]
    assert invite.to is not None
    assert invite.to.uri.user == "102"
    h["102"].incoming[0].answer()
    await h.settle()
    assert call.status == 200
    live = h.b2bua.calls[call.call_id]
    assert live.b is not None
    assert live.b.peer == "102"
    assert live.a.media is not None
    assert live.b.media is not None
    assert h.engine.bridges[live.a.media.leg_id].other(live.a.media) is live.b.media
    call.bye()
    await h.settle()
    assert h["102"].incoming[0].methods() == ["ACK", "BYE"]
    cdr = await h.cdr(call.call_id)
    assert (cdr.caller, cdr.disposition) == ("101", Disposition.ANSWERED)
    assert h.live_calls() == 0


async def test_a_plain_call_carries_no_auto_answer(ih: Harness) -> None:
    h = ih
    await h.register("101", "102")
    h["101"].invite("102")
    await h.settle()
    invite = h["102"].incoming[0].request
    assert invite.headers.get("Call-Info") is None
    assert invite.headers.get("Alert-Info") is None


async def test_dnd_is_486_without_voicemail(ih: Harness) -> None:
    h = ih
    await settings(h, "102", dnd=True)
    await h.register("101", "102")
    call = h["101"].invite("*80102")
    await h.settle()
    assert h["102"].incoming == []
    assert call.status == 486
    assert "intercom" in warning(call)
    assert h.apps.runs == []  # type: ignore[union-attr]


async def test_forward_always_is_480_and_the_target_never_rings(ih: Harness) -> None:
    h = ih
    await settings(h, "102", always="103")
    await h.register("101", "102", "103")
    call = h["101"].invite("*80102")
    await h.settle()
    assert h["102"].incoming == []
    assert h["103"].incoming == []
    assert call.status == 480
    assert h.apps.runs == []  # type: ignore[union-attr]


async def test_not_registered_is_480(ih: Harness) -> None:
    h = ih
    await h.register("101")
    call = h["101"].invite("*80103")
    await h.settle()
    assert call.status == 480
    assert "not registered" in warning(call)
    assert h.apps.runs == []  # type: ignore[union-attr]


async def test_a_phone_that_does_not_answer_is_given_up_at_exactly_20_seconds(ih: Harness) -> None:
    h = ih
    await h.register("101", "102")
    call = h["101"].invite("*80102")
    await h.settle()
    rung = h["102"].incoming[0]
    rung.ring()
    await h.settle()
    await h.advance(RING_SECONDS - 0.1)
    assert call.status is None
    assert call.statuses[-1] == 180
    await h.advance(0.1)
    assert rung.cancelled
    assert call.status == 480
    assert h.apps.runs == []  # type: ignore[union-attr]


async def test_a_busy_answer_is_passed_to_the_caller(ih: Harness) -> None:
    h = ih
    await h.register("101", "102")
    call = h["101"].invite("*80102")
    await h.settle()
    h["102"].incoming[0].reject(486)
    await h.settle()
    assert call.status == 486
    assert h.apps.runs == []  # type: ignore[union-attr]


@pytest.mark.parametrize(("dialled", "status"), [("*80999", 404), ("*80101", 486)])
async def test_unknown_and_own_numbers_are_refused(ih: Harness, dialled: str, status: int) -> None:
    h = ih
    await h.register("101")
    call = h["101"].invite(dialled)
    await h.settle()
    assert call.status == status
    assert h["101"].incoming == []


async def test_another_tenants_extension_is_never_rung(ih: Harness) -> None:
    """beta's 102 dials *80101: beta has no 101 (404) and acme's 101 never rings; acme's
    *80102 rings acme's 102, never beta's."""
    h = ih
    await h.register("101", "102", "beta-102")
    intruder = h["beta-102"].invite("*80101", domain=OTHER)
    await h.settle()
    assert intruder.status == 404
    assert h["101"].incoming == []
    call = h["101"].invite("*80102")
    await h.settle()
    assert h["beta-102"].incoming == []
    assert len(h["102"].incoming) == 1
    call.cancel()
    await h.settle()
