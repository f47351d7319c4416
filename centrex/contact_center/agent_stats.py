"""Agent statistics over a period, computed from plain spans (pure: no database, no clock).

Issue 16: per agent and per campaign, for a period: calls, contacts, talk, wrap-up, ringing,
pause time per pause reason, idle (ready and waiting), occupancy, dispositions, appointments.

Theory of operation:

* The agent's logged-in time is the union of its state intervals (`StateSpan`, from the
  agent state log: one row per interval, logged out is no row), clipped to the period.
* Every logged-in second gets exactly one kind, by a sweep over the interval boundaries:
  `paused` → pause (by reason); `in-call` → talk; `wrap-up` → wrap; `ready` → talk, wrap or
  ring when a call of the agent (`CallSpan`, from its lead attempts: ringing from
  `started_at`, then talk, then wrap-up) covers that second, in this order, else idle. A call
  outside logged-in time counts nowhere (an agent is not busy while logged out), so
  ring + talk + wrap + pause + idle = logged-in time, exactly, by construction.
* Times are whole seconds: every boundary is floored to its second (UTC) before the sweep,
  so sums of integers stay exact in the JSON, the PDF and the workbook alike.
* occupancy = (talk + wrap) / (logged in − pause), in percent with two decimals, None when
  the agent was never available (VICIdial's and the ACDs' usual definition).
* calls are the agent's attempts started in the period; contacts those a person answered
  (outcome `answered`: a machine or a drop never reached a human and an agent).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "AgentFigures",
    "CallSpan",
    "StateSpan",
    "agent_figures",
    "occupancy",
    "seconds_of",
    "totals",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
CONTACT = "answered"


def seconds_of(moment: datetime) -> int:
    """Whole UTC seconds since the epoch, floored (a naive datetime is taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _SECOND


@dataclass(frozen=True, slots=True)
class StateSpan:
    """One interval of the agent state log (`end` is the period's end for an open one)."""

    state: str
    reason: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class CallSpan:
    """One lead attempt the agent took: ringing from `start`, then talk, then wrap-up."""

    start: datetime
    ring: int
    talk: int
    wrap: int
    outcome: str
    disposition: str | None = None


@dataclass(slots=True)
class AgentFigures:
    """The figures of one agent (or a total) over a period; times in whole seconds."""

    extension: str
    calls: int = 0
    contacts: int = 0
    talk: int = 0
    wrap: int = 0
    ring: int = 0
    idle: int = 0
    pause: dict[str, int] = field(default_factory=dict)
    logged_in: int = 0
    dispositions: dict[str, int] = field(default_factory=dict)
    appointments: int = 0

    @property
    def pause_total(self) -> int:
        return sum(self.pause.values())

    @property
    def occupancy(self) -> float | None:
        return occupancy(self.talk, self.wrap, self.logged_in, self.pause_total)

    def as_dict(self) -> dict[str, Any]:
        return {
            "extension": self.extension,
            "calls": self.calls,
            "contacts": self.contacts,
            "talk_seconds": self.talk,
            "wrap_seconds": self.wrap,
            "ring_seconds": self.ring,
            "idle_seconds": self.idle,
            "pause_seconds": dict(sorted(self.pause.items())),
            "pause_total_seconds": self.pause_total,
            "logged_in_seconds": self.logged_in,
            "occupancy_pct": self.occupancy,
            "dispositions": dict(sorted(self.dispositions.items())),
            "appointments": self.appointments,
        }


def occupancy(talk: int, wrap: int, logged_in: int, pause: int) -> float | None:
    available = logged_in - pause
    if available <= 0:
        return None
    return round(100.0 * (talk + wrap) / available, 2)


def _clip(start: int, end: int, low: int, high: int) -> tuple[int, int] | None:
    a, b = max(start, low), min(end, high)
    return (a, b) if a < b else None


def _events(
    states: Sequence[StateSpan], calls: Sequence[CallSpan], low: int, high: int
) -> list[tuple[int, str, int]]:
    """(second, key, +1 at the start / -1 at the end) of every span clipped to the period."""
    events: list[tuple[int, str, int]] = []
    for span in states:
        clipped = _clip(seconds_of(span.start), seconds_of(span.end), low, high)
        if clipped is not None:
            key = f"paused:{span.reason}" if span.state == "paused" else span.state
            events += [(clipped[0], key, 1), (clipped[1], key, -1)]
    for call in calls:
        t = seconds_of(call.start)
        for kind, length in (("ring", call.ring), ("talk", call.talk), ("wrap", call.wrap)):
            clipped = _clip(t, t + max(0, length), low, high)
            if clipped is not None:
                events += [(clipped[0], f"call-{kind}", 1), (clipped[1], f"call-{kind}", -1)]
            t += max(0, length)
    events.sort()
    return events


def _kind(active: Counter[str]) -> str | None:
    """What a second is while `active` spans cover it; None when logged out."""
    paused = sorted(k for k, n in active.items() if n > 0 and k.startswith("paused:"))
    if paused:
        return paused[0]
    for state, kind in (("in-call", "talk"), ("wrap-up", "wrap")):
        if active[state] > 0:
            return kind
    if active["ready"] <= 0:
        return None
    for kind in ("talk", "wrap", "ring"):
        if active[f"call-{kind}"] > 0:
            return kind
    return "idle"


def _sweep(
    states: Sequence[StateSpan], calls: Sequence[CallSpan], low: int, high: int, into: AgentFigures
) -> None:
    active: Counter[str] = Counter()
    spent: Counter[str] = Counter()
    previous: int | None = None
    for second, key, delta in _events(states, calls, low, high):
        if previous is not None and second > previous:
            kind = _kind(active)
            if kind is not None:
                spent[kind] += second - previous
        active[key] += delta
        previous = second
    into.talk, into.wrap, into.ring, into.idle = (
        spent["talk"],
        spent["wrap"],
        spent["ring"],
        spent["idle"],
    )
    into.pause = {k.partition(":")[2]: n for k, n in spent.items() if k.startswith("paused:")}
    into.logged_in = sum(spent.values())


def agent_figures(
    extension: str,
    states: Sequence[StateSpan],
    calls: Sequence[CallSpan],
    since: datetime,
    until: datetime,
    *,
    counted_calls: Sequence[CallSpan] | None = None,
    appointments: int = 0,
) -> AgentFigures:
    """The agent's figures over [since, until). Times come from `states` and `calls`; the
    counts (calls, contacts, dispositions) from `counted_calls` started in the period (all of
    `calls` when None: a campaign's report counts its own calls but times all the agent's)."""
    low, high = seconds_of(since), seconds_of(until)
    figures = AgentFigures(extension, appointments=appointments)
    _sweep(states, calls, low, high, figures)
    counted = calls if counted_calls is None else counted_calls
    dispositions: Counter[str] = Counter()
    for call in counted:
        if not low <= seconds_of(call.start) < high:
            continue
        figures.calls += 1
        figures.contacts += call.outcome == CONTACT
        if call.disposition:
            dispositions[call.disposition] += 1
    figures.dispositions = dict(dispositions)
    return figures


def totals(agents: Iterable[AgentFigures], label: str = "total") -> AgentFigures:
    """The sum of agents' figures (occupancy recomputed from the sums, not averaged)."""
    total = AgentFigures(label)
    pause: Counter[str] = Counter()
    dispositions: Counter[str] = Counter()
    for a in agents:
        total.calls += a.calls
        total.contacts += a.contacts
        total.talk += a.talk
        total.wrap += a.wrap
        total.ring += a.ring
        total.idle += a.idle
        total.logged_in += a.logged_in
        total.appointments += a.appointments
        pause.update(a.pause)
        dispositions.update(a.dispositions)
    total.pause, total.dispositions = dict(pause), dict(dispositions)
    return total
