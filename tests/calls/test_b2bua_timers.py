"""The B2BUA's call timers to the exact deadline on the ManualClock, driven through
`B2BUA.next_deadline()` / `B2BUA.handle_timers(now)` (issue 11: the timers used to run on
`loop.call_later`, which no test clock can drive):

- ring timeout: the forks are CANCELled at `ring_timeout`, the caller gets 480 (or voicemail);
- trunk set-up timeout: a carrier silent for `trunk_setup_timeout` is CANCELled and the next
  trunk of the route is tried at that instant;
- RFC 3261 §13.3.1.4: the 2xx to the caller is retransmitted at T1, doubling to T2 (0.5, 1.5,
  3.5, 7.5, 11.5, ... 31.5 s after it was first sent) until the ACK; with no ACK by
  64*T1 = 32 s the call is ended with a BYE to both sides and its CDR closed as failed. (The
  1 240-line B2BUA retransmitted for ever: `interval > 64*T1` never held with the interval
  capped at T2.)

The harness's `advance()` stops at every deadline of every node and of the B2BUA, so each
assertion below names the instant something happened, not only that it did.
"""

from __future__ import annotations

from datetime import timedelta

from centrex.data.models import Disposition, HangupSide
from tests.calls.harness import (
    CARRIER_A,
    CARRIER_B,
    OUTSIDE,
    SETTINGS,
    FakeApps,
    Harness,
    make_harness,
)
from tests.calls.network import Delivered

RING = SETTINGS.ring_timeout  # 20 s in the harness
SETUP = SETTINGS.trunk_setup_timeout  # 5 s in the harness
T1 = 0.5
RETRANSMISSIONS = [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]


def _times(deliveries: list[Delivered], since: float) -> list[float]:
    return [d.at - since for d in deliveries]


async def test_the_call_timers_are_on_the_clock(h: Harness) -> None:
    next_deadline, _ = h.timer_interface()
    assert next_deadline() is None  # no call, no timer
    await h.register("101", "102")
    h["101"].invite("102")
    await h.settle()
    assert next_deadline() == h.clock.monotonic() + RING


async def test_ring_timeout_cancels_the_callee_and_answers_480(h: Harness) -> None:
    h.timer_interface()
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    t0 = h.clock.monotonic()
    incoming = h["102"].incoming[0]
    incoming.ring()
    await h.settle()

    await h.advance(RING - 0.5)
    assert call.statuses == [100, 180]  # still ringing half a second before the deadline
    assert h.network.sent_to(h["102"].address, "CANCEL") == []
    await h.advance(0.5)
    cancels = h.network.sent_to(h["102"].address, "CANCEL")
    assert _times(cancels, t0) == [RING]
    assert incoming.cancelled
    assert call.statuses == [100, 180, 480]
    final = next(d for d in h.network.sent_to(h["101"].address) if d.label == "480 INVITE")
    assert final.at == t0 + RING
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.NO_ANSWER
    assert cdr.ended_at == cdr.started_at + timedelta(seconds=RING)
    assert h.live_calls() == 0
    assert h.b2bua.next_deadline() is None


async def test_ring_timeout_cancels_every_fork(h: Harness) -> None:
    h.timer_interface()
    await h.register("101", "102", "102b")
    call = h["101"].invite("102")
    await h.settle()
    t0 = h.clock.monotonic()
    await h.advance(RING)
    for name in ("102", "102b"):
        assert _times(h.network.sent_to(h[name].address, "CANCEL"), t0) == [RING]
    assert call.status == 480


async def test_ring_timeout_goes_to_voicemail_when_there_is_one(sqlite_url: str) -> None:
    apps = FakeApps(("voicemail",), stay=True)
    async with make_harness(sqlite_url, apps=apps) as h:
        h.timer_interface()
        await h.register("101", "102")
        call = h["101"].invite("102")
        await h.settle()
        h["102"].incoming[0].ring()
        await h.settle()
        await h.advance(RING - 0.5)
        assert apps.runs == []
        await h.advance(0.5)
        assert [(r.app, r.context.extension, r.context.reason) for r in apps.runs] == [
            ("voicemail", "102", "no-answer")
        ]
        assert h["102"].incoming[0].cancelled
        assert call.statuses == [100, 180, 200]


