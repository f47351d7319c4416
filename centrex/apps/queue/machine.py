"""One caller waiting in an ACD queue, as an explicit state table (issue 13 item 4).

Theory of operation
-------------------
A caller enters the queue (WAITING, music on hold). While it waits, three deadlines run on the
caller's clock — nothing here reads time, the queue app passes `now` and asks `next_deadline()`:

* the next position announcement (the first `first_announce` seconds after entry, then every
  `announce_every` seconds, when the queue announces);
* the maximum wait (`max_wait`): the caller overflows to the queue's fallback;
* no agent logged in at all (`NO_AGENTS`): the caller overflows at once, it would wait forever.

When the queue feature finds free agents for the caller at the head of the queue it feeds
`AGENT_FREE`: the caller is OFFERING (the agents' phones ring, the caller keeps its music).
The first agent to answer (`ANSWERED`) takes the caller: CONNECTED, the end. Nobody answered
(`OFFER_FAILED`: ring time out, declined, busy): back to WAITING; the wait clock keeps running
(the maximum wait counts from entry, not from the last offer). A maximum wait that expires
while an offer rings does not interrupt it: the caller overflows only if the offer fails (an
agent about to answer is better than a fallback; back in WAITING the overdue timer fires at
once). The caller hanging up (`HANGUP`) in WAITING
or OFFERING is ABANDONED — the statistics count it.

Callbacks ("press 1 to be called back, you keep your place", queues with `callback` on; the
order of the steps and why are in `callback.py`): a WAITING caller pressing 1 is
`CALLBACK_REQUESTED` -> CALLBACK_PENDING (confirm and hang up; the entry stays in the line, no
announcement, no maximum wait: nobody is on the line to overflow). At the head of the line
with an agent free (`AGENT_FREE`): the agent is reserved and the caller is rung,
CALLBACK_DIALING. The caller answers (`CALLER_ANSWERED`): OFFERING the reserved agent, as for
any caller (from then on the maximum wait counts from the answer). Not reached
(`CALLER_NOT_REACHED`, the app feeds `LAST_NOT_REACHED` for the last attempt): CALLBACK_RETRY
until the retry timer (`RETRY_TIMER`, `retry_every` s later) puts it back to CALLBACK_PENDING
at its place, or CALLBACK_FAILED (final, counted as a failed callback) after the last attempt.

Like `sip/transaction.py`, the table `(state, input) -> (action, next state)` is the whole
behaviour: an input with no entry is a protocol error (`QueueMachineError`) and tests sweep
every pair. The final states (CONNECTED, OVERFLOWED, ABANDONED) accept nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class QueueMachineError(RuntimeError):
    """An input the caller's current state does not accept."""


class WaitState(enum.Enum):
    WAITING = "waiting"
    OFFERING = "offering"
    CONNECTED = "connected"
    OVERFLOWED = "overflowed"
    ABANDONED = "abandoned"
    CALLBACK_PENDING = "callback-pending"  # the caller hung up, its entry keeps its place
    CALLBACK_DIALING = "callback-dialing"  # an agent is reserved, the caller's phone rings
    CALLBACK_RETRY = "callback-retry"  # not reached: the next attempt after the retry delay
    CALLBACK_FAILED = "callback-failed"  # every attempt unanswered


class WaitInput(enum.Enum):
    AGENT_FREE = "agent-free"  # the feature has agents to ring for this caller
    ANSWERED = "answered"  # an offered agent answered
    OFFER_FAILED = "offer-failed"  # every offered agent failed (time out, declined, busy)
    ANNOUNCE_TIMER = "announce-timer"  # time for a position / estimated-wait announcement
    MAX_WAIT_TIMER = "max-wait-timer"  # the queue's maximum wait is over
    NO_AGENTS = "no-agents"  # nobody is logged in to the queue
    HANGUP = "hangup"  # the caller left
    CALLBACK_REQUESTED = "callback-requested"  # the caller pressed 1 (callback queues)
    CALLER_ANSWERED = "caller-answered"  # the caller answered its callback
    CALLER_NOT_REACHED = "caller-not-reached"  # the callback went unanswered, attempts left
    LAST_NOT_REACHED = "last-not-reached"  # the last attempt went unanswered
    RETRY_TIMER = "retry-timer"  # the delay before the next callback attempt is over


