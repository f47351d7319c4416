"""Dialer pacing: how many outbound calls to start now (pure: no I/O, no clock reads).

Theory of operation
-------------------
An outbound campaign dials more numbers than it has free agents because most calls are not
answered by a person (no answer, busy, failed, answering machine). Dialing too many means a
person answers and no agent is free: the call is *dropped* (abandoned) and the person hears
silence or a recorded message. Regulators cap this: the UK Ofcom persistent-misuse policy limits
abandoned calls to 3 % of live calls per campaign over 24 hours, and the US FTC Telemarketing
Sales Rule safe harbour (16 CFR 310.4(b)(4)) allows at most 3 % of calls answered by a person,
measured per campaign over 30 days, each drop playing a message that names the caller within
2 seconds. So the drop rate here is always *dropped ÷ answered by a person*, and the dialer hands
an answered call to an agent within `CONNECT_GRACE` (2 s) or counts a drop.

A pacer is told nothing about the campaign but what it observes (`Outcome`s: answers and their
ring times, other attempt results, connections, drops, talk and wrap-up times) and, about once a
second, the live state (`Snapshot`). It answers with a number of new calls to place now. Methods
are pluggable through `PACERS`, a registry of factories (DESIGN habit 8):

- `preview`: always 0; the agent asks for the next call.
- `progressive`: one call per ready agent, minus calls already in flight (ringing or waiting);
  every answer has an agent reserved for it, so it never drops, and agents wait a whole ring
  cycle (several attempts at a low answer rate) between calls.
- `ratio`: VICIdial's fixed dial level: keep `ratio` × logged-in agents lines in use (ringing,
  waiting and talking calls), never more than `max_ratio` × logged-in agents.
- `predictive` (`PredictivePacer`): the model below.

The predictive model
--------------------
Look ahead one *horizon* H = the mean ring time of answered calls + `CONNECT_GRACE`: a call
placed now that a person answers does so, on average, at the end of the mean ring time, and may
wait the grace for an agent. Over that horizon compare

- demand D: every call in flight that a person will still answer, plus the new calls. A call
  ringing for `a` seconds is answered with the conditional probability
  `p·S_ans(a) / (p·S_ans(a) + (1−p)·S_other(a))` (Bayes on the learned answer rate `p` and the
  survival functions of the ring time of answered calls and of the time other outcomes take);
  a new call is answered with `p`; answered calls already waiting count as certain;
- supply S: ready agents (certain) plus every agent that will be free within H: a talking agent
  `t` seconds into a call with `P(T + w̄ ≤ t + H | T > t)` from the learned talk times `T` and
  mean wrap-up `w̄`, a wrapping agent with `P(W ≤ w + H | W > w)`.

D − S is a sum of independent Bernoulli trials (a Poisson-binomial), approximated by a normal law
with the summed means and variances. The expected number of answered calls finding no agent is
`E[(D − S)+] = σ·φ(μ/σ) + μ·Φ(μ/σ)`; the pacer places the largest number of calls for which
that expected overflow stays within

- `setpoint × E[D]`, the per-decision rate: the setpoint is the drop target times a caution
  factor `N / (N + SMALL_TEAM_CAUTION)` for N logged-in agents, because a small team's day has
  few answers and each drop weighs more (3 agents aim at ~1.5 %, 20 at ~2.6 %, 100 at ~2.9 %);
- the remaining budget of the day, `DAY_SETPOINT × target × (answered + E[D]) − dropped`, and of
  a sliding window of the last `WINDOW` answered calls: the feedback correction on the *measured*
  drop rate, so a model that predicts too few drops (the normal law ignores when, within the
  horizon, answers and free agents arrive) is corrected by the drops it actually causes; a day
  that dropped more than its share dials at the safe progressive pace until answers dilute it;

and never fewer than the progressive pace (which cannot drop) nor more than `max_ratio` lines per
agent. While observations are few it is conservative: the answer rate starts from a high prior
(`ANSWER_PRIOR`, fewer calls), ring survival is not used before `MIN_SAMPLES` answers (every
ringing call counts as answerable), and agents becoming free count with a weight
`n / (n + MIN_SAMPLES)` for n observed talk times (no talk time yet: only ready agents count).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Protocol

OutcomeKind = Literal[
    "answered",
    "no-answer",
    "busy",
    "failed",
    "machine",
    "connected",
    "dropped",
    "talk-ended",
    "wrap-ended",
]
# Results of an attempt: exactly one per placed call.
ATTEMPT_KINDS: frozenset[str] = frozenset({"answered", "no-answer", "busy", "failed", "machine"})

CONNECT_GRACE = 2.0  # s an answered call may wait for an agent (FTC TSR: message within 2 s)
ANSWER_PRIOR = 0.6  # assumed answer rate before observations (high: dials fewer calls)
ANSWER_PRIOR_WEIGHT = 30.0  # pseudo-attempts behind the prior
RING_PRIOR = 8.0  # s, assumed ring time of an answered call before observations
MIN_SAMPLES = 20  # observations before a learned distribution is trusted
SAMPLES = 400  # durations kept per distribution (a sliding window)
ATTEMPT_WINDOW = 600  # attempts behind the answer rate
WINDOW = 300  # answered calls behind the sliding drop rate
SMALL_TEAM_CAUTION = 3.0  # agents: setpoint = target × N / (N + this)
DAY_SETPOINT = 0.85  # share of the target the day's measured drop rate may reach
REBUILD_EVERY = 5.0  # s of snapshot time between rebuilds of the lookup tables
MAX_RING_AGE = 180  # s covered by the ringing-call table (older calls use its last entry)
MAX_TALK_AGE = 3600  # s covered by the talking-agent table


@dataclass(frozen=True)
class Snapshot:
    """The live state of one campaign, as the dialer sees it when it asks for calls."""

    now: float  # seconds, monotonic
    agents_logged_in: int
    agents_ready: int  # idle and waiting for a call
    agents_talking: tuple[float, ...]  # seconds each talking agent has been talking
    agents_wrapping: tuple[float, ...]  # seconds each agent has been in wrap-up
    calls_ringing: tuple[float, ...]  # seconds each placed, unanswered call has been ringing
    calls_waiting: int  # answered calls waiting for an agent right now


@dataclass(frozen=True)
class Outcome:
    """Something that happened to a call or an agent, reported to the pacer as it happens."""

    kind: OutcomeKind
    at: float
    seconds: float = 0.0  # ring time for answered/no-answer, talk or wrap time for *-ended


class Pacer(Protocol):
    """Decides how many calls to start; learns only from what it is told."""

    def observe(self, outcome: Outcome) -> None: ...

    def calls_to_place(self, snapshot: Snapshot) -> int: ...  # >= 0, new calls to start now


@dataclass(frozen=True)
class PacerSettings:
    """The knobs of `make_pacer`, validated once and handed to a method's factory."""

    drop_target: float = 0.03
    ratio: float = 1.0
    max_ratio: float = 5.0

    def __post_init__(self) -> None:
        if not 0.0 < self.drop_target < 1.0:
            raise ValueError(f"drop_target must be in (0, 1), got {self.drop_target}")
        if not self.max_ratio >= 1.0:
            raise ValueError(f"max_ratio must be >= 1, got {self.max_ratio}")
        if not self.ratio > 0.0:
            raise ValueError(f"ratio must be > 0, got {self.ratio}")


