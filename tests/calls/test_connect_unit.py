"""RFC 4028 session timers as the B2BUA reads them from the caller's INVITE (calls/connect.py),
pure: which Session-Expires values are understood, when Centrex enforces an interval (only
when the caller will refresh: it supports `timer` or asked to be the refresher, §9), and what
the 2xx tells it. The timers themselves (BYE at the exact deadline on the ManualClock, refresh
by re-INVITE or UPDATE) are flow tests in test_b2bua_session_limits.py."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from centrex.calls.connect import (
    MIN_SE,
    parse_session_expires,
    session_interval,
    session_timer_headers,
    too_brief,
)
from centrex.calls.leg import TimerKind
from centrex.sip.builders import build_invite, generate_tag, make_via
from centrex.sip.headers import NameAddr
from centrex.sip.message import Request, parse_message
from centrex.sip.uri import parse_uri
from tests.calls.harness import Harness


def _invite(*headers: tuple[str, str]) -> Request:
    request = build_invite(
        parse_uri("sip:102@acme.test"),
        from_=NameAddr(parse_uri("sip:101@acme.test"), None, (("tag", generate_tag()),)),
        to=NameAddr(parse_uri("sip:102@acme.test")),
        call_id="st@host",
        cseq=1,
        via=make_via("127.0.0.1", 5071, "UDP", "z9hG4bK-st"),
        contact=NameAddr(parse_uri("sip:101@127.0.0.1:5071")),
        sdp=b"",
        headers=list(headers),
    )
    parsed = parse_message(request.serialize())  # as it arrives: compact forms stay compact
    assert isinstance(parsed, Request)
    return parsed


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1800", 1800.0),
        ("90;refresher=uac", 90.0),
        (" 600 ; refresher=uas", 600.0),
        ("4294967295", 4294967295.0),
        ("²", None),  # str.isdigit() says yes; DIGIT is ASCII only (RFC 5234 B.1)
        ("３００", None),  # fullwidth digits
        ("٣٠٠;refresher=uac", None),
        (None, None),
        ("", None),
        ("0", None),  # no interval at all
        ("-90", None),
        ("90.5", None),  # delta-seconds are whole
        ("abc;refresher=uac", None),
        (";refresher=uac", None),
    ],
)
def test_session_expires_values(value: str | None, seconds: float | None) -> None:
    assert parse_session_expires(value) == seconds


@given(st.text(max_size=30))
@example("²")
@example("1²")
def test_any_session_expires_text_is_a_positive_whole_interval_or_none(text: str) -> None:
    seconds = parse_session_expires(text)
    assert seconds is None or (seconds > 0 and seconds == int(seconds))


@pytest.mark.parametrize(
    ("headers", "enforced", "answer"),
    [
        # the caller supports timers: enforced, it is told it refreshes, and Require: timer
        ([("Session-Expires", "1800"), ("Supported", "timer")], 1800.0,
         [("Session-Expires", "1800;refresher=uac"), ("Require", "timer")]),
        ([("Session-Expires", "120"), ("Supported", "replaces, 100rel, TIMER")], 120.0,
         [("Session-Expires", "120;refresher=uac"), ("Require", "timer")]),
        ([("x", "300"), ("k", "timer")], 300.0,  # compact forms (RFC 4028 §4, §7.3.3)
         [("Session-Expires", "300;refresher=uac"), ("Require", "timer")]),
        # it asked to refresh without Supported: enforced, but nothing is Required of it
        ([("Session-Expires", "600;refresher=uac")], 600.0,
         [("Session-Expires", "600;refresher=uac")]),
        ([("Session-Expires", "600; Refresher=UAC")], 600.0,
         [("Session-Expires", "600;refresher=uac")]),
        # nobody would refresh (we never do, §9): not enforced, nothing said
        ([("Session-Expires", "600")], None, []),
        ([("Session-Expires", "600;refresher=uas")], None, []),
        ([("Supported", "timer")], None, []),  # no interval asked
        ([("Session-Expires", "soon"), ("Supported", "timer")], None, []),
        ([("Session-Expires", "600"), ("Supported", "timers")], None, []),  # not the option
    ],
)  # fmt: skip
def test_what_is_enforced_and_told_to_the_caller(
    headers: list[tuple[str, str]], enforced: float | None, answer: list[tuple[str, str]]
) -> None:
    invite = _invite(*headers)
    assert session_interval(invite) == enforced
    assert session_timer_headers(invite) == answer


async def test_a_session_expires_of_non_ascii_digits_is_ignored_and_the_call_connects(
    h: Harness,
) -> None:
    """delta-seconds are ASCII digits (RFC 4028 §4, RFC 5234 DIGIT): "²" or "３００" is
    malformed, so no interval is enforced; it must not break the answer."""
    await h.register("101", "102")
    call = h["101"].invite("102", headers=[("Session-Expires", "²"), ("Supported", "timer")])
    await h.settle()
    incoming = h["102"].incoming[0]
    incoming.answer()
    await h.settle()
    assert call.status == 200
    assert call.final.headers.get("Session-Expires") is None
    assert h.b2bua.calls[call.call_id].timers.deadline(TimerKind.SESSION_EXPIRES) is None


async def test_an_interval_below_min_se_is_422_for_a_caller_that_supports_timers(
    h: Harness,
) -> None:
    """RFC 4028 §8.1: 422 Session Interval Too Small with our Min-SE; no phone rings."""
    await h.register("101", "102")
    call = h["101"].invite("102", headers=[("Session-Expires", "30"), ("Supported", "timer")])
    await h.settle()
    assert call.status == 422
    assert call.final.headers.get("Min-SE") == str(MIN_SE)
    assert h["102"].incoming == []
    assert h.live_calls() == 0


async def test_a_caller_that_cannot_be_told_422_gets_min_se_enforced(h: Harness) -> None:
    """`refresher=uac` without `Supported: timer`: the call is set up and its session
    interval is our minimum, not the 30 s asked (a call cut after 30 s would be worse)."""
    await h.register("101", "102")
    call = h["101"].invite("102", headers=[("Session-Expires", "30;refresher=uac")])
    await h.settle()
    h["102"].incoming[0].answer()
    await h.settle()
    assert call.status == 200
    assert call.final.headers.get("Session-Expires") == f"{MIN_SE};refresher=uac"
    live = h.b2bua.calls[call.call_id]
    assert live.timers.deadline(TimerKind.SESSION_EXPIRES) == pytest.approx(
        h.clock.monotonic() + MIN_SE
    )


def test_too_brief_needs_timer_support_and_a_short_interval() -> None:
    assert too_brief(_invite(("Session-Expires", "89"), ("Supported", "timer")))
    assert not too_brief(_invite(("Session-Expires", f"{MIN_SE}"), ("Supported", "timer")))
    assert not too_brief(_invite(("Session-Expires", "30;refresher=uac")))
    assert not too_brief(_invite(("Session-Expires", "soon"), ("Supported", "timer")))