class WaitAction(enum.Enum):
    NONE = "none"
    OFFER = "offer"  # ring the agents (music goes on)
    BRIDGE = "bridge"  # the caller talks to the agent now
    ANNOUNCE = "announce"  # play the position / estimated wait, then music again
    OVERFLOW = "overflow"  # hand the caller to the fallback
    RECORD_ABANDON = "record-abandon"  # count the abandoned call
    CONFIRM_CALLBACK = "confirm-callback"  # "we will call you back at N", then hang up
    DIAL_CALLER = "dial-caller"  # ring the caller back (the offered agents stay reserved)
    RELEASE_AGENTS = "release-agents"  # the caller was not reached: the reserved agents are free
    RECORD_FAILED = "record-failed"  # count the failed callback


FINAL = frozenset({WaitState.CONNECTED, WaitState.OVERFLOWED, WaitState.ABANDONED,
                   WaitState.CALLBACK_FAILED})  # fmt: skip
CALLBACK_STATES = frozenset({WaitState.CALLBACK_PENDING, WaitState.CALLBACK_DIALING,
                             WaitState.CALLBACK_RETRY})  # fmt: skip

S, In, A = WaitState, WaitInput, WaitAction
TABLE: dict[tuple[WaitState, WaitInput], tuple[WaitAction, WaitState]] = {
    (S.WAITING, In.AGENT_FREE): (A.OFFER, S.OFFERING),
    (S.WAITING, In.ANNOUNCE_TIMER): (A.ANNOUNCE, S.WAITING),
    (S.WAITING, In.MAX_WAIT_TIMER): (A.OVERFLOW, S.OVERFLOWED),
    (S.WAITING, In.NO_AGENTS): (A.OVERFLOW, S.OVERFLOWED),
    (S.WAITING, In.HANGUP): (A.RECORD_ABANDON, S.ABANDONED),
    (S.WAITING, In.CALLBACK_REQUESTED): (A.CONFIRM_CALLBACK, S.CALLBACK_PENDING),
    (S.OFFERING, In.ANSWERED): (A.BRIDGE, S.CONNECTED),
    (S.OFFERING, In.OFFER_FAILED): (A.NONE, S.WAITING),
    (S.OFFERING, In.ANNOUNCE_TIMER): (A.NONE, S.OFFERING),  # no prompt over a ringing offer
    (S.OFFERING, In.MAX_WAIT_TIMER): (A.NONE, S.OFFERING),  # see the module docstring
    (S.OFFERING, In.NO_AGENTS): (A.NONE, S.OFFERING),
    (S.OFFERING, In.HANGUP): (A.RECORD_ABANDON, S.ABANDONED),
    (S.OFFERING, In.CALLBACK_REQUESTED): (A.NONE, S.OFFERING),  # an agent rings: too late
    (S.CALLBACK_PENDING, In.AGENT_FREE): (A.DIAL_CALLER, S.CALLBACK_DIALING),
    (S.CALLBACK_PENDING, In.NO_AGENTS): (A.NONE, S.CALLBACK_PENDING),  # someone logs in later
    (S.CALLBACK_PENDING, In.MAX_WAIT_TIMER): (A.NONE, S.CALLBACK_PENDING),
    (S.CALLBACK_DIALING, In.CALLER_ANSWERED): (A.OFFER, S.OFFERING),
    (S.CALLBACK_DIALING, In.CALLER_NOT_REACHED): (A.RELEASE_AGENTS, S.CALLBACK_RETRY),
    (S.CALLBACK_DIALING, In.LAST_NOT_REACHED): (A.RECORD_FAILED, S.CALLBACK_FAILED),
    (S.CALLBACK_RETRY, In.RETRY_TIMER): (A.NONE, S.CALLBACK_PENDING),
    (S.CALLBACK_RETRY, In.NO_AGENTS): (A.NONE, S.CALLBACK_RETRY),
    (S.CALLBACK_RETRY, In.MAX_WAIT_TIMER): (A.NONE, S.CALLBACK_RETRY),
}  # fmt: skip