PacerFactory = Callable[[PacerSettings], Pacer]


def _progressive(snapshot: Snapshot) -> int:
    """One call per ready agent not already covered by a ringing or waiting call."""
    return max(0, snapshot.agents_ready - len(snapshot.calls_ringing) - snapshot.calls_waiting)


def _lines_in_use(snapshot: Snapshot) -> int:
    return len(snapshot.calls_ringing) + snapshot.calls_waiting + len(snapshot.agents_talking)


class PreviewPacer:
    """The agent asks for each call (preview dialing): the pacer never starts one."""

    def __init__(self, settings: PacerSettings) -> None:
        self.settings = settings

    def observe(self, outcome: Outcome) -> None:
        """Nothing to learn: preview dialing is driven by the agent."""

    def calls_to_place(self, snapshot: Snapshot) -> int:
        return 0


class ProgressivePacer:
    """One call per ready agent minus calls in flight: never drops, agents wait a ring cycle."""

    def __init__(self, settings: PacerSettings) -> None:
        self.settings = settings

    def observe(self, outcome: Outcome) -> None:
        """Nothing to learn: the pace follows the ready agents."""

    def calls_to_place(self, snapshot: Snapshot) -> int:
        return _progressive(snapshot)


class RatioPacer:
    """A fixed dial level: `ratio` lines (ringing, waiting, talking) per logged-in agent.

    The ratio is capped at `max_ratio`, the ceiling every method respects.
    """

    def __init__(self, settings: PacerSettings) -> None:
        self.settings = settings
        self.ratio = min(settings.ratio, settings.max_ratio)

    def observe(self, outcome: Outcome) -> None:
        """Nothing to learn: the dial level is fixed by the supervisor."""

    def calls_to_place(self, snapshot: Snapshot) -> int:
        lines = math.floor(self.ratio * snapshot.agents_logged_in + 1e-9)
        return max(0, lines - _lines_in_use(snapshot))


