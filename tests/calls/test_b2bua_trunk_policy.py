"""What decides which trunk carries a call: digest credentials a carrier asks for (RFC 3261
§22.3, answered once), a trunk's own call limit and its enabled flag, and the tenant's status
(a suspended tenant reaches only emergency numbers)."""

from __future__ import annotations

from sqlalchemy import update

from centrex.data.models import Disposition, Tenant, TenantStatus, Trunk
from centrex.data.secrets_box import SecretBox
from centrex.provisioning import tenants
from centrex.sip.digest import AuthResult, DigestServer, compute_ha1, find_credentials
from centrex.sip.message import Request
from tests.calls.harness import CARRIER_A, CARRIER_B, OUTSIDE, Harness

REALM = "carrier.example"
TRUNK_USER = "acme-trunk"
TRUNK_PASSWORD = "trunk-secret-9"


async def _set_trunk(h: Harness, name: str, **values: object) -> None:
    """Change a trunk row before the first call (the trunk directory loads it then)."""
    async with h.database.transaction() as session:
        await session.execute(update(Trunk).where(Trunk.name == name).values(**values))


async def test_a_carrier_challenge_is_answered_with_the_trunk_credentials(h: Harness) -> None:
    await _set_trunk(
        h,
        "carrier-a",
        username=TRUNK_USER,
        password_encrypted=SecretBox("k").encrypt(TRUNK_PASSWORD),
    )
    carrier_digest = DigestServer(b"c" * 32, algorithms=("MD5",))
    await h.register("101")
    call = h["101"].invite(OUTSIDE)
    await h.settle()
    first = h.carrier_a.incoming[0]
    assert first.request.headers.get("Proxy-Authorization") is None
    now = h.clock.utcnow().timestamp()
    first.reject(407, headers=carrier_digest.challenge_headers(REALM, now, proxy=True))
    await h.settle()
    assert len(h.carrier_a.incoming) == 2
    retry = h.carrier_a.incoming[1].request
    credentials = find_credentials(retry, REALM, proxy=True)
    assert credentials is not None
    assert credentials.username == TRUNK_USER
    ha1 = compute_ha1(TRUNK_USER, REALM, TRUNK_PASSWORD, "MD5")
    assert carrier_digest.verify(credentials, "INVITE", ha1, now, realm=REALM) is AuthResult.OK
    # the same dialog attempt: same Call-ID and From tag, next CSeq (§22.2, §8.1.3.5)
    assert retry.call_id == first.request.call_id
    assert retry.from_ is not None
    assert first.request.from_ is not None
    assert retry.from_.tag == first.request.from_.tag
    assert retry.cseq is not None
    assert retry.cseq.number == 2
    assert call.statuses == [100]  # the caller never hears of the carrier's challenge
    h.carrier_a.incoming[1].answer()
    await h.settle()
    assert call.status == 200
    assert h.carrier_b.incoming == []


async def test_a_second_challenge_is_not_answered_again(h: Harness) -> None:
    """Wrong trunk credentials must not loop: one retry, then the call fails."""
    await _set_trunk(
        h, "carrier-a", username=TRUNK_USER, password_encrypted=SecretBox("k").encrypt("wrong-pw")
    )
    carrier_digest = DigestServer(b"c" * 32, algorithms=("MD5",))
    await h.register("101")
    call = h["101"].invite(OUTSIDE)
    await h.settle()
    for attempt in range(2):
        now = h.clock.utcnow().timestamp()
        h.carrier_a.incoming[attempt].reject(
            407, headers=carrier_digest.challenge_headers(REALM, now, proxy=True)
        )
        await h.settle()
    assert len(h.carrier_a.incoming) == 2  # one retry, no loop
    assert call.status is not None
    assert call.status >= 400
    assert h.live_calls() == 0


async def test_a_carrier_challenge_without_trunk_credentials_fails_the_call(h: Harness) -> None:
    await h.register("101")
    call = h["101"].invite(OUTSIDE)
    await h.settle()
    now = h.clock.utcnow().timestamp()
    carrier_digest = DigestServer(b"c" * 32, algorithms=("MD5",))
    h.carrier_a.incoming[0].reject(
        407, headers=carrier_digest.challenge_headers(REALM, now, proxy=True)
    )
    await h.settle()
    assert len(h.carrier_a.incoming) == 1
    assert call.status is not None
    assert call.status >= 400
    assert (await h.cdr(call.call_id)).disposition is Disposition.FAILED