@dataclass
class WaitingCaller:
    """One caller's wait: its state, the deadlines, and when things happened."""

    entered_at: float
    max_wait: float
    announce_every: float | None = None  # None: the queue makes no announcements
    first_announce: float | None = None  # None: after `announce_every`, like the others
    state: WaitState = WaitState.WAITING
    answered_at: float | None = None
    ended_at: float | None = None
    offers: int = 0
    attempts: int = 3  # callback attempts at most (the queue's `callback_attempts`)
    retry_every: float = 30.0  # seconds between two callback attempts
    dialled: int = 0  # callback attempts made
    callback: bool = False  # the caller asked to be called back
    _next_announce: float | None = field(default=None, init=False)
    _wait_from: float = field(default=0.0, init=False)  # the maximum wait counts from here
    _retry_at: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._wait_from = self.entered_at
        if self.announce_every is not None:
            first = self.announce_every if self.first_announce is None else self.first_announce
            self._next_announce = self.entered_at + first

    @property
    def max_wait_at(self) -> float:
        return self._wait_from + self.max_wait

    @property
    def retry_at(self) -> float | None:
        """When the next callback attempt may be made (in CALLBACK_RETRY)."""
        return self._retry_at if self.state is WaitState.CALLBACK_RETRY else None

    def not_reached(self, now: float) -> WaitAction:
        """The callback went unanswered: retry later, or give up after the last attempt."""
        last = self.dialled >= self.attempts
        return self.feed(WaitInput.LAST_NOT_REACHED if last else WaitInput.CALLER_NOT_REACHED,
                         now)  # fmt: skip

    def feed(self, event: WaitInput, now: float) -> WaitAction:
        """Apply `event` at `now`; the action for the app to carry out."""
        try:
            action, following = TABLE[(self.state, event)]
        except KeyError:
            raise QueueMachineError(f"{event.value} in state {self.state.value}") from None
        self.state = following
        if action is WaitAction.OFFER:
            self.offers += 1
            if event is WaitInput.CALLER_ANSWERED:
                self._wait_from = now  # back on the line: a fresh maximum wait
        elif action is WaitAction.CONFIRM_CALLBACK:
            self.callback = True
        elif action is WaitAction.DIAL_CALLER:
            self.dialled += 1
        elif action is WaitAction.RELEASE_AGENTS:
            self._retry_at = now + self.retry_every
        elif action is WaitAction.BRIDGE:
            self.answered_at = now
        elif action is WaitAction.ANNOUNCE and self.announce_every is not None:
            self._next_announce = now + self.announce_every
        if self.state in FINAL:
            self.ended_at = now
        return action

    def next_deadline(self) -> float | None:
        """The earliest timer still to fire (None in a final state, or while offering with
        nothing to wait for but the offer's own outcome)."""
        if self.state is WaitState.CALLBACK_RETRY:
            return self._retry_at
        if self.state is not WaitState.WAITING:
            return None
        if self._next_announce is not None:
            return min(self._next_announce, self.max_wait_at)
        return self.max_wait_at

    def handle_timer(self, now: float) -> WaitAction:
        """Fire the timer due at `now` (the maximum wait first); NONE when nothing is due."""
        if self.state is WaitState.CALLBACK_RETRY:
            if self._retry_at is not None and now >= self._retry_at:
                return self.feed(WaitInput.RETRY_TIMER, now)
            return WaitAction.NONE
        if self.state is not WaitState.WAITING:
            return WaitAction.NONE
        if now >= self.max_wait_at:
            return self.feed(WaitInput.MAX_WAIT_TIMER, now)
        if self._next_announce is not None and now >= self._next_announce:
            return self.feed(WaitInput.ANNOUNCE_TIMER, now)
        return WaitAction.NONE

    def waited(self, now: float) -> float:
        """Seconds waited until answered, left, overflowed, or `now` while still waiting."""
        end = self.answered_at if self.answered_at is not None else self.ended_at
        return (end if end is not None else now) - self.entered_at


def estimated_wait(position: int, avg_handle_seconds: float, agents: int) -> float:
    """Estimated seconds until a caller at `position` (1 first) is answered: the callers before
    it and itself, served by `agents` at the average handling time (talk + wrap-up). Pure."""
    if agents <= 0:
        return float("inf")
    return position * avg_handle_seconds / agents