async def test_an_answer_before_the_ring_timeout_disarms_it(h: Harness) -> None:
    h.timer_interface()
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    await h.advance(RING - 1)
    h["102"].incoming[0].answer()
    await h.settle()
    await h.advance(2 * RING)
    assert call.status == 200
    assert h.network.sent_to(h["102"].address, "CANCEL") == []
    assert h.live_calls() == 1


async def test_trunk_setup_timeout_fails_over_to_the_next_trunk(h: Harness) -> None:
    h.timer_interface()
    h.carrier_a.endpoint.auto_trying = False  # a carrier that does not answer at all
    await h.register("101")
    call = h["101"].invite(OUTSIDE)
    await h.settle()
    t0 = h.clock.monotonic()
    assert h.b2bua.next_deadline() == t0 + SETUP
    assert h.network.next_deadline() == t0 + T1  # Timer A of Centrex's INVITE comes first
    await h.advance(SETUP - 0.5)
    assert h.carrier_b.incoming == []
    await h.advance(0.5)
    # Timer A retransmitted the INVITE to the silent carrier; we gave up on it at SETUP, but
    # with no provisional from it a CANCEL MUST NOT be sent (RFC 3261 §9.1)
    invites = h.network.sent_to(CARRIER_A, "INVITE")
    assert _times(invites, t0) == [0.0, 0.5, 1.5, 3.5]
    assert h.network.sent_to(CARRIER_A, "CANCEL") == []
    assert _times(h.network.sent_to(CARRIER_B, "INVITE"), t0) == [SETUP]
    assert call.statuses == [100]  # the caller saw none of it
    h.carrier_b.incoming[0].answer()
    await h.settle()
    assert call.status == 200
    await h.advance(64 * T1)
    # the INVITE transaction runs to Timer B (64*T1) on its own, then it is over: no CANCEL
    assert _times(h.network.sent_to(CARRIER_A, "INVITE"), t0) == [0.0, 0.5, 1.5, 3.5, 7.5,
                                                                  15.5, 31.5]  # fmt: skip
    assert h.network.sent_to(CARRIER_A, "CANCEL") == []
    cdr = await h.cdr(call.call_id)
    assert cdr.trunk_id == h.trunk_ids["carrier-b"]
    legs = await h.legs(cdr.id)
    assert [(leg.peer, leg.hangup_cause) for leg in legs] == [
        ("carrier-a", "sip-408"),
        ("carrier-b", None),
    ]


async def test_a_trunk_that_rings_in_time_is_kept(h: Harness) -> None:
    h.timer_interface()
    await h.register("101")
    call = h["101"].invite(OUTSIDE)
    await h.settle()
    await h.advance(1)
    h.carrier_a.incoming[0].ring()
    await h.settle()
    await h.advance(SETUP * 2)
    assert h.carrier_b.incoming == []
    assert h.network.sent_to(CARRIER_A, "CANCEL") == []
    assert call.statuses == [100, 180]


async def test_every_trunk_silent_ends_with_408_after_both_set_up_timeouts(h: Harness) -> None:
    h.timer_interface()
    h.carrier_a.endpoint.auto_trying = False
    h.carrier_b.endpoint.auto_trying = False
    await h.register("101")
    call = h["101"].invite(OUTSIDE)
    await h.settle()
    t0 = h.clock.monotonic()
    await h.advance(2 * SETUP)
    assert h.network.sent_to(CARRIER_B, "CANCEL") == []  # nothing heard from it: §9.1
    assert call.status == 408
    final = next(d for d in h.network.sent_to(h["101"].address) if d.label == "408 INVITE")
    assert final.at == t0 + 2 * SETUP
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.NO_ANSWER
    assert h.live_calls() == 0