async def test_a_full_trunk_is_skipped_for_the_next_one(h: Harness) -> None:
    await _set_trunk(h, "carrier-a", max_calls=1)
    await h.register("101", "103")
    first = h["101"].invite(OUTSIDE)
    await h.settle()
    h.carrier_a.incoming[0].answer()
    await h.settle()
    assert first.status == 200
    second = h["103"].invite(OUTSIDE)
    await h.settle()
    assert len(h.carrier_a.incoming) == 1  # carrier-a carries its one call already
    assert len(h.carrier_b.incoming) == 1
    h.carrier_b.incoming[0].answer()
    await h.settle()
    assert second.status == 200
    assert (await h.cdr(second.call_id)).trunk_id == h.trunk_ids["carrier-b"]
    # when the first call ends, carrier-a takes calls again
    first.bye()
    await h.settle()
    third = h["101"].invite(OUTSIDE)
    await h.settle()
    assert len(h.carrier_a.incoming) == 2
    assert third.statuses == [100]


async def test_a_disabled_trunk_is_never_used(h: Harness) -> None:
    await _set_trunk(h, "carrier-a", enabled=False)
    await h.register("101")
    call = h["101"].invite(OUTSIDE)
    await h.settle()
    assert h.carrier_a.incoming == []
    assert len(h.carrier_b.incoming) == 1
    assert h.network.sent_to(CARRIER_A) == []
    h.carrier_b.incoming[0].answer()
    await h.settle()
    assert call.status == 200
    sent = h.network.sent_to(CARRIER_B, "INVITE")[0].message
    assert isinstance(sent, Request)
    assert sent.uri.host == CARRIER_B[0]


async def test_a_disabled_trunk_is_no_carrier_for_inbound_calls_either(h: Harness) -> None:
    """A disabled trunk's address is no longer trusted: its INVITE is challenged like a phone's
    (and it cannot answer: it has no extension credentials)."""
    await _set_trunk(h, "carrier-a", enabled=False)
    await h.register("101")
    call = h.carrier_a.invite("+41215550100", domain="127.0.0.1", from_user="+41797770000")
    await h.settle()
    assert call.attempts[0].status in (404, 407)
    assert h["101"].incoming == []


async def test_a_suspended_tenant_reaches_only_emergency_numbers(h: Harness) -> None:
    await h.register("101", "102")  # registered while active; suspended since
    async with h.database.transaction() as session:
        tenant = await session.get(Tenant, h.tenant_id)
        assert tenant is not None
        await tenants.set_status(session, tenant, TenantStatus.SUSPENDED, now=h.clock.utcnow())
    internal = h["101"].invite("102")
    outside = h["101"].invite(OUTSIDE)
    emergency = h["101"].invite("117")
    await h.settle()
    assert internal.status == 403
    assert outside.status == 403
    warning = internal.final.headers.get("Warning")
    assert warning is not None
    assert "only emergency calls" in warning
    assert h["102"].incoming == []
    assert emergency.statuses == [100]
    assert [c.request.uri.user for c in h.carrier_a.incoming] == ["117"]


async def test_a_suspended_tenants_did_is_not_served(h: Harness) -> None:
    await h.register("101")
    async with h.database.transaction() as session:
        tenant = await session.get(Tenant, h.tenant_id)
        assert tenant is not None
        await tenants.set_status(session, tenant, TenantStatus.SUSPENDED, now=h.clock.utcnow())
    call = h.carrier_a.invite("+41215550100", domain="127.0.0.1", from_user="+41797770000")
    await h.settle()
    assert call.status == 480
    assert h["101"].incoming == []


async def test_the_caller_never_gets_the_carriers_407(h: Harness) -> None:
    await h.register("101")
    call = h["101"].invite(OUTSIDE)
    await h.settle()
    now = h.clock.utcnow().timestamp()
    carrier_digest = DigestServer(b"c" * 32, algorithms=("MD5",))
    h.carrier_a.incoming[0].reject(
        407, headers=carrier_digest.challenge_headers(REALM, now, proxy=True)
    )
    await h.settle()
    assert call.status is not None
    assert call.status not in (401, 407)
