"""ACD queue strategies: pure functions choosing which available agents get the next caller.

A strategy answers one question — *which of the agents free right now is offered the caller at
the head of the queue?* — from plain data, so it is tested without a call, a clock or a
database (DESIGN.md habit 8: a registry, not an if/elif chain). Availability is decided before
a strategy runs: a paused, logged-out, wrapping-up, busy or already ringing agent is never in
`agents` (the queue feature filters them, `calls/features/queue.py`).

Every strategy returns the agents to ring together for this offer (empty: nobody to offer):

* ring-all — every available agent at once, the first to answer takes the caller;
* longest-idle — the agent whose last queue call ended longest ago; an agent with no call since
  the server started has been idle "forever" (−∞); ties keep the configured order;
* round-robin — the next agent after the one offered last time, in the configured order;
* fewest-calls — the agent who answered the fewest calls of this queue (today, as the feature
  counts them), ties by longest idle then configured order;
* skills — the agent with the highest skill level for the queue (agents below the queue's
  minimum level are never offered), ties by longest idle then configured order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """An available agent as a strategy sees it (`idle_since`: monotonic seconds, None for
    never; `position`: its configured order in the queue)."""

    extension: str
    position: int = 0
    level: int = 1
    idle_since: float | None = None
    calls: int = 0


@dataclass(frozen=True, slots=True)
class OfferContext:
    """What a strategy may know beyond the agents."""

    last_offered: str | None = None
    min_level: int = 1
    members: Sequence[str] = ()  # every member in configured order (round-robin's circle)


Strategy = Callable[[Sequence[AgentInfo], OfferContext], tuple[str, ...]]


def _idle_key(agent: AgentInfo) -> tuple[float, int]:
    idle = -math.inf if agent.idle_since is None else agent.idle_since
    return (idle, agent.position)


def ring_all(agents: Sequence[AgentInfo], _context: OfferContext) -> tuple[str, ...]:
    return tuple(a.extension for a in sorted(agents, key=lambda a: a.position))


def longest_idle(agents: Sequence[AgentInfo], _context: OfferContext) -> tuple[str, ...]:
    if not agents:
        return ()
    return (min(agents, key=_idle_key).extension,)


def round_robin(agents: Sequence[AgentInfo], context: OfferContext) -> tuple[str, ...]:
    if not agents:
        return ()
    circle = list(context.members) or [
        a.extension for a in sorted(agents, key=lambda a: a.position)
    ]
    free = {a.extension for a in agents}
    start = circle.index(context.last_offered) + 1 if context.last_offered in circle else 0
    for step in range(len(circle)):
        candidate = circle[(start + step) % len(circle)]
        if candidate in free:
            return (candidate,)
    return (min(agents, key=lambda a: a.position).extension,)  # free agents not in the circle


def fewest_calls(agents: Sequence[AgentInfo], _context: OfferContext) -> tuple[str, ...]:
    if not agents:
        return ()
    return (min(agents, key=lambda a: (a.calls, *_idle_key(a))).extension,)


def skills(agents: Sequence[AgentInfo], context: OfferContext) -> tuple[str, ...]:
    able = [a for a in agents if a.level >= context.min_level]
    if not able:
        return ()
    return (min(able, key=lambda a: (-a.level, *_idle_key(a))).extension,)


STRATEGIES: Mapping[str, Strategy] = {
    "ring-all": ring_all,
    "longest-idle": longest_idle,
    "round-robin": round_robin,
    "fewest-calls": fewest_calls,
    "skills": skills,
}


def offer_for(strategy: str, agents: Sequence[AgentInfo], context: OfferContext) -> tuple[str, ...]:
    """The agents `strategy` offers the caller to (a `KeyError` names an unknown strategy)."""
    try:
        chosen = STRATEGIES[strategy]
    except KeyError:
        raise KeyError(f"unknown queue strategy {strategy!r}") from None
    return chosen(agents, context)
