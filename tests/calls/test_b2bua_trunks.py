"""Calls over carrier trunks: outbound with the tenant's caller ID, failover to the next trunk
of the route on 408/480/5xx (`router.should_fail_over`) and not on a final "no" from the
callee, and inbound calls recognised by the carrier's source address and routed by DID."""

from __future__ import annotations

from centrex.data.models import Direction, Disposition, HangupSide
from centrex.sip.sdp import parse_sdp
from tests.calls.harness import CARRIER_A, CARRIER_B, CENTREX, DID, OUTSIDE, OUTSIDE_E164, Harness


async def test_outbound_call_leaves_by_the_first_trunk_with_our_caller_id(h: Harness) -> None:
    await h.register("101")
    call = h["101"].invite(OUTSIDE)
    await h.settle()
    assert len(h.carrier_a.incoming) == 1
    assert h.carrier_b.incoming == []
    invite = h.carrier_a.incoming[0].request
    assert str(invite.uri) == f"sip:{OUTSIDE_E164}@{CARRIER_A[0]}:{CARRIER_A[1]}"
    assert invite.to is not None
    assert invite.to.uri.user == OUTSIDE_E164
    assert invite.from_ is not None
    assert invite.from_.uri.user == DID  # the tenant's main number, never the extension
    assert invite.headers.get("P-Asserted-Identity") == f"<sip:{DID}@acme.test>"
    offer = h.carrier_a.incoming[0].offer()
    assert offer.connection is not None
    assert offer.connection.address == "127.0.0.1"

    h.carrier_a.incoming[0].ring()
    await h.settle()
    h.carrier_a.incoming[0].answer()
    await h.settle()
    assert call.statuses == [100, 180, 200]
    cdr = await h.cdr(call.call_id)
    assert (cdr.direction, cdr.caller, cdr.callee) == (Direction.OUTBOUND, "101", OUTSIDE_E164)
    assert cdr.trunk_id == h.trunk_ids["carrier-a"]
    legs = await h.legs(cdr.id)
    assert [(leg.peer, leg.trunk_id) for leg in legs] == [("carrier-a", h.trunk_ids["carrier-a"])]

    # the carrier hangs up
    bye = h.carrier_a.incoming[0].bye()
    await h.settle()
    assert bye.statuses == [200]
    assert call.methods() == ["BYE"]
    cdr = await h.cdr(call.call_id)
    assert (cdr.disposition, cdr.hangup_side) == (Disposition.ANSWERED, HangupSide.CALLEE)
    assert cdr.trunk_id == h.trunk_ids["carrier-a"]


async def test_failover_to_the_second_trunk_on_503(h: Harness) -> None:
    await h.register("101")
    call = h["101"].invite(OUTSIDE)
    await h.settle()
    h.carrier_a.incoming[0].reject(503)
    await h.settle()
    # carrier-a's 503 was ACKed by the transaction, and carrier-b got the call
    assert len(h.network.sent_to(CARRIER_A, "ACK")) == 1
    assert len(h.carrier_b.incoming) == 1
    second = h.carrier_b.incoming[0]
    assert str(second.request.uri) == f"sip:{OUTSIDE_E164}@{CARRIER_B[0]}:{CARRIER_B[1]}"
    assert second.request.call_id != h.carrier_a.incoming[0].request.call_id
    assert call.statuses == [100]  # the caller never saw the 503
    second.answer()
    await h.settle()
    assert call.statuses == [100, 200]
    cdr = await h.cdr(call.call_id)
    assert cdr.trunk_id == h.trunk_ids["carrier-b"]
    legs = await h.legs(cdr.id)
    assert [(leg.peer, leg.hangup_cause) for leg in legs] == [
        ("carrier-a", "sip-503"),
        ("carrier-b", None),
    ]
    assert legs[0].disposition is Disposition.FAILED
    call.bye()
    await h.settle()
    assert second.methods() == ["ACK", "BYE"]
    assert h.carrier_a.incoming[0].methods() == []
    assert (await h.cdr(call.call_id)).trunk_id == h.trunk_ids["carrier-b"]


