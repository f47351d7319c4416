"""A discrete-event simulator of one dialing day, to judge pacers (pure: seeded, no I/O, no clock).

Theory of operation
-------------------
`simulate_day` plays a campaign day against a `Pacer` with the rules the dialer enforces:

- `agents` agents are logged in the whole day; each is ready, talking or in wrap-up;
- about once a second (`tick`) the pacer gets a `Snapshot` and the simulator places the number
  of calls it asks for (a negative answer is a contract breach and raises ValueError);
- each placed call has one result drawn from the day's `CallSampler` and known after its own
  delay: a person answers after a ring time, or no answer (ring timeout), busy, failed, or an
  answering machine (detected after the greeting starts);
- an answered call goes to a ready agent at once, or waits at most `grace` (2 s, the FTC TSR
  safe-harbour delay) for an agent to finish wrap-up, oldest first; otherwise it is *dropped*;
- every event is reported to the pacer as an `Outcome`, as the live dialer will.

Two random streams keep days comparable between methods: the k-th placed call has the same
result and the k-th connected call the same talk and wrap-up times whatever the pacer does, so
"the same seeded day" means the same lead list and the same conversations.

The day reports placed, answered, connected and dropped calls, the drop rate (dropped ÷
answered by a person, the regulated figure) and the agents' occupancy (talk + wrap-up time ÷
logged-in time, intervals cut at the end of the day).

`CallSampler` is a protocol: `DayProfile` draws from parametric laws (log-normal ring, talk and
wrap-up times), `ObservedDay` resamples a campaign's recorded attempts and conversations (for
replaying a past day through each method).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from centrex.contact_center.pacing import (
    CONNECT_GRACE,
    Outcome,
    OutcomeKind,
    Pacer,
    Snapshot,
    make_pacer,
)

AttemptKind = Literal["answered", "no-answer", "busy", "failed", "machine"]


class CallSampler(Protocol):
    """The day's population of calls and conversations."""

    def attempt(self, rng: random.Random) -> tuple[AttemptKind, float]:
        """The result of one placed call and the seconds until it is known."""
        ...

    def conversation(self, rng: random.Random) -> tuple[float, float]:
        """Talk and wrap-up seconds of one connected call."""
        ...


def _lognormal(rng: random.Random, mean: float, sigma: float) -> float:
    """A log-normal draw with this arithmetic mean (call durations are right-skewed)."""
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2.0, sigma)


@dataclass(frozen=True)
class DayProfile:
    """Parametric laws for a day: answer rate and other results, ring, talk and wrap times.

    `answer_rate` is the share of placed calls a person answers; busy, failed and machine take
    their shares (scaled down if they would not fit) and no-answer the rest.
    """

    answer_rate: float = 0.28
    talk_mean: float = 120.0
    wrap_mean: float = 15.0
    ring_mean: float = 9.0  # s before a person answers
    ring_timeout: float = 25.0  # s before the carrier gives up (no answer)
    busy_rate: float = 0.08
    failed_rate: float = 0.02
    machine_rate: float = 0.15
    amd_seconds: float = 2.5  # machine detection after the answer
    ring_sigma: float = 0.5
    talk_sigma: float = 0.7
    wrap_sigma: float = 0.4

    def __post_init__(self) -> None:
        if not 0.0 < self.answer_rate <= 1.0:
            raise ValueError(f"answer_rate must be in (0, 1], got {self.answer_rate}")
        if min(self.talk_mean, self.wrap_mean, self.ring_mean, self.ring_timeout) <= 0.0:
            raise ValueError("talk, wrap, ring and timeout means must be positive")

    def _shares(self) -> tuple[float, float, float]:
        others = self.busy_rate + self.failed_rate + self.machine_rate
        room = 1.0 - self.answer_rate
        scale = min(1.0, room / others) if others > 0.0 else 0.0
        return self.busy_rate * scale, self.failed_rate * scale, self.machine_rate * scale

    def _ring(self, rng: random.Random) -> float:
        return min(max(1.0, _lognormal(rng, self.ring_mean, self.ring_sigma)), self.ring_timeout)

    def attempt(self, rng: random.Random) -> tuple[AttemptKind, float]:
        busy, failed, machine = self._shares()
        draw = rng.random()
        ring = self._ring(rng)
        if draw < self.answer_rate:
            return "answered", ring
        draw -= self.answer_rate
        if draw < busy:
            return "busy", rng.uniform(1.0, 4.0)
        draw -= busy
        if draw < failed:
            return "failed", rng.uniform(0.2, 2.0)
        if draw - failed < machine:
            return "machine", ring + self.amd_seconds
        return "no-answer", self.ring_timeout

    def conversation(self, rng: random.Random) -> tuple[float, float]:
        talk = max(5.0, _lognormal(rng, self.talk_mean, self.talk_sigma))
        return talk, max(1.0, _lognormal(rng, self.wrap_mean, self.wrap_sigma))


