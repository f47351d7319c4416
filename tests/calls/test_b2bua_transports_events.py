"""The platform events a call publishes (what billing and the live dashboards follow), an
UPDATE offer relayed like a re-INVITE (RFC 3311), and a phone on a reliable transport (TCP):
Via, Contact and the route back keep its transport (RFC 3261 §18, §20.10)."""

from __future__ import annotations

from centrex.data.models import HangupSide
from centrex.events import CallEvent
from centrex.sip.sdp import parse_sdp
from tests.calls.harness import CENTREX, PASSWORD, TENANT, Harness
from tests.calls.uas import Phone


def _states(h: Harness, call_id: str) -> list[str]:
    return [e.state for e in h.events if isinstance(e, CallEvent) and e.call_id == call_id]


async def test_events_of_an_answered_call(h: Harness) -> None:
    await h.register("101", "102")
    call, _incoming = await h.call("101", "102")
    call.bye()
    await h.settle()
    assert _states(h, call.call_id) == ["started", "ringing", "answered", "ended"]
    event = next(e for e in h.events if isinstance(e, CallEvent))
    assert (event.tenant_id, event.caller, event.callee, event.direction) == (
        h.tenant_id,
        "101",
        "102",
        "internal",
    )


async def test_events_of_unanswered_calls(h: Harness) -> None:
    await h.register("101", "102")
    cancelled = h["101"].invite("102")
    await h.settle()
    h["102"].incoming[0].ring()
    await h.settle()
    cancelled.cancel()
    await h.settle()
    busy = h["101"].invite("102")
    await h.settle()
    h["102"].incoming[1].reject(486)
    await h.settle()
    assert _states(h, cancelled.call_id) == ["started", "ringing", "ended"]
    assert _states(h, busy.call_id) == ["started", "ended"]


async def test_a_refused_call_publishes_nothing(h: Harness) -> None:
    await h.register("101")
    call = h["101"].invite("109")
    await h.settle()
    assert call.status == 404
    assert _states(h, call.call_id) == []


async def test_an_update_with_an_offer_is_relayed(h: Harness) -> None:
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    update = call.update(h["101"].sdp("sendonly"))
    await h.settle(until=lambda: bool(incoming.received("UPDATE")))
    relayed = incoming.received("UPDATE")[0]
    offer = parse_sdp(relayed.request.body)
    assert offer.effective_direction(offer.media[0]) == "sendonly"
    incoming.answer_request(relayed, 200, h["102"].sdp("recvonly"))
    await h.settle()
    assert update.status == 200
    answer = parse_sdp(update.final.body)  # type: ignore[union-attr]
    assert answer.effective_direction(answer.media[0]) == "recvonly"
    # no ACK for an UPDATE (it is not an INVITE): 102 got exactly ACK, UPDATE
    assert incoming.methods() == ["ACK", "UPDATE"]


def _tcp_phone(h: Harness) -> Phone:
    phone = Phone(
        h.network, ("127.0.0.1", 5075), user="103", domain=TENANT, password=PASSWORD,
        centrex=CENTREX, name="103-tcp", transport="TCP",
    )  # fmt: skip
    h.phones["103-tcp"] = phone
    return phone


async def test_a_tcp_phone_is_called_over_tcp(h: Harness) -> None:
    tcp = _tcp_phone(h)
    await h.register("101", "103-tcp")
    [binding] = h.registrar.lookup(h.tenant_id, "103")
    assert binding.transport == "TCP"
    call = h["101"].invite("103")
    await h.settle()
    invite = tcp.incoming[0].request
    assert invite.top_via is not None
    assert invite.top_via.transport == "TCP"
    contact = invite.contact[0].uri
    assert contact is not None
    assert contact.param("transport") == "tcp"
    tcp.incoming[0].answer()
    await h.settle()
    assert call.status == 200
    assert tcp.incoming[0].methods() == ["ACK"]
    bye = tcp.incoming[0].bye()
    await h.settle()
    assert bye.status == 200
    assert call.methods() == ["BYE"]
    assert (await h.cdr(call.call_id)).hangup_side is HangupSide.CALLEE


async def test_a_tcp_caller_gets_its_answer_over_tcp(h: Harness) -> None:
    tcp = _tcp_phone(h)
    await h.register("102", "103-tcp")
    call = tcp.invite("102")
    await h.settle()
    assert call.attempts[0].status == 407
    h["102"].incoming[0].answer()
    await h.settle()
    assert call.status == 200
    contact = call.final.contact[0].uri
    assert contact is not None
    assert contact.param("transport") == "tcp"  # in-dialog requests come back over TCP
    call.bye()
    await h.settle()
    assert h["102"].incoming[0].methods() == ["ACK", "BYE"]
    assert h.live_calls() == 0
