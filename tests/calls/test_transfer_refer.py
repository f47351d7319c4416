"""Transfer from the phone through the B2BUA (calls/features/transfer_refer.py, transfer_join.py):
blind REFER to an extension (answered, busy, no answer, unknown), to an outside number through
the trunks, attended REFER with Replaces, INVITE with Replaces (same tenant joins, another
tenant's dialog is 481), and the refusals (outside a dialog, malformed or foreign Refer-To,
before the answer) — with the NOTIFY sipfrag progress (RFC 3515 §2.4.5), its
Subscription-State (RFC 6665) and the CDR legs of every hop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest

from centrex.calls.features.transfer_refer import ReferTransfer
from centrex.data.models import Direction, Disposition
from centrex.sip.refer import parse_sipfrag
from tests.calls.harness import OUTSIDE, OUTSIDE_E164, Harness, make_harness
from tests.calls.uas import (
    CallLeg,
    ClientRequest,
    IncomingCall,
    OutgoingCall,
    Phone,
    ReceivedRequest,
)


@pytest.fixture
async def h(sqlite_url: str) -> AsyncIterator[Harness]:
    async with make_harness(sqlite_url, features=(ReferTransfer(),)) as harness:
        for phone in harness.phones.values():
            answer_notifies(phone)
        yield harness


def answer_notifies(phone: Phone) -> None:
    """The phone answers every in-dialog NOTIFY 200 (as a transferor does, RFC 3515 §2.4.4)."""
    on_request = phone._on_request

    def handler(received: ReceivedRequest) -> None:
        on_request(received)
        leg = phone._legs.get(received.request.call_id or "")
        if received.method == "NOTIFY" and received.answered is None and leg is not None:
            leg.answer_request(received, 200)

    phone._on_request = handler  # type: ignore[method-assign]


def refer(
    leg: CallLeg, refer_to: str, *, extra: list[tuple[str, str]] | None = None
) -> ClientRequest:
    """Send REFER in `leg`'s dialog with this Refer-To (None: none at all)."""
    assert leg.dialog is not None
    headers = [("Refer-To", refer_to), ("Referred-By", f"<sip:{leg.phone.user}@acme.test>")]
    request = leg.dialog.create_request(
        "REFER", leg.phone.via(), contact=leg.phone.contact(), headers=[*headers, *(extra or [])]
    )
    sent = leg.phone.send(request)
    leg.sent.append(sent)
    return sent


def notifies(leg: CallLeg) -> list[tuple[int, str, str]]:
    """(sipfrag status, Event, Subscription-State) of every NOTIFY in the leg's dialog."""
    out = []
    for received in leg.received("NOTIFY"):
        request = received.request
        assert request.headers.get("Content-Type") == "message/sipfrag;version=2.0"
        status, _ = parse_sipfrag(request.body)
        out.append(
            (
                status,
                request.headers.get("Event") or "",
                request.headers.get("Subscription-State") or "",
            )
        )
    return out


TRYING = (100, "refer;id=1", "active;expires=60")
DONE = "terminated;reason=noresource"


async def blind(
    h: Harness, target: str = "103"
) -> tuple[OutgoingCall, IncomingCall, ClientRequest]:
    """102 calls 101, 101 answers, 101 refers 102 to `target`."""
    await h.register("101", "102", "103")
    caller, transferor = await h.call("102", "101")
    sent = refer(transferor, f"<sip:{target}@acme.test>")
    await h.settle()
    return caller, transferor, sent


async def test_blind_transfer_to_an_extension_bridges_the_transferee_on_answer(h: Harness) -> None:
    caller, transferor, sent = await blind(h)
    assert sent.status == 202
    assert notifies(transferor) == [TRYING]
    target = h["103"].incoming[0]
    assert target.request.from_ is not None
    assert target.request.from_.uri.user == "102"
    call = h.b2bua.calls[caller.call_id]
    assert call.a.media is not None
    assert call.a.media.leg_id not in h.engine.bridges
    target.ring()
    await h.settle()
    assert caller.statuses[-1] == 200
    assert caller.methods() == []
    target.answer()
    await h.settle()
    assert notifies(transferor) == [TRYING, (200, "refer;id=1", DONE)]
    assert transferor.methods()[-1] == "BYE"  # the transferor is released after the NOTIFY
    assert caller.methods() == []  # the transferee stays, bridged to 103 now
    assert target.methods() == ["ACK"]
    bridge = h.engine.bridges[call.a.media.leg_id]
    assert call.b is not None
    assert call.b.media is not None
    assert bridge.other(call.a.media) is call.b.media
    cdr = await h.cdr(caller.call_id)
    assert (cdr.callee, cdr.ended_at) == ("103", None)
    legs = await h.legs(cdr.id)
    assert [(leg.peer, leg.hangup_cause, leg.transferred_by) for leg in legs] == [
        ("101", "transferred", None),
        ("103", None, "101"),
    ]
    assert legs[1].answered_at is not None
    caller.bye()
    await h.settle()
    assert target.methods() == ["ACK", "BYE"]
    legs = await h.legs(cdr.id)
    assert legs[1].disposition is Disposition.ANSWERED
    assert legs[1].ended_at is not None
    assert h.live_calls() == 0
    assert h.engine.legs == {}
    assert not h.errors.records