async def test_missing_ack_retransmits_the_2xx_then_byes_both_sides_at_64_t1(h: Harness) -> None:
    """RFC 3261 §13.3.1.4 with the caller's ACK lost for good."""
    h.timer_interface()
    await h.register("101", "102")
    h["101"].auto_ack = False
    call = h["101"].invite("102")
    await h.settle()
    incoming = h["102"].incoming[0]
    incoming.answer()
    await h.settle()
    oks = [d for d in h.network.sent_to(h["101"].address) if d.label == "200 INVITE"]
    assert len(oks) == 1
    t0 = oks[0].at

    await h.advance(31.9)
    oks = [d for d in h.network.sent_to(h["101"].address) if d.label == "200 INVITE"]
    assert _times(oks, t0) == [0.0, *RETRANSMISSIONS]
    assert h.network.sent_to(h["101"].address, "BYE") == []
    assert h.live_calls() == 1

    await h.advance(0.1)  # 64*T1 = 32 s after the first 2xx
    assert _times(h.network.sent_to(h["101"].address, "BYE"), t0) == [64 * T1]
    assert _times(h.network.sent_to(h["102"].address, "BYE"), t0) == [64 * T1]
    assert call.methods() == ["BYE"]
    assert incoming.methods() == ["ACK", "BYE"]
    assert h.live_calls() == 0
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.FAILED
    assert cdr.hangup_side is HangupSide.SYSTEM
    assert cdr.ended_at == cdr.answered_at + timedelta(seconds=64 * T1)  # type: ignore[operator]

    await h.advance(64 * T1)  # never again after 32 s
    oks = [d for d in h.network.sent_to(h["101"].address) if d.label == "200 INVITE"]
    assert len(oks) == 1 + len(RETRANSMISSIONS)
    assert len(h.network.sent_to(h["101"].address, "BYE")) == 1
    assert h.b2bua.next_deadline() is None


async def test_a_late_ack_stops_the_2xx_retransmissions(h: Harness) -> None:
    h.timer_interface()
    await h.register("101", "102")
    h["101"].auto_ack = False
    call = h["101"].invite("102")
    await h.settle()
    incoming = h["102"].incoming[0]
    incoming.answer()
    await h.settle()
    t0 = h.clock.monotonic()
    await h.advance(2)  # two retransmissions (0.5 s, 1.5 s), then the ACK gets through
    call.ack()
    await h.settle()
    await h.advance(64 * T1 * 2)
    oks = [d for d in h.network.sent_to(h["101"].address) if d.label == "200 INVITE"]
    assert _times(oks, t0) == [0.0, 0.5, 1.5]
    assert h.network.sent_to(h["101"].address, "BYE") == []
    assert incoming.methods() == ["ACK"]
    assert h.live_calls() == 1
    assert (await h.cdr(call.call_id)).ended_at is None


async def test_a_bye_before_the_ack_stops_the_retransmissions_too(h: Harness) -> None:
    """§13.3.1.4 / RFC 3261 §15: a BYE may arrive before the ACK; the call ends normally."""
    h.timer_interface()
    await h.register("101", "102")
    h["101"].auto_ack = False
    call = h["101"].invite("102")
    await h.settle()
    h["102"].incoming[0].answer()
    await h.settle()
    t0 = h.clock.monotonic()
    await h.advance(1)
    bye = call.bye()
    await h.settle()
    assert bye.status == 200
    await h.advance(64 * T1)
    oks = [d for d in h.network.sent_to(h["101"].address) if d.label == "200 INVITE"]
    assert _times(oks, t0) == [0.0, 0.5]
    cdr = await h.cdr(call.call_id)
    assert (cdr.disposition, cdr.hangup_side) == (Disposition.ANSWERED, HangupSide.CALLER)
