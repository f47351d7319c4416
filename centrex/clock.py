"""The only place Centrex reads time.

Pure code takes `now` as an argument; the wiring passes a `Clock` to the parts that need to read
it. Tests use `ManualClock` so timers can be asserted to the exact deadline.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of time: a monotonic reading for timers and a wall-clock reading for records."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (timers, deadlines)."""
        ...

    def utcnow(self) -> datetime:
        """Timezone-aware UTC wall-clock time (records, CDRs, expiry shown to people)."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def utcnow(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when a test says so."""

    def __init__(self, start: datetime | None = None, monotonic_start: float = 1000.0) -> None:
        self._wall = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._mono = monotonic_start

    def monotonic(self) -> float:
        return self._mono

    def utcnow(self) -> datetime:
        return self._wall

    def advance(self, seconds: float) -> None:
        """Move both readings forward by `seconds`."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._mono += seconds
        self._wall += timedelta(seconds=seconds)
