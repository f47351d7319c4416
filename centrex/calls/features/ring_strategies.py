"""Ring-group strategies: pure functions that turn a group's members into ringing steps.

A strategy answers one question — *who rings, in which order, together or one after the
other?* — from plain data, so it is tested without a call, a clock or a database
(DESIGN.md habit 8: pluggable parts go through a small registry, not an if/elif chain).

Each strategy gets the group's members in their configured order and a `RingContext` (who
answered this group last, since when each member has been idle) and returns *steps*: a step is
a tuple of members rung together for `ring_seconds`; the next step starts when a step ends
unanswered. Members that cannot ring (busy, offline, in DND) are not removed here: the feature
skips them when their step comes, so a step whose members are all skipped costs no time.

* simultaneous — one step with every member;
* sequential — one step per member, in the configured order;
* round-robin — one step per member, starting after the member that answered this group last
  (the configured order when nobody has answered yet, or that member left the group);
* longest-idle — one step per member, the member idle the longest first. *Idle since* is the
  monotonic time the member's last call ended (placed or received, as the feature saw it);
  a member with no call since the server started has been idle "forever" (−∞). Ties keep the
  configured order, so the order is total and the same on every run;
* page — one step with every member, like simultaneous; but the feature does not ring it as a
  first-answer-wins step: every member's phone is asked to answer by itself and every member
  that answers hears the caller (`paging.py`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

Steps = tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class RingContext:
    """What a strategy may know beyond the members (no time read here: `idle_since` values
    are monotonic seconds the caller looked up)."""

    last_answered: str | None = None
    idle_since: Mapping[str, float] = field(default_factory=dict)


Strategy = Callable[[Sequence[str], RingContext], Steps]


def simultaneous(members: Sequence[str], _context: RingContext) -> Steps:
    """Every member at once: one step."""
    return (tuple(members),) if members else ()


def sequential(members: Sequence[str], _context: RingContext) -> Steps:
    """One member after the other, in the configured order."""
    return tuple((member,) for member in members)


def round_robin(members: Sequence[str], context: RingContext) -> Steps:
    """One after the other, starting after the member that answered last time."""
    order = list(members)
    if context.last_answered in order:
        start = order.index(context.last_answered) + 1
        order = order[start:] + order[:start]
    return tuple((member,) for member in order)


def longest_idle(members: Sequence[str], context: RingContext) -> Steps:
    """One after the other, the member idle the longest (smallest `idle_since`) first."""
    ranked = sorted(
        enumerate(members),
        key=lambda item: (context.idle_since.get(item[1], -math.inf), item[0]),
    )
    return tuple((member,) for _, member in ranked)


STRATEGIES: Mapping[str, Strategy] = {
    "simultaneous": simultaneous,
    "sequential": sequential,
    "round-robin": round_robin,
    "longest-idle": longest_idle,
    "page": simultaneous,  # who is paged: everyone at once (`paging.py` rings them)
}


def steps_for(strategy: str, members: Sequence[str], context: RingContext) -> Steps:
    """The steps of `strategy` (a `KeyError` names an unknown strategy)."""
    try:
        chosen = STRATEGIES[strategy]
    except KeyError:
        raise KeyError(f"unknown ring strategy {strategy!r}") from None
    return chosen(members, context)