@dataclass(frozen=True)
class ObservedDay:
    """A recorded day resampled with replacement: attempts (result, seconds) and conversations."""

    attempts: tuple[tuple[AttemptKind, float], ...]
    conversations: tuple[tuple[float, float], ...]  # (talk, wrap-up) seconds

    def __post_init__(self) -> None:
        if not self.attempts or not any(kind == "answered" for kind, _ in self.attempts):
            raise ValueError("an observed day needs attempts, at least one of them answered")
        if not self.conversations:
            raise ValueError("an observed day needs at least one conversation")

    def attempt(self, rng: random.Random) -> tuple[AttemptKind, float]:
        return rng.choice(self.attempts)

    def conversation(self, rng: random.Random) -> tuple[float, float]:
        return rng.choice(self.conversations)


@dataclass(frozen=True)
class DayResult:
    """What one simulated day produced for one method."""

    method: str
    agents: int
    seconds: float
    placed: int
    answered: int
    connected: int
    dropped: int
    busy_seconds: float  # agents' talk + wrap-up time within the day
    results: Mapping[str, int] = field(default_factory=dict)  # attempts by result

    @property
    def drop_pct(self) -> float:
        """Dropped ÷ answered by a person, in percent (0 with no answer)."""
        return 100.0 * self.dropped / self.answered if self.answered else 0.0

    @property
    def occupancy_pct(self) -> float:
        """Talk + wrap-up time ÷ logged-in time, in percent."""
        logged_in = self.agents * self.seconds
        return 100.0 * self.busy_seconds / logged_in if logged_in else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "agents": self.agents,
            "seconds": self.seconds,
            "placed": self.placed,
            "answered": self.answered,
            "connected": self.connected,
            "dropped": self.dropped,
            "drop_pct": round(self.drop_pct, 2),
            "occupancy_pct": round(self.occupancy_pct, 2),
            "results": dict(self.results),
        }


# Event kinds, in the order they are handled at the same instant.
_WRAP_END, _TALK_END, _RESOLVE, _DROP_CHECK, _TICK = range(5)