async def test_a_busy_target_returns_the_call_to_the_transferor(h: Harness) -> None:
    caller, transferor, _ = await blind(h)
    h["103"].incoming[0].reject(486)
    await h.settle()
    assert notifies(transferor) == [TRYING, (486, "refer;id=1", DONE)]
    assert transferor.methods() == ["ACK", "NOTIFY", "NOTIFY"]  # no BYE: the call is back
    call = h.b2bua.calls[caller.call_id]
    assert call.b is not None
    assert call.b.peer == "101"
    assert call.a.media is not None
    assert call.b.media is not None
    assert h.engine.bridges[call.a.media.leg_id].other(call.a.media) is call.b.media
    transferor.bye()
    await h.settle()
    assert caller.methods() == ["BYE"]
    assert h.live_calls() == 0
    assert h.engine.legs == {}
    assert not h.errors.records


async def test_an_unanswered_target_returns_the_call_after_the_ring_timeout(h: Harness) -> None:
    caller, transferor, _ = await blind(h)
    h["103"].incoming[0].ring()
    await h.advance(20.0)
    assert h["103"].incoming[0].cancelled
    assert notifies(transferor)[-1] == (480, "refer;id=1", DONE)
    call = h.b2bua.calls[caller.call_id]
    assert call.b is not None
    assert call.b.peer == "101"
    assert h.live_calls() == 1


async def test_an_unknown_extension_is_a_404_sipfrag_and_the_call_is_unharmed(h: Harness) -> None:
    caller, transferor, sent = await blind(h, "109")
    assert sent.status == 202
    assert notifies(transferor) == [TRYING, (404, "refer;id=1", DONE)]
    frag = transferor.received("NOTIFY")[-1].request.body
    assert b"extension 109 does not exist" in frag
    call = h.b2bua.calls[caller.call_id]
    assert call.b is not None
    assert call.b.peer == "101"
    assert h["103"].incoming == []
    assert call.a.media is not None
    assert call.a.media.leg_id in h.engine.bridges


async def test_another_tenants_extension_is_not_a_target(h: Harness) -> None:
    await h.register("beta-201")
    _caller, transferor, _sent = await blind(h, "201")
    assert notifies(transferor)[-1][0] == 404
    assert h["beta-201"].incoming == []
    transferor2 = refer(transferor, "<sip:201@beta.test>")
    await h.settle()
    assert transferor2.status == 403
    warning = transferor2.final.headers.get("Warning") if transferor2.final else None
    assert warning is not None
    assert "beta.test" in warning
    assert h["beta-201"].incoming == []


async def test_blind_transfer_to_an_outside_number_leaves_by_the_tenants_trunk(h: Harness) -> None:
    caller, transferor, sent = await blind(h, OUTSIDE)
    assert sent.status == 202
    invite = h.carrier_a.incoming[0]
    assert invite.request.uri.user == OUTSIDE_E164
    invite.answer()
    await h.settle()
    assert notifies(transferor)[-1] == (200, "refer;id=1", DONE)
    cdr = await h.cdr(caller.call_id)
    assert (cdr.callee, cdr.direction, cdr.trunk_id) == (
        OUTSIDE_E164,
        Direction.OUTBOUND,
        h.trunk_ids["carrier-a"],
    )
    assert cdr.tenant_id == h.tenant_id  # billed to the transferring tenant
    legs = await h.legs(cdr.id)
    assert legs[-1].trunk_id == h.trunk_ids["carrier-a"]
    assert legs[-1].transferred_by == "101"


async def test_the_transferor_hanging_up_after_202_does_not_end_the_transfer(h: Harness) -> None:
    caller, transferor, _ = await blind(h)
    bye = transferor.bye()
    await h.settle()
    assert bye.status == 200
    assert caller.methods() == []
    h["103"].incoming[0].answer()
    await h.settle()
    call = h.b2bua.calls[caller.call_id]
    assert call.b is not None
    assert call.b.peer == "103"
    caller.bye()
    await h.settle()
    assert h.live_calls() == 0
    assert h.engine.legs == {}


