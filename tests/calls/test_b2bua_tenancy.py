"""Tenant boundaries in the call layer (a security property, DESIGN.md §4 habit 7): the licence
limit of simultaneous calls (503, emergency calls exempt), and no way to reach, ring, or
authenticate into another tenant — even where both tenants use the same extension numbers."""

from __future__ import annotations

from centrex.data.models import Disposition
from tests.calls.harness import CARRIER_A, OTHER, Harness, make_harness


async def test_the_licence_limit_refuses_with_503_and_frees_at_hang_up(sqlite_url: str) -> None:
    async with make_harness(sqlite_url, max_calls=1) as h:
        await h.register("101", "102", "103")
        first, _incoming = await h.call("101", "102")
        refused = h["103"].invite("101")
        await h.settle()
        assert refused.status == 503
        assert refused.final.reason == "Service Unavailable (licence limit)"
        warning = refused.final.headers.get("Warning")
        assert warning is not None
        assert "licence limit of 1 simultaneous calls reached" in warning
        assert len(h["101"].incoming) == 0  # 101 was never rung
        assert await h.cdr_count() == 1  # a refused call opens no CDR
        assert h.limits.refused[h.tenant_id] == 1

        first.bye()
        await h.settle()
        again = h["103"].invite("101")
        await h.settle()
        assert again.statuses == [100]  # the slot is free again: 101 rings
        assert len(h["101"].incoming) == 1


async def test_a_ringing_call_holds_its_licence_until_cancelled(sqlite_url: str) -> None:
    async with make_harness(sqlite_url, max_calls=1) as h:
        await h.register("101", "102", "103")
        ringing = h["101"].invite("102")
        await h.settle()
        blocked = h["103"].invite("102")
        await h.settle()
        assert blocked.status == 503
        ringing.cancel()
        await h.settle()
        assert ringing.status == 487
        retry = h["103"].invite("102")
        await h.settle()
        assert retry.statuses == [100]


async def test_emergency_calls_pass_a_full_licence(sqlite_url: str) -> None:
    async with make_harness(sqlite_url, max_calls=1) as h:
        await h.register("101", "102", "103")
        await h.call("101", "102")
        emergency = h["103"].invite("112")
        await h.settle()
        assert emergency.statuses == [100]
        invite = h.carrier_a.incoming[0].request
        assert str(invite.uri) == f"sip:112@{CARRIER_A[0]}:{CARRIER_A[1]}"
        h.carrier_a.incoming[0].answer()
        await h.settle()
        assert emergency.status == 200
        assert h.live_calls() == 2


async def test_another_tenants_licence_is_not_ours(sqlite_url: str) -> None:
    async with make_harness(sqlite_url, max_calls=1) as h:
        await h.register("101", "102", "beta-102", "beta-201")
        await h.call("101", "102")
        theirs = h["beta-201"].invite("102")
        await h.settle()
        assert theirs.statuses == [100]  # beta's limit is its own (4)
        assert len(h["beta-102"].incoming) == 1


async def test_an_extension_of_another_tenant_does_not_exist_for_us(h: Harness) -> None:
    await h.register("101", "beta-102", "beta-201")
    call = h["101"].invite("201")  # beta's extension number
    await h.settle()
    assert call.status == 404
    assert h["beta-201"].incoming == []
    assert h["beta-102"].incoming == []


async def test_the_same_number_in_two_tenants_rings_only_our_phone(h: Harness) -> None:
    await h.register("101", "102", "beta-102", "beta-201")
    ours = h["101"].invite("102")
    theirs = h["beta-201"].invite("102")
    await h.settle()
    assert len(h["102"].incoming) == 1
    assert len(h["beta-102"].incoming) == 1
    acme_invite = h["102"].incoming[0].request
    beta_invite = h["beta-102"].incoming[0].request
    assert acme_invite.from_ is not None
    assert str(acme_invite.from_.uri) == "sip:101@acme.test"
    assert beta_invite.from_ is not None
    assert str(beta_invite.from_.uri) == f"sip:201@{OTHER}"
    # each CDR is its tenant's
    assert (await h.cdr(ours.call_id)).tenant_id == h.tenant_id
    assert (await h.cdr(theirs.call_id)).tenant_id == h.other_tenant_id
    assert len(h.b2bua.live_calls(h.tenant_id)) == 1
    assert len(h.b2bua.live_calls(h.other_tenant_id)) == 1


async def test_our_credentials_do_not_open_another_tenants_domain(h: Harness) -> None:
    """101 of acme calls into beta's domain: beta challenges, acme's password is not beta's."""
    await h.register("101", "beta-102")
    call = h["101"].invite("102", domain=OTHER)
    await h.settle()
    challenge = call.attempts[0].final
    assert challenge is not None
    assert challenge.status == 407
    assert all(f'realm="{OTHER}"' in v for v in challenge.headers.get_all("Proxy-Authenticate"))
    assert call.status == 403
    assert h["beta-102"].incoming == []
    assert await h.cdr_count() == 0


async def test_an_administrator_cannot_hang_up_another_tenants_call(h: Harness) -> None:
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    assert not await h.b2bua.hangup(call.call_id, h.other_tenant_id)
    await h.settle()
    assert h.live_calls() == 1
    assert incoming.methods() == ["ACK"]
    assert await h.b2bua.hangup(call.call_id, h.tenant_id)
    await h.settle()
    assert call.methods() == ["BYE"]
    assert incoming.methods() == ["ACK", "BYE"]
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.ANSWERED
    assert cdr.hangup_cause == "hangup-by-admin"
