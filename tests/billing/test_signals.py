"""Fair-use detection signals (evidence only: flagging stays a human decision)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from centrex.billing.rating import Cdr
from centrex.billing.signals import Thresholds, fair_use_report

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_normal_user_raises_nothing() -> None:
    calls = [
        Cdr(f"c{i}", f"+3312345678{i % 5}", START + timedelta(minutes=15 * i), 180, user="bob")
        for i in range(20)
    ]
    (bob,) = fair_use_report(calls)
    assert bob.user == "bob"
    assert (bob.calls, bob.distinct_numbers, bob.max_concurrent_calls) == (20, 5, 1)
    assert not bob.suspicious


def test_telemarketing_pattern_is_reported() -> None:
    calls = [
        Cdr(f"t{i}", f"+336{10000000 + i}", START + timedelta(seconds=20 * i), 5, user="dialer")
        for i in range(200)
    ]
    calls.append(Cdr("normal", "+33123456789", START, 300, user="alice"))
    report = fair_use_report(calls)
    assert [s.user for s in report] == ["dialer", "alice"]
    dialer = report[0]
    assert dialer.distinct_numbers == 200
    assert dialer.peak_calls_per_hour == 180
    assert dialer.short_call_share == Decimal(1)
    assert len(dialer.reasons) == 3
    assert dialer.suspicious


def test_gateway_pattern_concurrent_calls_on_one_line() -> None:
    calls = [
        Cdr("a", "+33123456781", START, 600, user="line1"),
        Cdr("b", "+33123456782", START + timedelta(minutes=1), 600, user="line1"),
        Cdr("c", "+33123456783", START + timedelta(minutes=2), 60, user="line1"),
        # back-to-back (ends exactly when the next starts) does not overlap
        Cdr("d", "+33123456784", START + timedelta(hours=2), 60, user="line2"),
        Cdr("e", "+33123456785", START + timedelta(hours=2, minutes=1), 60, user="line2"),
    ]
    report = {s.user: s for s in fair_use_report(calls, Thresholds(concurrent_calls=2))}
    assert report["line1"].max_concurrent_calls == 3
    assert report["line1"].suspicious
    assert report["line2"].max_concurrent_calls == 1


def test_inbound_and_unanswered_calls() -> None:
    calls = [
        Cdr("in", "+33123456781", START, 60, outbound=False, user="u"),
        Cdr("na", "+33123456782", START, 0, answered=False, user="u"),
    ]
    (u,) = fair_use_report(calls)
    assert (u.calls, u.distinct_numbers, u.short_call_share) == (1, 1, Decimal(0))
