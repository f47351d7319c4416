"""Queue statistics on a synthetic day (pure): counts, service level, waits, per agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from centrex.provisioning.queue_stats import CallRow, EventRow, queue_stats

DAY = datetime(2026, 12, 3, tzinfo=UTC)


def _at(hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute)


CALLS = [
    CallRow(_at(8, 5), "answered", 5.0, "102", 120.0),  # in service level (20 s)
    CallRow(_at(8, 30), "answered", 20.0, "103", 60.0),  # exactly at the limit: in
    CallRow(_at(9, 0), "answered", 45.0, "102", 300.0),  # late
    CallRow(_at(10, 0), "abandoned", 30.0),
    CallRow(_at(11, 0), "overflowed", 300.0),
    CallRow(_at(12, 0), "waiting", 12.0),  # still waiting: no wait, no SL yet
    CallRow(DAY - timedelta(minutes=1), "answered", 1.0, "102", 10.0),  # yesterday
]
EVENTS = [
    EventRow("102", "ring", _at(8, 5), 4.0),
    EventRow("103", "ring", _at(8, 5), 4.0),  # ring-all: both rang, 102 answered
    EventRow("102", "talk", _at(8, 5), 120.0),
    EventRow("102", "wrap-up", _at(8, 7), 10.0),
    EventRow("103", "ring", _at(8, 30), 6.0),
    EventRow("103", "talk", _at(8, 30), 60.0),
    EventRow("103", "wrap-up", _at(8, 31), 10.0),
    EventRow("102", "ring", _at(9, 0), 3.0),
    EventRow("102", "talk", _at(9, 0), 300.0),
    EventRow("102", "wrap-up", _at(9, 5), 10.0),
    EventRow("102", "pause", _at(12, 0), 1800.0, "lunch"),
    EventRow("103", "pause", _at(10, 0), 300.0, "break"),
    EventRow("103", "pause", _at(15, 0), 600.0, "break"),
    EventRow("102", "pause", DAY - timedelta(hours=2), 999.0, "break"),  # yesterday
]


def _day() -> dict[str, object]:
    return queue_stats(CALLS, EVENTS, service_level_seconds=20, since=DAY,
                       until=DAY + timedelta(days=1), agents=["102", "103", "104"])  # fmt: skip


def test_counts_and_service_level() -> None:
    stats = _day()
    assert stats["offered"] == 6
    assert stats["answered"] == 3
    assert stats["abandoned"] == 1
    assert stats["overflowed"] == 1
    assert stats["waiting"] == 1
    # 2 answered within 20 s of 5 finished callers
    assert stats["answered_within_service_level_pct"] == 40.0


def test_waits_and_talk() -> None:
    stats = _day()
    assert stats["avg_wait_seconds"] == round((5 + 20 + 45 + 30 + 300) / 5, 3)
    assert stats["max_wait_seconds"] == 300.0
    assert stats["avg_talk_seconds"] == 160.0


def test_per_agent() -> None:
    agents = {a["extension"]: a for a in _day()["agents"]}  # type: ignore[attr-defined]
    assert agents["102"] == {"extension": "102", "calls": 2, "talk_seconds": 420.0,
                             "wrap_up_seconds": 20.0, "ring_seconds": 7.0,
                             "pause_seconds": {"lunch": 1800.0}}  # fmt: skip
    assert agents["103"]["calls"] == 1
    assert agents["103"]["ring_seconds"] == 10.0
    assert agents["103"]["pause_seconds"] == {"break": 900.0}
    assert agents["104"] == {"extension": "104", "calls": 0, "talk_seconds": 0.0,
                             "wrap_up_seconds": 0.0, "ring_seconds": 0.0,
                             "pause_seconds": {}}  # fmt: skip


def test_an_empty_window_missed_nothing() -> None:
    stats = queue_stats(CALLS, EVENTS, service_level_seconds=20, since=_at(20), until=_at(21))
    assert stats["offered"] == 0
    assert stats["answered_within_service_level_pct"] == 100.0
    assert stats["avg_wait_seconds"] == 0.0
    assert stats["agents"] == []


def test_no_window_counts_everything() -> None:
    assert queue_stats(CALLS, [], service_level_seconds=20)["offered"] == 7