class Durations:
    """A sliding window of observed durations with their survival function `P(X > x)`."""

    def __init__(self, maxlen: int = SAMPLES) -> None:
        self._window: deque[float] = deque(maxlen=maxlen)
        self._sorted: list[float] = []
        self._fresh = True

    def add(self, seconds: float) -> None:
        self._window.append(max(0.0, seconds))
        self._fresh = False

    def __len__(self) -> int:
        return len(self._window)

    def _ensure_sorted(self) -> list[float]:
        if not self._fresh:
            self._sorted = sorted(self._window)
            self._fresh = True
        return self._sorted

    def survival_grid(self, limit: int) -> list[float]:
        """`[P(X > k) for k in 0..limit]` in one sweep over the sorted observations."""
        values = self._ensure_sorted()
        if not values:
            return [1.0] * (limit + 1)
        count, index, grid = len(values), 0, []
        for k in range(limit + 1):
            while index < count and values[index] <= k:
                index += 1
            grid.append((count - index) / count)
        return grid

    def mean(self, default: float) -> float:
        return sum(self._window) / len(self._window) if self._window else default

    def longest(self) -> float:
        values = self._ensure_sorted()
        return values[-1] if values else 0.0


def _free_within(durations: Durations, horizon: float, weight: float) -> list[float]:
    """`weight × P(X <= t + horizon | X > t)` for whole seconds t up to the longest observation.

    The later instant is rounded down (fewer agents counted free: the conservative side), and
    0 past every observation.
    """
    ages = min(MAX_TALK_AGE, int(durations.longest()) + 1)
    if horizon <= 0.0 or weight <= 0.0:
        return [0.0]
    reach = int(horizon)
    grid = durations.survival_grid(ages + reach)
    return [
        weight * (grid[t] - grid[t + reach]) / grid[t] if grid[t] > 0.0 else 0.0
        for t in range(ages + 1)
    ]


def expected_overflow(mean: float, variance: float) -> float:
    """`E[(X)+]` for X normal with this mean and variance: answers finding no agent."""
    if variance <= 1e-12:
        return max(0.0, mean)
    sigma = math.sqrt(variance)
    z = mean / sigma
    pdf = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    cdf = 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
    return sigma * pdf + mean * cdf


def _lookup(table: list[float], ages: Iterable[float]) -> list[float]:
    last = len(table) - 1
    return [table[min(int(age), last)] if age >= 0.0 else table[0] for age in ages]


