"""The one media clock: a 20 ms tick that drives everything time-based in the media engine.

Why one clock (DESIGN.md §1, habit 11): players, recorders, tone generators, RTCP report timers,
DTMF timeouts and inactivity checks of every call run from the same tick, so a busy server does
not carry thousands of timer handles that fire at slightly different moments; work is batched per
tick and the cost of the timing machinery stays O(1) per tick plus the listeners' own work.

Drift-free scheduling: tick *n* is due at `origin + n * interval` on the monotonic clock
(`centrex.clock.Clock`), never "previous tick + interval", so small scheduling delays do not add
up over a long call (RFC 3551 §4.5: 20 ms packets mean 50 packets per second *on average*).
When the loop falls behind, missed ticks run back to back up to `max_catch_up`; anything older is
skipped and counted in `skipped`, because bursting a minute of audio after a stall helps nobody.

Determinism: the ticker does no I/O itself. `run_due(now)` runs every tick due at `now` and is
what the asyncio driver (`start`) calls; tests call it with a `ManualClock` reading and get
exactly the same sequence of ticks and timers on every run. Listeners receive the *nominal* tick
time (the deadline), not the late wake-up time, so generated RTP timestamps stay exact.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Callable

from centrex.clock import Clock

__all__ = ["TICK_SECONDS", "TickListener", "Ticker", "TickerTimer"]

log = logging.getLogger(__name__)

TICK_SECONDS = 0.020  # RFC 3551 §4.5 default packetization for G.711

TickListener = Callable[[float], None]
_EPSILON = 1e-6


class TickerTimer:
    """A one-shot callback at tick granularity; `cancel()` is O(1) (lazy removal)."""

    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Ticker:
    """Ticks every `interval` seconds and runs listeners, then due timers, in insertion order."""

    def __init__(
        self, clock: Clock, interval: float = TICK_SECONDS, *, max_catch_up: int = 5
    ) -> None:
        if interval <= 0:
            raise ValueError("tick interval must be positive")
        self.clock = clock
        self.interval = interval
        self.max_catch_up = max(1, max_catch_up)
        self._origin: float | None = None
        self._index = 0  # index of the next tick to run
        self.now = clock.monotonic()  # nominal time of the last tick run
        self.ticks = 0
        self.skipped = 0
        self.listener_errors = 0
        self._listeners: dict[int, TickListener] = {}
        self._snapshot: tuple[tuple[int, TickListener], ...] = ()
        self._ids = itertools.count(1)
        self._timers: list[tuple[float, int, TickerTimer]] = []
        self._handle: asyncio.TimerHandle | None = None

    # --- listeners and timers ------------------------------------------------------------------

    def add(self, listener: TickListener) -> int:
        """Call `listener(tick_time)` on every tick; returns an id for `remove`."""
        key = next(self._ids)
        self._listeners[key] = listener
        self._snapshot = tuple(self._listeners.items())
        return key

    def remove(self, key: int) -> None:
        """Stop calling a listener; unknown ids are ignored (removal may race with an error)."""
        if self._listeners.pop(key, None) is not None:
            self._snapshot = tuple(self._listeners.items())

    @property
    def listener_count(self) -> int:
        return len(self._listeners)

    def call_at(self, when: float, callback: Callable[[], None]) -> TickerTimer:
        """Run `callback` on the first tick whose nominal time is >= `when`."""
        timer = TickerTimer(when, callback)
        heapq.heappush(self._timers, (when, next(self._ids), timer))
        return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> TickerTimer:
        """Run `callback` on the first tick at least `delay` seconds after the last tick."""
        return self.call_at(self.now + delay, callback)

    # --- running ---------------------------------------------------------------------------------

    @property
    def next_deadline(self) -> float:
        """Monotonic time the next tick is due at."""
        if self._origin is None:
            self._origin = self.clock.monotonic()
            self.now = self._origin
        return self._origin + self._index * self.interval

    def run_due(self, now: float) -> int:
        """Run every tick due at `now` (at most `max_catch_up`, the rest skipped); returns count."""
        deadline = self.next_deadline
        now += _EPSILON  # float sums of 0.02 land a hair before the grid; do not miss a tick
        if now < deadline:
            return 0
        behind = int((now - deadline) / self.interval) + 1
        if behind > self.max_catch_up:
            skip = behind - self.max_catch_up
            self._index += skip
            self.skipped += skip
            behind = self.max_catch_up
        for _ in range(behind):
            self._tick(self.next_deadline)
        return behind

    def _tick(self, tick_time: float) -> None:
        self._index += 1
        self.ticks += 1
        self.now = tick_time
        for key, listener in self._snapshot:
            try:
                listener(tick_time)
            except Exception:
                # Habit 5: one broken player must not stop the clock of every other call.
                self.listener_errors += 1
                log.exception("media tick listener failed; detached")
                self.remove(key)
        timers = self._timers
        while timers and timers[0][0] <= tick_time + _EPSILON:
            timer = heapq.heappop(timers)[2]
            if timer.cancelled:
                continue
            try:
                timer.callback()
            except Exception:
                self.listener_errors += 1
                log.exception("media timer callback failed")

    def start(self) -> None:
        """Drive the ticker from the running asyncio loop until `stop`."""
        if self._handle is not None:
            return
        self._origin = self.clock.monotonic()
        self._index = 0
        self.now = self._origin
        self._schedule(asyncio.get_running_loop())

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        delay = self.next_deadline - self.clock.monotonic()
        self._handle = loop.call_later(max(delay, 0.0), self._fire, loop)

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self.run_due(self.clock.monotonic())
        self._schedule(loop)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    @property
    def running(self) -> bool:
        return self._handle is not None
