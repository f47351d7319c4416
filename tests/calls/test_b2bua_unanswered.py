"""Calls that are never answered by the callee: the caller's CANCEL (RFC 3261 §9), a busy or
declining callee (§16.7 step 6 as `signalling.caller_status` simplifies it), and voicemail
taking over when an `AppHost` offers it (busy, unregistered)."""

from __future__ import annotations

from centrex.data.models import Disposition, HangupSide
from centrex.sip.sdp import parse_sdp
from tests.calls.harness import TENANT, FakeApps, Harness, make_harness


async def test_caller_cancel_while_ringing(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    incoming = h["102"].incoming[0]
    incoming.ring()
    await h.settle()
    assert call.statuses == [100, 180]

    cancel = call.cancel()
    await h.settle()
    assert cancel.statuses == [200]  # the CANCEL itself (§9.2)
    assert call.statuses == [100, 180, 487]  # and the INVITE it ended
    # Centrex cancelled the callee's INVITE; the phone answered it 487 (auto) and got an ACK
    # from Centrex's transaction (§17.1.1.3)
    assert incoming.cancelled
    assert [r.status for r in incoming.responses] == [180, 487]
    cancels = h.network.sent_to(h["102"].address, "CANCEL")
    assert len(cancels) == 1
    assert cancels[0].message.call_id == incoming.request.call_id
    assert len(h.network.sent_to(h["102"].address, "ACK")) == 1

    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.CANCELLED
    assert cdr.hangup_side is HangupSide.CALLER
    assert cdr.hangup_cause == "cancelled"
    assert cdr.answered_at is None
    assert cdr.billsec == 0
    assert cdr.ended_at is not None
    legs = await h.legs(cdr.id)
    assert len(legs) == 1
    assert legs[0].ended_at is not None
    assert legs[0].answered_at is None
    assert h.live_calls() == 0
    assert h.engine.legs == {}


async def test_cancel_before_the_callee_rang(h: Harness) -> None:
    """CANCEL while only 100 Trying came back: the same outcome, the callee never rang."""
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    call.cancel()
    await h.settle()
    assert call.statuses == [100, 487]
    incoming = h["102"].incoming[0]
    assert incoming.cancelled
    assert [r.status for r in incoming.responses] == [487]
    assert (await h.cdr(call.call_id)).disposition is Disposition.CANCELLED


async def test_a_late_2xx_after_cancel_is_acked_and_ended(h: Harness) -> None:
    """The callee answered while our CANCEL was on its way (the race of §9.1): that dialog is
    confirmed with an ACK and closed with a BYE at once; the caller keeps its 487."""
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    incoming = h["102"].incoming[0]
    incoming.ring()
    await h.settle()
    h["102"].auto_487 = False
    call.cancel()
    await h.settle()
    assert call.statuses == [100, 180, 487]
    incoming.answer()  # too late: Centrex has given up on this side
    await h.settle()
    assert incoming.methods() == ["ACK", "BYE"]
    assert call.methods() == []  # nothing reaches the caller
    assert (await h.cdr(call.call_id)).disposition is Disposition.CANCELLED
    assert h.live_calls() == 0


async def test_busy_callee_gives_486_to_the_caller(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    incoming = h["102"].incoming[0]
    incoming.reject(486)
    await h.settle()
    assert call.statuses == [100, 486]
    assert call.final.to is not None
    assert call.final.to.tag is not None
    # the callee's 486 was ACKed by Centrex's client transaction (§17.1.1.3)
    acks = h.network.sent_to(h["102"].address, "ACK")
    assert [a.message.cseq.number for a in acks if a.message.cseq] == [1]
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.BUSY
    assert cdr.hangup_side is HangupSide.CALLEE
    assert cdr.hangup_cause == "sip-486"
    legs = await h.legs(cdr.id)
    assert [(leg.disposition, leg.hangup_cause) for leg in legs] == [(Disposition.BUSY, "sip-486")]
    assert h.engine.legs == {}


async def test_a_declining_callee_gives_603(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    h["102"].incoming[0].reject(603)
    await h.settle()
    assert call.status == 603
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.FAILED
    assert cdr.hangup_side is HangupSide.CALLEE


async def test_busy_goes_to_voicemail_when_an_app_host_has_it(sqlite_url: str) -> None:
    apps = FakeApps(("voicemail",))
    async with make_harness(sqlite_url, apps=apps) as h:
        await h.register("101", "102")
        call = h["101"].invite("102", display="Alice")
        await h.settle()
        h["102"].incoming[0].reject(486)
        await h.settle()
        assert len(apps.runs) == 1
        run = apps.runs[0]
        assert run.app == "voicemail"
        assert run.context.extension == "102"
        assert run.context.reason == "busy"
        assert run.context.caller == "101"
        assert run.context.caller_name == "Alice"
        assert run.context.tenant_id == h.tenant_id
        assert run.context.language == "en"
        # the app answered: the caller's 200 carries our SDP for the A leg the app talks on
        assert call.statuses == [100, 200]
        answer = parse_sdp(call.final.body)
        assert answer.media[0].port == run.channel.leg.rtp_port
        # and once the app returned, Centrex hung up on the caller
        assert call.methods() == ["BYE"]
        cdr = await h.cdr(call.call_id)
        assert cdr.disposition is Disposition.ANSWERED
        assert cdr.hangup_cause == "app-hangup"
        assert cdr.hangup_side is HangupSide.SYSTEM
        legs = await h.legs(cdr.id)
        assert [leg.disposition for leg in legs] == [Disposition.BUSY]
        assert h.live_calls() == 0


async def test_an_unregistered_callee_goes_to_voicemail(sqlite_url: str) -> None:
    apps = FakeApps(("voicemail",), stay=True)
    async with make_harness(sqlite_url, apps=apps) as h:
        await h.register("101")
        call = h["101"].invite("103")
        await h.settle()
        assert [(r.app, r.context.extension, r.context.reason) for r in apps.runs] == [
            ("voicemail", "103", "unavailable")
        ]
        assert call.statuses == [100, 200]
        assert h.live_calls() == 1
        # the caller leaves a message and hangs up: the call and its CDR end with the caller
        bye = call.bye()
        await h.settle()
        assert bye.statuses == [200]
        assert apps.runs[0].channel.closed
        cdr = await h.cdr(call.call_id)
        assert (cdr.disposition, cdr.hangup_side) == (Disposition.ANSWERED, HangupSide.CALLER)
        assert h.live_calls() == 0


async def test_without_voicemail_app_the_host_is_not_asked(sqlite_url: str) -> None:
    apps = FakeApps(("echo",))
    async with make_harness(sqlite_url, apps=apps) as h:
        await h.register("101", "102")
        call = h["101"].invite("102")
        await h.settle()
        h["102"].incoming[0].reject(486)
        await h.settle()
        assert call.status == 486
        assert apps.runs == []


async def test_a_feature_code_runs_its_app(sqlite_url: str) -> None:
    apps = FakeApps(("echo",))
    async with make_harness(sqlite_url, apps=apps) as h:
        await h.register("101")
        call = h["101"].invite("*43")
        await h.settle()
        assert [(r.app, r.context.extension) for r in apps.runs] == [("echo", "101")]
        assert call.statuses == [100, 200]
        assert call.methods() == ["BYE"]


async def test_a_feature_code_without_its_app_is_501(h: Harness) -> None:
    await h.register("101")
    call = h["101"].invite("*43")
    await h.settle()
    assert call.status == 501
    warning = call.final.headers.get("Warning")
    assert warning is not None
    assert "echo is not available" in warning
    assert await h.cdr_count() == 0
    assert TENANT in str(call.invite.request.uri)