class PredictivePacer:
    """Places calls so that the expected share of answers finding no agent meets the target.

    See the module docstring for the model; everything it knows comes from `observe`.
    """

    def __init__(self, settings: PacerSettings) -> None:
        self.settings = settings
        self._attempts: deque[bool] = deque(maxlen=ATTEMPT_WINDOW)  # True: a person answered
        self._answer_ring = Durations()
        self._other_ring = Durations()
        self._talk = Durations()
        self._wrap = Durations()
        self._recent: deque[bool] = deque(maxlen=WINDOW)  # resolved answers, True: dropped
        self.answered = 0
        self.dropped = 0
        self._built_at: float | None = None
        self._dirty = True
        self._ring_table: list[float] = [ANSWER_PRIOR]
        self._talk_table: list[float] = [0.0]
        self._wrap_table: list[float] = [0.0]
        self.answer_rate = ANSWER_PRIOR
        self.horizon = RING_PRIOR + CONNECT_GRACE

    # ---- learning --------------------------------------------------------------------------
    def observe(self, outcome: Outcome) -> None:
        kind = outcome.kind
        if kind == "answered":
            self._attempts.append(True)
            self._answer_ring.add(outcome.seconds)
            self.answered += 1
        elif kind in ATTEMPT_KINDS:
            self._attempts.append(False)
            self._other_ring.add(outcome.seconds)
        elif kind == "connected":
            self._recent.append(False)
        elif kind == "dropped":
            self._recent.append(True)
            self.dropped += 1
        elif kind == "talk-ended":
            self._talk.add(outcome.seconds)
        elif kind == "wrap-ended":
            self._wrap.add(outcome.seconds)
        self._dirty = True

    def _rebuild(self, now: float) -> None:
        """Recompute the answer rate, horizon and lookup tables from the observations."""
        answers = sum(self._attempts)
        weight = ANSWER_PRIOR_WEIGHT
        p = (answers + ANSWER_PRIOR * weight) / (len(self._attempts) + weight)
        self.answer_rate = p
        ring_known = len(self._answer_ring) >= MIN_SAMPLES
        ring_mean = self._answer_ring.mean(RING_PRIOR) if ring_known else RING_PRIOR
        self.horizon = ring_mean + CONNECT_GRACE
        self._ring_table = self._ring_probabilities(p, ring_known)
        talk_weight = len(self._talk) / (len(self._talk) + MIN_SAMPLES)
        wrap_weight = len(self._wrap) / (len(self._wrap) + MIN_SAMPLES)
        talk_reach = self.horizon - self._wrap.mean(0.0)
        self._talk_table = _free_within(self._talk, talk_reach, talk_weight)
        self._wrap_table = _free_within(self._wrap, self.horizon, wrap_weight)
        self._built_at = now
        self._dirty = False

    def _ring_probabilities(self, p: float, ring_known: bool) -> list[float]:
        """`P(a person answers | still ringing at age)` for whole seconds, by Bayes on the
        survivals of the ring time of answers and of the time other results take."""
        if not ring_known:
            return [p]
        answers = self._answer_ring.survival_grid(MAX_RING_AGE)
        others = self._other_ring.survival_grid(MAX_RING_AGE)
        table = [p]
        for age in range(1, MAX_RING_AGE + 1):
            answer, other = p * answers[age], (1.0 - p) * others[age]
            # Older than anything observed: assume the worst we know.
            table.append(answer / (answer + other) if answer + other > 0.0 else p)
        return table

    # ---- deciding --------------------------------------------------------------------------
    def setpoint(self, agents: int) -> float:
        """The per-decision drop rate aimed at: lower for small teams."""
        return self.settings.drop_target * agents / (agents + SMALL_TEAM_CAUTION)

    def calls_to_place(self, snapshot: Snapshot) -> int:
        agents = snapshot.agents_logged_in
        if agents <= 0:
            return 0
        stale = self._built_at is None or snapshot.now - self._built_at >= REBUILD_EVERY
        if self._dirty and stale:
            self._rebuild(snapshot.now)
        floor = _progressive(snapshot)
        cap = math.floor(self.settings.max_ratio * agents + 1e-9) - _lines_in_use(snapshot)
        if cap <= floor:
            return max(0, min(floor, cap)) if cap >= 0 else 0
        ringing = _lookup(self._ring_table, snapshot.calls_ringing)
        freeing = _lookup(self._talk_table, snapshot.agents_talking)
        freeing += _lookup(self._wrap_table, snapshot.agents_wrapping)
        demand = sum(ringing) + snapshot.calls_waiting
        supply = snapshot.agents_ready + sum(freeing)
        variance = sum(x * (1.0 - x) for x in ringing) + sum(x * (1.0 - x) for x in freeing)
        return max(floor, self._largest_safe(agents, demand, supply, variance, cap))

    def _largest_safe(
        self, agents: int, demand: float, supply: float, variance: float, cap: int
    ) -> int:
        """The most new calls (<= cap) whose expected overflow fits every drop allowance."""
        p = self.answer_rate
        target = self.settings.drop_target
        instant = self.setpoint(agents)
        day_rate = target * DAY_SETPOINT
        window_answers = len(self._recent)
        window_drops = sum(self._recent)
        best = 0
        for n in range(1, cap + 1):
            mean_demand = demand + n * p
            overflow = expected_overflow(mean_demand - supply, variance + n * p * (1.0 - p))
            allowed = min(
                instant * mean_demand,
                day_rate * (self.answered + mean_demand) - self.dropped,
                target * (window_answers + mean_demand) - window_drops,
            )
            if overflow > allowed:
                break
            best = n
        return best


PACERS: Mapping[str, PacerFactory] = MappingProxyType(
    {
        "preview": PreviewPacer,
        "progressive": ProgressivePacer,
        "ratio": RatioPacer,
        "predictive": PredictivePacer,
    }
)


def make_pacer(
    method: str,
    *,
    drop_target: float = 0.03,
    ratio: float = 1.0,
    max_ratio: float = 5.0,
) -> Pacer:
    """A new pacer of `method`, a name in the `PACERS` registry.

    Raises ValueError for an unknown method or settings out of range (a drop target outside
    (0, 1), a ratio <= 0, a max_ratio < 1).
    """
    factory = PACERS.get(method)
    if factory is None:
        raise ValueError(f"unknown dial method {method!r}; known: {', '.join(sorted(PACERS))}")
    return factory(PacerSettings(drop_target=drop_target, ratio=ratio, max_ratio=max_ratio))
