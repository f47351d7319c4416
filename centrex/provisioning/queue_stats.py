"""Queue statistics from the queue-call and agent-event logs (issue 13 item 7). Pure.

Why from logs: every number a contact-center manager asks for is a sum or a ratio over
finished intervals, so the call layer only appends rows (`queue_calls`, `agent_events`) and
this module computes, for a window [since, until):

* `offered` — callers that entered the queue in the window; `answered`, `abandoned`,
  `overflowed` and `waiting` split them by outcome;
* `answered_within_service_level_pct` — answered within the queue's service level, as a
  percentage of offered callers minus the ones still waiting (the common "SL = answered in
  time / offered" definition; 100 when nobody was offered: nothing was missed);
* `avg_wait_seconds` / `max_wait_seconds` over every finished caller (answered, abandoned,
  overflowed), `avg_talk_seconds` over the answered ones;
* `callbacks_requested` — callers that pressed 1 to be called back (`apps/queue/callback.py`),
  `callbacks_answered` — of them, the ones who answered their callback (then offered the
  agent reserved for them; if that agent does not answer they wait on at their place),
  `callbacks_failed` — the ones never reached (every attempt unanswered: outcome abandoned);
  a callback's wait runs until it is connected, so it counts in the waits and service level
  like any caller;
* per agent: `calls` answered, `talk_seconds`, `wrap_up_seconds`, `ring_seconds` (time its
  phone rang with an offer, answered or not) and `pause_seconds` by reason. An interval counts
  in the window its start falls in (`agent_events.started_at`), the same rule as callers.

The rows come in as plain dataclasses so the tests feed a synthetic day without a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class CallRow:
    entered_at: datetime
    outcome: str  # "answered", "abandoned", "overflowed", "waiting"
    wait_seconds: float
    agent: str | None = None
    talk_seconds: float = 0.0
    callback: str | None = None  # None, "requested", "answered", "failed"


@dataclass(frozen=True, slots=True)
class EventRow:
    extension: str
    kind: str  # "ring", "talk", "wrap-up", "pause"
    started_at: datetime
    seconds: float
    reason: str = ""


def _inside(at: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or at >= since) and (until is None or at < until)


def _round(value: float) -> float:
    return round(value, 3)


def queue_stats(
    calls: Iterable[CallRow],
    events: Iterable[EventRow],
    *,
    service_level_seconds: int,
    since: datetime | None = None,
    until: datetime | None = None,
    agents: Iterable[str] = (),
) -> dict[str, Any]:
    """The statistics of one queue over [since, until) (see the module docstring)."""
    rows = [c for c in calls if _inside(c.entered_at, since, until)]
    answered = [c for c in rows if c.outcome == "answered"]
    finished = [c for c in rows if c.outcome != "waiting"]
    in_time = [c for c in answered if c.wait_seconds <= service_level_seconds]
    waits = [c.wait_seconds for c in finished]
    per_agent: dict[str, dict[str, Any]] = {a: _empty_agent() for a in agents}
    for call in answered:
        if call.agent is not None:
            per_agent.setdefault(call.agent, _empty_agent())["calls"] += 1
    for event in events:
        if not _inside(event.started_at, since, until):
            continue
        entry = per_agent.setdefault(event.extension, _empty_agent())
        if event.kind == "pause":
            pauses = entry["pause_seconds"]
            pauses[event.reason] = _round(pauses.get(event.reason, 0.0) + event.seconds)
        elif event.kind in ("ring", "talk", "wrap-up"):
            key = f"{event.kind.replace('-', '_')}_seconds"
            entry[key] = _round(entry[key] + event.seconds)
    counted = len(finished)
    return {
        "offered": len(rows),
        "answered": len(answered),
        "abandoned": sum(1 for c in rows if c.outcome == "abandoned"),
        "overflowed": sum(1 for c in rows if c.outcome == "overflowed"),
        "waiting": len(rows) - counted,
        "callbacks_requested": sum(1 for c in rows if c.callback is not None),
        "callbacks_answered": sum(1 for c in rows if c.callback == "answered"),
        "callbacks_failed": sum(1 for c in rows if c.callback == "failed"),
        "service_level_seconds": service_level_seconds,
        "answered_within_service_level_pct": (
            _round(100.0 * len(in_time) / counted) if counted else 100.0
        ),
        "avg_wait_seconds": _round(sum(waits) / len(waits)) if waits else 0.0,
        "max_wait_seconds": _round(max(waits)) if waits else 0.0,
        "avg_talk_seconds": (
            _round(sum(c.talk_seconds for c in answered) / len(answered)) if answered else 0.0
        ),
        "agents": [{"extension": ext, **data} for ext, data in sorted(per_agent.items())],
    }


def _empty_agent() -> dict[str, Any]:
    return {
        "calls": 0,
        "talk_seconds": 0.0,
        "wrap_up_seconds": 0.0,
        "ring_seconds": 0.0,
        "pause_seconds": {},
    }
