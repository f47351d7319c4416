"""How long an answered call may last, on the ManualClock: the platform's maximum duration
(`CallSettings.max_duration`: prepaid credit, a tenant's cap) and RFC 4028 session timers (a
caller's `Session-Expires`, refreshed by re-INVITE or UPDATE; without a refresh the session is
dead and both sides get a BYE, §10)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from centrex.data.models import Disposition, HangupSide
from tests.calls.harness import SETTINGS, Harness, make_harness

SE = 90.0  # the caller's session interval
EARLIEST_BYE = SE - min(32.0, SE / 3)  # RFC 4028 §10: BYE "slightly before" expiry


def _bye_times(h: Harness, name: str, since: float) -> list[float]:
    return [d.at - since for d in h.network.sent_to(h[name].address, "BYE")]


async def test_max_duration_ends_an_answered_call_at_the_deadline(sqlite_url: str) -> None:
    async with make_harness(sqlite_url, settings=replace(SETTINGS, max_duration=60.0)) as h:
        h.timer_interface()
        await h.register("101", "102")
        call, _incoming = await h.call("101", "102")
        t0 = h.clock.monotonic()
        await h.advance(59.5)
        assert _bye_times(h, "101", t0) == []
        await h.advance(0.5)
        assert _bye_times(h, "101", t0) == [60.0]
        assert _bye_times(h, "102", t0) == [60.0]
        assert call.received("BYE")[0].answered == 200
        cdr = await h.cdr(call.call_id)
        assert cdr.disposition is Disposition.ANSWERED
        assert cdr.hangup_cause == "max-duration"
        assert cdr.hangup_side is HangupSide.SYSTEM
        assert cdr.billsec == 60
        assert h.live_calls() == 0


async def test_max_duration_counts_from_the_answer_not_the_invite(sqlite_url: str) -> None:
    async with make_harness(sqlite_url, settings=replace(SETTINGS, max_duration=60.0)) as h:
        h.timer_interface()
        await h.register("101", "102")
        call = h["101"].invite("102")
        await h.settle()
        await h.advance(15)  # rings for 15 s (less than the ring timeout)
        h["102"].incoming[0].answer()
        await h.settle()
        t_answer = h.clock.monotonic()
        await h.advance(59)
        assert h.live_calls() == 1
        await h.advance(1)
        assert _bye_times(h, "101", t_answer) == [60.0]
        cdr = await h.cdr(call.call_id)
        assert cdr.ended_at == cdr.started_at + timedelta(seconds=75)


async def test_without_max_duration_a_call_lasts(h: Harness) -> None:
    h.timer_interface()
    await h.register("101", "102")
    await h.call("101", "102")
    await h.advance(3600)
    assert h.live_calls() == 1
    assert h.network.sent_to(h["101"].address, "BYE") == []
    assert h.b2bua.next_deadline() is None


async def test_an_unrefreshed_session_is_ended_by_its_expiry(h: Harness) -> None:
    h.timer_interface()
    await h.register("101", "102")
    h["101"].invite("102", headers=[("Session-Expires", f"{int(SE)};refresher=uac")])
    await h.settle()
    h["102"].incoming[0].answer()
    await h.settle()
    call = h["101"].outgoing[0]
    assert call.status == 200
    t0 = h.clock.monotonic()
    await h.advance(EARLIEST_BYE - 0.5)
    assert _bye_times(h, "101", t0) == []
    await h.advance(SE - EARLIEST_BYE + 0.5)
    byes = _bye_times(h, "101", t0)
    assert len(byes) == 1
    assert EARLIEST_BYE <= byes[0] <= SE
    assert _bye_times(h, "102", t0) == byes
    cdr = await h.cdr(call.call_id)
    assert cdr.hangup_cause == "session-expired"
    assert cdr.hangup_side is HangupSide.SYSTEM


async def test_a_reinvite_refreshes_the_session(h: Harness) -> None:
    h.timer_interface()
    await h.register("101", "102")
    call = h["101"].invite("102", headers=[("Session-Expires", f"{int(SE)};refresher=uac")])
    await h.settle()
    h["102"].incoming[0].answer()
    await h.settle()
    await h.advance(SE / 2)
    refresh = call.reinvite(b"", headers=[("Session-Expires", f"{int(SE)};refresher=uac")])
    await h.settle()
    assert refresh.status == 200
    t_refresh = h.clock.monotonic()
    await h.advance(SE - 1)  # past the first expiry: the refresh moved it
    assert h.live_calls() == 1
    await h.advance(1)
    byes = _bye_times(h, "101", t_refresh)
    assert len(byes) == 1
    assert EARLIEST_BYE <= byes[0] <= SE


async def test_an_update_refreshes_the_session(h: Harness) -> None:
    h.timer_interface()
    await h.register("101", "102")
    call = h["101"].invite("102", headers=[("Session-Expires", f"{int(SE)};refresher=uac")])
    await h.settle()
    h["102"].incoming[0].answer()
    await h.settle()
    t0 = h.clock.monotonic()
    for _ in range(3):  # three refreshes, each just in time
        await h.advance(SE / 2)
        refresh = call.update(headers=[("Session-Expires", f"{int(SE)}")])
        await h.settle()
        assert refresh.status == 200
    assert h.live_calls() == 1
    assert _bye_times(h, "101", t0) == []


async def test_the_enforced_session_interval_is_told_to_the_caller(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite(
        "102",
        headers=[("Session-Expires", f"{int(SE)}"), ("Supported", "timer")],
    )
    await h.settle()
    h["102"].incoming[0].answer()
    await h.settle()
    ok = call.final
    value = ok.headers.get("Session-Expires")
    assert value is not None
    assert value.split(";")[0].strip() == str(int(SE))
    assert "refresher=" in value
    if "refresher=uac" in value:
        assert "timer" in [v.strip() for v in ok.headers.get_list("Require")]


async def test_an_interval_nobody_will_refresh_is_not_enforced(h: Harness) -> None:
    """RFC 4028 §9: a caller without `Supported: timer` that did not ask to refresh leaves the
    refreshing to the UAS; Centrex never refreshes, so it neither echoes nor enforces it."""
    h.timer_interface()
    await h.register("101", "102")
    call = h["101"].invite("102", headers=[("Session-Expires", f"{int(SE)}")])
    await h.settle()
    h["102"].incoming[0].answer()
    await h.settle()
    assert call.status == 200
    assert call.final.headers.get("Session-Expires") is None
    assert call.final.headers.get_list("Require") == []
    await h.advance(SE * 3)
    assert h.live_calls() == 1
    assert h.network.sent_to(h["101"].address, "BYE") == []