async def test_a_failed_transfer_after_the_transferor_left_hangs_up(h: Harness) -> None:
    caller, transferor, _ = await blind(h)
    transferor.bye()
    await h.settle()
    h["103"].incoming[0].reject(486)
    await h.settle()
    assert caller.methods() == ["BYE"]
    assert h.live_calls() == 0
    assert h.engine.legs == {}


async def test_the_transferee_hanging_up_while_the_target_rings(h: Harness) -> None:
    caller, transferor, _ = await blind(h)
    h["103"].incoming[0].ring()
    caller.bye()
    await h.settle()
    assert h["103"].incoming[0].cancelled
    assert notifies(transferor)[-1] == (487, "refer;id=1", DONE)
    assert transferor.methods()[-1] == "BYE"
    assert h.live_calls() == 0
    assert h.engine.legs == {}


# ---- refusals ----------------------------------------------------------------------------------
async def test_refer_outside_a_dialog_is_481(h: Harness) -> None:
    await h.register("101")
    sent = h["101"].stray("REFER")
    await h.settle()
    assert sent.status == 481


@pytest.mark.parametrize(
    ("refer_to", "status", "warning"),
    [
        ("<sip:103@acme.test", 400, "bad Refer-To"),
        ("<mailto:boss@acme.test>", 400, "bad Refer-To"),
        ("<sip:103@evil.example>", 403, "evil.example"),
    ],
)
async def test_a_malformed_or_foreign_refer_to_is_refused_and_the_call_unharmed(
    h: Harness, refer_to: str, status: int, warning: str
) -> None:
    caller, transferor, sent = await blind(h, "103")
    assert sent.status == 202  # the first transfer runs; a second REFER meanwhile:
    again = refer(transferor, refer_to)
    await h.settle()
    assert again.status in (491, status)
    h["103"].incoming[0].reject(486)
    await h.settle()
    bad = refer(transferor, refer_to)
    await h.settle()
    assert bad.status == status
    final = bad.final
    assert final is not None
    assert warning in (final.headers.get("Warning") or "")
    call = h.b2bua.calls[caller.call_id]
    assert call.b is not None
    assert call.b.peer == "101"
    assert call.a.media is not None
    assert call.a.media.leg_id in h.engine.bridges


async def test_a_refer_without_refer_to_is_400(h: Harness) -> None:
    await h.register("101", "102")
    _, transferor = await h.call("102", "101")
    assert transferor.dialog is not None
    request = transferor.dialog.create_request("REFER", h["101"].via())
    sent = h["101"].send(request)
    await h.settle()
    assert sent.status == 400


async def test_refer_before_the_answer_is_refused(h: Harness) -> None:
    await h.register("101", "102")
    caller = h["102"].invite("101")
    await h.settle(until=lambda: bool(h["101"].incoming))
    await h.settle()
    incoming = h["101"].incoming[0]
    incoming.ring()
    await h.settle()
    assert incoming.dialog is not None
    request = incoming.dialog.create_request(
        "REFER", h["101"].via(), headers=[("Refer-To", "<sip:103@acme.test>")]
    )
    sent = h["101"].send(request)
    await h.settle()
    assert sent.status == 403
    assert caller.status is None  # still ringing, unharmed


async def test_a_notify_in_a_call_dialog_is_481(h: Harness) -> None:
    await h.register("101", "102")
    _, transferor = await h.call("102", "101")
    assert transferor.dialog is not None
    request = transferor.dialog.create_request(
        "NOTIFY", h["101"].via(), headers=[("Event", "refer"), ("Subscription-State", "active")]
    )
    sent = h["101"].send(request)
    await h.settle()
    assert sent.status == 481


