"""The media ticker driven by a manual clock: exact ticks, no drift, catch-up, timers."""

from __future__ import annotations

import asyncio

import pytest

from centrex.clock import ManualClock, SystemClock
from centrex.media.ticker import Ticker


def test_ticks_are_due_on_a_fixed_grid_without_drift() -> None:
    clock = ManualClock()
    ticker = Ticker(clock)
    seen: list[float] = []
    ticker.add(seen.append)
    origin = ticker.next_deadline
    assert ticker.run_due(origin) == 1
    # Wake up late every time: deadlines stay origin + n * 20 ms, nothing accumulates.
    for _n in range(1, 200):
        clock.advance(0.0203)
        ticker.run_due(clock.monotonic())
    assert seen == [pytest.approx(origin + n * 0.02) for n in range(len(seen))]
    assert len(seen) == int((clock.monotonic() - origin) / 0.02) + 1
    assert ticker.skipped == 0


def test_nothing_runs_before_the_deadline() -> None:
    clock = ManualClock()
    ticker = Ticker(clock)
    calls: list[float] = []
    ticker.add(calls.append)
    ticker.run_due(clock.monotonic())
    clock.advance(0.019)
    assert ticker.run_due(clock.monotonic()) == 0
    clock.advance(0.001)
    assert ticker.run_due(clock.monotonic()) == 1
    assert len(calls) == 2


def test_catch_up_is_bounded_and_the_rest_is_skipped() -> None:
    clock = ManualClock()
    ticker = Ticker(clock, max_catch_up=3)
    calls: list[float] = []
    ticker.add(calls.append)
    ticker.run_due(clock.monotonic())
    clock.advance(1.0)  # a one-second stall: 50 ticks due
    assert ticker.run_due(clock.monotonic()) == 3
    assert ticker.skipped == 47
    assert calls[-1] == pytest.approx(clock.monotonic())  # resumes on the grid, at "now"


def test_timers_fire_in_order_and_can_be_cancelled() -> None:
    clock = ManualClock()
    ticker = Ticker(clock)
    fired: list[str] = []
    ticker.run_due(clock.monotonic())
    ticker.call_later(0.1, lambda: fired.append("b"))
    ticker.call_later(0.05, lambda: fired.append("a"))
    cancelled = ticker.call_later(0.06, lambda: fired.append("x"))
    cancelled.cancel()
    for _ in range(10):
        clock.advance(0.02)
        ticker.run_due(clock.monotonic())
    assert fired == ["a", "b"]


def test_a_failing_listener_is_detached_and_others_keep_ticking(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock()
    ticker = Ticker(clock)
    good: list[float] = []

    def bad(_now: float) -> None:
        raise RuntimeError("broken player")

    ticker.add(bad)
    key = ticker.add(good.append)
    for _ in range(3):
        ticker.run_due(clock.monotonic())
        clock.advance(0.02)
    assert len(good) == 3
    assert ticker.listener_errors == 1
    assert ticker.listener_count == 1
    assert "detached" in caplog.text
    ticker.remove(key)
    ticker.remove(key)
    assert ticker.listener_count == 0


async def test_runs_on_the_event_loop_until_stopped() -> None:
    ticker = Ticker(SystemClock())
    done = asyncio.Event()
    count = 0

    def listener(_now: float) -> None:
        nonlocal count
        count += 1
        if count == 5:
            done.set()

    ticker.add(listener)
    ticker.start()
    ticker.start()  # idempotent
    assert ticker.running
    await asyncio.wait_for(done.wait(), 5.0)
    ticker.stop()
    assert not ticker.running
    assert count >= 5
