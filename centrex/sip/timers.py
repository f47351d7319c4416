"""SIP transaction timers (RFC 3261 §17 and Table 4 of Appendix A; RFC 6026 §8.4 L, M).

Theory of operation: a transaction owns a few named timers, each an absolute deadline on the
caller's clock (float seconds). Nothing here reads a clock: `TimerSet.due(now)` says which
deadlines have passed, and the transaction reacts. Retransmission timers (A, E, G) are re-armed
from their previous *deadline*, not from `now`, so the schedule is exact even when the driver
wakes late: Timer A fires at 0.5, 1.5, 3.5, 7.5... s (doubling from T1); Timer E and G double
up to T2; B, F, H, L and M last 64*T1 = 32 s; D is 32 s on unreliable transports; I and K last
T4 on unreliable transports; all the "wait for retransmissions" timers are 0 on reliable ones.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TimerName(enum.Enum):
    """The timers of RFC 3261 Table 4 plus RFC 6026's L and M."""

    A = "A"  # INVITE request retransmit (client, unreliable)
    B = "B"  # INVITE transaction timeout (client)
    D = "D"  # wait for response retransmits (client INVITE, Completed)
    E = "E"  # non-INVITE request retransmit (client, unreliable)
    F = "F"  # non-INVITE transaction timeout (client)
    G = "G"  # INVITE final response retransmit (server, unreliable)
    H = "H"  # wait for ACK (server INVITE, Completed)
    I = "I"  # noqa: E741  (RFC name) wait for ACK retransmits (server INVITE, Confirmed)
    J = "J"  # wait for request retransmits (server non-INVITE, Completed)
    K = "K"  # wait for response retransmits (client non-INVITE, Completed)
    L = "L"  # RFC 6026: server INVITE Accepted, absorb INVITE retransmits
    M = "M"  # RFC 6026: client INVITE Accepted, accept 2xx retransmits


@dataclass(frozen=True, slots=True)
class TimerConfig:
    """T1, T2, T4 of RFC 3261 §17.1.1.1 / Table 4 (defaults 0.5 s, 4 s, 5 s)."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0

    @property
    def transaction_timeout(self) -> float:
        """64*T1: timers B, F, H, J (unreliable), L and M."""
        return 64 * self.t1

    def timer_d(self, reliable: bool) -> float:
        """Timer D: at least 32 s on unreliable transports, 0 on reliable ones (§17.1.1.2)."""
        return 0.0 if reliable else max(32.0, 64 * self.t1)

    def timer_i(self, reliable: bool) -> float:
        """Timer I: T4 on unreliable transports, 0 on reliable ones (§17.2.1)."""
        return 0.0 if reliable else self.t4

    def timer_j(self, reliable: bool) -> float:
        """Timer J: 64*T1 on unreliable transports, 0 on reliable ones (§17.2.2)."""
        return 0.0 if reliable else 64 * self.t1

    def timer_k(self, reliable: bool) -> float:
        """Timer K: T4 on unreliable transports, 0 on reliable ones (§17.1.2.2)."""
        return 0.0 if reliable else self.t4


class TimerSet:
    """Named deadlines of one transaction."""

    __slots__ = ("_deadlines", "_intervals")

    def __init__(self) -> None:
        self._deadlines: dict[TimerName, float] = {}
        self._intervals: dict[TimerName, float] = {}

    def start(self, name: TimerName, now: float, interval: float) -> None:
        """Arm `name` to fire `interval` seconds after `now`."""
        self._deadlines[name] = now + interval
        self._intervals[name] = interval

    def rearm(self, name: TimerName, previous_deadline: float, interval: float) -> None:
        """Re-arm a retransmission timer `interval` after the deadline it just fired at."""
        self._deadlines[name] = previous_deadline + interval
        self._intervals[name] = interval

    def interval(self, name: TimerName) -> float:
        """The interval the timer was last armed with."""
        return self._intervals.get(name, 0.0)

    def cancel(self, *names: TimerName) -> None:
        """Disarm timers (absent ones are ignored)."""
        for name in names:
            self._deadlines.pop(name, None)

    def clear(self) -> None:
        """Disarm every timer."""
        self._deadlines.clear()

    def deadline(self, name: TimerName) -> float | None:
        """Deadline of `name`, or None if not armed."""
        return self._deadlines.get(name)

    def next_deadline(self) -> float | None:
        """Earliest armed deadline, or None."""
        return min(self._deadlines.values()) if self._deadlines else None

    def earliest_due(self, now: float) -> TimerName | None:
        """The armed timer with the earliest deadline <= now (ties by name), or None."""
        due = [(d, name.value, name) for name, d in self._deadlines.items() if d <= now]
        return min(due)[2] if due else None

    def fire(self, name: TimerName) -> float:
        """Mark `name` fired: disarm it and return the deadline it had."""
        return self._deadlines.pop(name)

    def __contains__(self, name: object) -> bool:
        return name in self._deadlines