# ---- attended ----------------------------------------------------------------------------------
async def test_attended_transfer_with_replaces_joins_the_far_parties(h: Harness) -> None:
    await h.register("101", "102", "103")
    b_leg, a_with_b = await h.call("102", "101")  # B=102 calls A=101
    a_with_c, c_leg = await h.call("101", "103")  # A consults C=103
    assert a_with_c.dialog is not None
    consult = a_with_c.dialog
    value = f"{consult.call_id};to-tag={consult.remote_tag};from-tag={consult.local_tag}"
    replaces = quote(value, safe="")  # RFC 3891 §3: escaped inside the Refer-To URI
    sent = refer(a_with_b, f"<sip:103@acme.test?Replaces={replaces}>")
    await h.settle()
    assert sent.status == 202
    assert notifies(a_with_b) == [TRYING, (200, "refer;id=1", DONE)]
    assert a_with_b.methods()[-1] == "BYE"
    assert a_with_c.methods() == ["BYE"]
    assert b_leg.methods() == []
    assert c_leg.methods() == ["ACK"]
    call = h.b2bua.calls[b_leg.call_id]
    assert call.b is not None
    assert call.b.peer == "103"
    assert call.a.media is not None
    assert call.b.media is not None
    assert h.engine.bridges[call.a.media.leg_id].other(call.a.media) is call.b.media
    assert h.live_calls() == 1
    consult_cdr = await h.cdr(a_with_c.call_id)
    assert consult_cdr.hangup_cause == "transferred"
    assert consult_cdr.ended_at is not None
    legs = await h.legs((await h.cdr(b_leg.call_id)).id)
    assert [(leg.peer, leg.transferred_by) for leg in legs] == [("101", None), ("103", "101")]
    c_leg.bye()
    await h.settle()
    assert b_leg.methods() == ["BYE"]
    assert h.live_calls() == 0
    assert h.engine.legs == {}
    assert not h.errors.records


async def test_attended_transfer_naming_an_unknown_dialog_is_481_and_harmless(h: Harness) -> None:
    await h.register("101", "102")
    b_leg, a_with_b = await h.call("102", "101")
    sent = refer(a_with_b, "<sip:103@acme.test?Replaces=nope%3Bto-tag%3D1%3Bfrom-tag%3D2>")
    await h.settle()
    assert sent.status == 202
    assert notifies(a_with_b)[-1] == (481, "refer;id=1", DONE)
    assert b_leg.methods() == []
    assert h.live_calls() == 1


# ---- INVITE with Replaces ----------------------------------------------------------------------
def replaces_of(leg: CallLeg) -> str:
    """The Replaces header naming Centrex's dialog with `leg`'s phone, seen from Centrex."""
    assert leg.dialog is not None
    d = leg.dialog
    return f"{d.call_id};to-tag={d.remote_tag};from-tag={d.local_tag}"


async def test_invite_with_replaces_takes_the_named_dialogs_place(h: Harness) -> None:
    await h.register("101", "102", "103")
    caller, callee = await h.call("102", "101")
    joined = h["103"].invite("101", headers=[("Replaces", replaces_of(callee))])
    await h.settle()
    assert joined.status == 200
    assert callee.methods() == ["ACK", "BYE"]  # 101 is replaced by 103
    assert caller.methods() == []
    call = h.b2bua.calls[caller.call_id]
    assert call.b is not None
    assert call.b.peer == "103"
    assert call.a.media is not None
    assert call.b.media is not None
    assert h.engine.bridges[call.a.media.leg_id].other(call.a.media) is call.b.media
    assert h["101"].incoming == [callee]  # nothing rang
    legs = await h.legs((await h.cdr(caller.call_id)).id)
    assert [(leg.peer, leg.transferred_by) for leg in legs] == [("101", None), ("103", "101")]
    joined.bye()
    await h.settle()
    assert caller.methods() == ["BYE"]
    assert h.live_calls() == 0
    assert h.engine.legs == {}


async def test_invite_with_replaces_of_the_caller_side(h: Harness) -> None:
    await h.register("101", "102", "103")
    caller, callee = await h.call("102", "101")
    joined = h["103"].invite("102", headers=[("Replaces", replaces_of(caller))])
    await h.settle()
    assert joined.status == 200
    assert caller.methods() == ["BYE"]
    assert callee.methods() == ["ACK"]
    call = h.b2bua.calls[caller.call_id]
    assert call.a.peer == "103"
    joined.bye()
    await h.settle()
    assert callee.methods() == ["ACK", "BYE"]
    assert h.live_calls() == 0
    assert h.engine.legs == {}


async def test_invite_with_replaces_of_another_tenants_dialog_is_481(h: Harness) -> None:
    await h.register("101", "102", "beta-201")
    caller, callee = await h.call("102", "101")
    intruder = h["beta-201"].invite("101", headers=[("Replaces", replaces_of(callee))])
    await h.settle()
    assert intruder.status == 481
    assert callee.methods() == ["ACK"]
    assert caller.methods() == []
    assert h.live_calls() == 1


async def test_invite_with_a_broken_replaces_is_400(h: Harness) -> None:
    await h.register("101", "102")
    joined = h["102"].invite("101", headers=[("Replaces", "abc;to-tag=1")])
    await h.settle()
    assert joined.status == 400
    assert h["101"].incoming == []