class _Day:
    """The state of one running day; `run` drives the event heap to the end of the day."""

    def __init__(
        self, pacer: Pacer, calls: CallSampler, agents: int, seconds: float, seed: int
    ) -> None:
        self.pacer, self.calls, self.agents, self.end = pacer, calls, agents, seconds
        self.attempt_rng = random.Random(f"{seed}:attempts")
        self.talk_rng = random.Random(f"{seed}:talk")
        self.heap: list[tuple[float, int, int, int, float]] = []
        self.seq = 0
        self.ready: deque[int] = deque(range(agents))
        self.talking: dict[int, float] = {}
        self.wrapping: dict[int, float] = {}
        self.pending_wrap: dict[int, float] = {}
        self.ringing: dict[int, float] = {}
        self.waiting: OrderedDict[int, float] = OrderedDict()
        self.results: Counter[str] = Counter()
        self.placed = self.answered = self.connected = self.dropped = 0
        self.busy = 0.0

    def push(self, at: float, kind: int, subject: int, value: float = 0.0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, kind, self.seq, subject, value))

    def tell(self, kind: OutcomeKind, at: float, seconds: float = 0.0) -> None:
        self.pacer.observe(Outcome(kind=kind, at=at, seconds=seconds))

    def run(self, grace: float, tick: float) -> None:
        self.push(0.0, _TICK, 0)
        while self.heap and self.heap[0][0] < self.end:
            at, kind, _, subject, value = heapq.heappop(self.heap)
            if kind == _TICK:
                self.on_tick(at, tick)
            elif kind == _RESOLVE:
                self.on_resolve(at, subject, value, grace)
            elif kind == _DROP_CHECK:
                self.on_drop_check(at, subject)
            elif kind == _TALK_END:
                self.on_talk_end(at, subject, value)
            else:
                self.on_wrap_end(at, subject, value)
        # Agents still busy at the end of the day: count their time up to the end.
        self.busy += sum(self.end - start for start in self.talking.values())
        self.busy += sum(self.end - start for start in self.wrapping.values())

    def snapshot(self, now: float) -> Snapshot:
        return Snapshot(
            now=now,
            agents_logged_in=self.agents,
            agents_ready=len(self.ready),
            agents_talking=tuple(now - start for start in self.talking.values()),
            agents_wrapping=tuple(now - start for start in self.wrapping.values()),
            calls_ringing=tuple(now - start for start in self.ringing.values()),
            calls_waiting=len(self.waiting),
        )

    def on_tick(self, now: float, tick: float) -> None:
        wanted = self.pacer.calls_to_place(self.snapshot(now))
        if wanted < 0:
            raise ValueError(f"pacer asked for {wanted} calls at {now:.1f} s")
        for _ in range(wanted):
            kind, delay = self.calls.attempt(self.attempt_rng)
            call = self.placed
            self.placed += 1
            self.ringing[call] = now
            self.results[kind] += 1
            self.push(now + delay, _RESOLVE, call, _KIND_CODES[kind])
        self.push(now + tick, _TICK, 0)

    def on_resolve(self, now: float, call: int, code: float, grace: float) -> None:
        ring = now - self.ringing.pop(call)
        kind = _KINDS[int(code)]
        self.tell(kind, now, ring)
        if kind != "answered":
            return
        self.answered += 1
        if self.ready:
            self.connect(self.ready.popleft(), now)
        else:
            self.waiting[call] = now
            self.push(now + grace, _DROP_CHECK, call)

    def on_drop_check(self, now: float, call: int) -> None:
        if self.waiting.pop(call, None) is not None:
            self.dropped += 1
            self.tell("dropped", now)

    def connect(self, agent: int, now: float) -> None:
        self.connected += 1
        self.tell("connected", now)
        talk, wrap = self.calls.conversation(self.talk_rng)
        self.talking[agent] = now
        self.pending_wrap[agent] = wrap
        self.push(now + talk, _TALK_END, agent, talk)

    def on_talk_end(self, now: float, agent: int, talk: float) -> None:
        self.busy += now - self.talking.pop(agent)
        self.tell("talk-ended", now, talk)
        wrap = self.pending_wrap.pop(agent)
        self.wrapping[agent] = now
        self.push(now + wrap, _WRAP_END, agent, wrap)

    def on_wrap_end(self, now: float, agent: int, wrap: float) -> None:
        self.busy += now - self.wrapping.pop(agent)
        self.tell("wrap-ended", now, wrap)
        if self.waiting:
            self.waiting.popitem(last=False)
            self.connect(agent, now)
        else:
            self.ready.append(agent)


_KINDS: tuple[AttemptKind, ...] = ("answered", "no-answer", "busy", "failed", "machine")
_KIND_CODES: dict[str, float] = {kind: float(code) for code, kind in enumerate(_KINDS)}


def simulate_day(
    pacer: Pacer,
    calls: CallSampler,
    *,
    agents: int,
    seconds: float,
    seed: int,
    method: str = "",
    grace: float = CONNECT_GRACE,
    tick: float = 1.0,
) -> DayResult:
    """Play one day of `seconds` with `agents` logged in; the same seed is the same day."""
    if agents < 1 or seconds <= 0.0 or tick <= 0.0 or grace < 0.0:
        raise ValueError("agents >= 1, seconds > 0, tick > 0 and grace >= 0 are required")
    day = _Day(pacer, calls, agents, seconds, seed)
    day.run(grace, tick)
    return DayResult(
        method=method,
        agents=agents,
        seconds=seconds,
        placed=day.placed,
        answered=day.answered,
        connected=day.connected,
        dropped=day.dropped,
        busy_seconds=day.busy,
        results=dict(day.results),
    )


def standard_methods(drop_target: float = 0.03) -> dict[str, Callable[[], Pacer]]:
    """The comparison the docs record: predictive against fixed ratios 1 and 2."""
    return {
        "predictive": lambda: make_pacer("predictive", drop_target=drop_target),
        "ratio 1": lambda: make_pacer("ratio", ratio=1.0),
        "ratio 2": lambda: make_pacer("ratio", ratio=2.0),
    }


def compare_methods(
    calls: CallSampler,
    *,
    agents: int,
    seconds: float,
    seed: int,
    methods: Mapping[str, Callable[[], Pacer]] | None = None,
) -> list[DayResult]:
    """The same seeded day played once per method (a fresh pacer each), in `methods` order."""
    chosen = standard_methods() if methods is None else methods
    return [
        simulate_day(factory(), calls, agents=agents, seconds=seconds, seed=seed, method=name)
        for name, factory in chosen.items()
    ]