async def test_failover_on_every_fail_over_status(h: Harness) -> None:
    """408, 480, 500 and 504 fail over as 503 does; the last trunk's answer goes to the caller."""
    await h.register("101")
    for status in (408, 480, 500, 504):
        call = h["101"].invite(OUTSIDE)
        await h.settle()
        h.carrier_a.incoming[-1].reject(status)
        await h.settle()
        assert h.carrier_b.incoming[-1].request.uri.host == CARRIER_B[0], status
        h.carrier_b.incoming[-1].reject(502)
        await h.settle()
        assert call.status == 502, status
    assert len(h.carrier_a.incoming) == len(h.carrier_b.incoming) == 4
    assert h.live_calls() == 0


async def test_no_failover_when_the_callee_is_busy(h: Harness) -> None:
    await h.register("101")
    call = h["101"].invite(OUTSIDE)
    await h.settle()
    h.carrier_a.incoming[0].reject(486)
    await h.settle()
    assert call.status == 486
    assert h.carrier_b.incoming == []  # the number is busy whatever the carrier
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.BUSY


async def test_every_trunk_unavailable_is_503_for_the_caller(h: Harness) -> None:
    await h.register("101")
    call = h["101"].invite(OUTSIDE)
    await h.settle()
    h.carrier_a.incoming[0].reject(503)
    await h.settle()
    h.carrier_b.incoming[0].reject(503)
    await h.settle()
    assert call.status == 503
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.FAILED
    assert [leg.hangup_cause for leg in await h.legs(cdr.id)] == ["sip-503", "sip-503"]
    assert h.engine.legs == {}


async def test_early_media_from_a_carrier_reaches_the_caller(h: Harness) -> None:
    await h.register("101")
    call = h["101"].invite(OUTSIDE)
    await h.settle()
    h.carrier_a.incoming[0].progress()  # the carrier's ringback tone or announcement
    await h.settle()
    assert call.statuses == [100, 183]
    early = parse_sdp(call.invite.responses[-1].body)
    assert early.media[0].port != h.carrier_a.rtp_port
    h.carrier_a.incoming[0].reject(404)  # "the number you dialled does not exist"
    await h.settle()
    assert call.statuses == [100, 183, 404]
    assert h.carrier_b.incoming == []


async def test_inbound_call_on_a_did_rings_its_extension_without_a_challenge(h: Harness) -> None:
    await h.register("101")
    call = h.carrier_a.invite(DID, domain=CENTREX[0], from_user="+41797770000")
    await h.settle()
    assert len(call.attempts) == 1  # a carrier is recognised by its address, not challenged
    assert call.statuses == [100]
    incoming = h["101"].incoming[0]
    assert incoming.request.from_ is not None
    assert incoming.request.from_.uri.user == "+41797770000"
    assert incoming.request.uri.port == h["101"].address[1]
    incoming.ring()
    await h.settle()
    incoming.answer()
    await h.settle()
    assert call.statuses == [100, 180, 200]
    cdr = await h.cdr(call.call_id)
    assert (cdr.direction, cdr.caller, cdr.callee) == (Direction.INBOUND, "+41797770000", "101")
    assert cdr.extension == "101"
    call.bye()
    await h.settle()
    assert incoming.methods() == ["ACK", "BYE"]
    cdr = await h.cdr(call.call_id)
    assert (cdr.disposition, cdr.hangup_side) == (Disposition.ANSWERED, HangupSide.CALLER)


async def test_inbound_call_to_a_number_not_in_service_is_404(h: Harness) -> None:
    call = h.carrier_a.invite("+41215550199", domain=CENTREX[0], from_user="+41797770000")
    await h.settle()
    assert call.status == 404
    assert await h.cdr_count() == 0
    assert all(phone.incoming == [] for phone in h.phones.values() if phone is not h.carrier_a)


async def test_a_phone_is_never_taken_for_a_carrier(h: Harness) -> None:
    """Calls from 127.0.0.1 (the phones) are challenged: only the trunks' IPs are carriers."""
    await h.register("101")
    call = h["101"].invite(DID)  # one of our own numbers: stays inside, to 101's extension
    await h.settle()
    assert call.attempts[0].status == 407
    assert len(h["101"].incoming) == 1  # the DID's extension (101 itself) rings
