"""Calls and legs as explicit state tables, with every call timer a deadline (pure).

Theory of operation
-------------------
A call is the caller's leg A (a UAS dialog, RFC 3261 §13.3) plus outbound legs B (UAC dialogs,
§13.2): forks of an extension, or trunk attempts one after the other. Two machines describe it:

* The **call** machine (`CallState` × `CallInput`) is what the API and the events show:
  ROUTING → RINGING (outbound legs or an app are being rung) → ANSWERED (the caller has its
  2xx) → ENDED. A call that is never answered ends from ROUTING or RINGING (a final error or
  the caller's CANCEL, §9.2); an answered one ends by BYE (§15), an administrator, or a timer.
  Ends are idempotent (a BYE racing a CANCEL, a timer after a hang-up): every input in ENDED
  is absorbed. A CANCEL after the 2xx is too late and changes nothing (§9.2).
* The **leg** machine (`LegState` × `LegInput`) follows one dialog. A UAS leg starts INCOMING,
  goes EARLY with a 1xx (§13.3.1.1), ACCEPTED when its 2xx is sent and CONFIRMED on the ACK
  (§13.3.1.4); a UAC leg starts CALLING, goes EARLY on a provisional response and CONFIRMED on
  its 2xx, which the B2BUA ACKs at once (§13.2.2.4). CANCELLING is a UAC leg we have given up
  on: a 2xx arriving there is ACKed and BYE'd (the fork lost the race, §15). Any final error,
  a BYE, a CANCEL (UAS) or a transaction time-out (§17.1.1.2 Timer B, §17.1.4 transport error)
  makes the leg TERMINATED. RFC 6026 leaves 2xx retransmission to the transaction user; that is
  this layer's job, so the UAS leg's ACCEPTED state carries two timers (below).

Each table maps `(state, input) -> (action, next state)`; a pair without an entry is a typed
`IllegalMove`, which the B2BUA logs and drops, never a half-applied change. The tables are the
whole behaviour, and tests sweep every pair.

Timers are deadlines on the caller's clock (`CallTimers`); nothing here reads time:
* RING: the ring timeout of the outbound legs of an extension (then voicemail or 480);
* TRUNK_SETUP: a carrier that sent nothing within the set-up timeout is cancelled and the next
  trunk tried (`router.should_fail_over`);
* RETRANSMIT_2XX / ACK_WAIT: §13.3.1.4 — the 2xx to an unreliable UAS leg is resent at T1,
  then doubling up to T2 (0.5, 1.5, 3.5, 7.5, 11.5 … s after it was sent), re-armed from the
  previous *deadline* so a late wake-up keeps the schedule; with no ACK by 64*T1 = 32 s the
  dialog is confirmed and immediately ended with BYE on both legs, the CDR closed as failed;
* MAX_DURATION: the longest a call may last (prepaid credit, a tenant's cap), then BYE both;
* SESSION_EXPIRES: RFC 4028 §10 — when the caller asked for a session interval, a refresh
  (re-INVITE or UPDATE) must arrive before it passes; otherwise the session is dead and the
  call is ended with BYE, as the non-refreshing side must do;
* FEATURE: a call feature's own deadline (a parked call's ring-back), keyed by the feature's
  name in place of a leg label, handed to that feature (`FeatureHooks.on_timer`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from centrex.sip.timers import TimerConfig


class IllegalMove(Exception):
    """An input that the state machine has no move for (a bug or a protocol violation)."""

    def __init__(self, machine: str, state: enum.Enum, event: enum.Enum) -> None:
        super().__init__(f"{machine}: no move for {event.name} in state {state.name}")
        self.machine = machine
        self.state = state
        self.event = event


# ---- the call ----------------------------------------------------------------------------------
class CallState(enum.Enum):
    """What the API and the events show of a call (the values are part of the API)."""

    ROUTING = "started"
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


class CallInput(enum.Enum):
    RING = "ring"  # outbound legs are being rung (an extension's forks, a trunk)
    APP = "app"  # an application takes the caller (voicemail, IVR) and will answer it
    ANSWER = "answer"  # the caller gets its 2xx (a leg or the app answered)
    REJECT = "reject"  # a final error to the caller (nobody answered, no route, no codec)
    CANCEL = "cancel"  # the caller's CANCEL (§9.2)
    HANGUP = "hangup"  # BYE from a party, an administrator, a timer


class CallAction(enum.Enum):
    NONE = "none"  # nothing to do (an end that is already over, a CANCEL after the 2xx)
    RING = "ring"  # send the INVITEs
    START_APP = "start-app"  # hand the caller's leg to the app
    CONNECT = "connect"  # 200 to the caller, bridge the media, CDR answered
    REJECT = "reject"  # final error to the caller, CANCEL the legs still ringing, CDR closed
    REJECT_CANCELLED = "reject-cancelled"  # 487 to the caller, CANCEL the legs, CDR cancelled
    RELEASE = "release"  # BYE the other side, free media and licence, CDR closed


_C, _CI, _CA = CallState, CallInput, CallAction
CALL_TABLE: dict[tuple[CallState, CallInput], tuple[CallAction, CallState]] = {
    (_C.ROUTING, _CI.RING): (_CA.RING, _C.RINGING),
    (_C.ROUTING, _CI.APP): (_CA.START_APP, _C.RINGING),
    (_C.ROUTING, _CI.REJECT): (_CA.REJECT, _C.ENDED),
    (_C.ROUTING, _CI.CANCEL): (_CA.REJECT_CANCELLED, _C.ENDED),
    (_C.ROUTING, _CI.HANGUP): (_CA.REJECT, _C.ENDED),
    (_C.RINGING, _CI.RING): (_CA.RING, _C.RINGING),  # more forks, the next trunk
    (_C.RINGING, _CI.APP): (_CA.START_APP, _C.RINGING),  # nobody answered: voicemail
    (_C.RINGING, _CI.ANSWER): (_CA.CONNECT, _C.ANSWERED),
    (_C.RINGING, _CI.REJECT): (_CA.REJECT, _C.ENDED),
    (_C.RINGING, _CI.CANCEL): (_CA.REJECT_CANCELLED, _C.ENDED),
    (_C.RINGING, _CI.HANGUP): (_CA.REJECT, _C.ENDED),
    (_C.ANSWERED, _CI.CANCEL): (_CA.NONE, _C.ANSWERED),  # too late: §9.2
    # an answered caller handed to an app: voicemail as a transfer's target, a park fallback
    (_C.ANSWERED, _CI.APP): (_CA.START_APP, _C.ANSWERED),
    (_C.ANSWERED, _CI.HANGUP): (_CA.RELEASE, _C.ENDED),
    (_C.ENDED, _CI.RING): (_CA.NONE, _C.ENDED),  # the caller left while we looked things up
    (_C.ENDED, _CI.APP): (_CA.NONE, _C.ENDED),
    (_C.ENDED, _CI.ANSWER): (_CA.NONE, _C.ENDED),
    (_C.ENDED, _CI.REJECT): (_CA.NONE, _C.ENDED),
    (_C.ENDED, _CI.CANCEL): (_CA.NONE, _C.ENDED),
    (_C.ENDED, _CI.HANGUP): (_CA.NONE, _C.ENDED),
}  # fmt: skip


def call_move(state: CallState, event: CallInput) -> tuple[CallAction, CallState]:
    """The call table's move for `event` in `state` (raises `IllegalMove`)."""
    try:
        return CALL_TABLE[(state, event)]
    except KeyError:
        raise IllegalMove("call", state, event) from None


# ---- one leg (dialog) --------------------------------------------------------------------------
class LegState(enum.Enum):
    INCOMING = "incoming"  # UAS: INVITE received, nothing sent but 100
    CALLING = "calling"  # UAC: INVITE sent
    EARLY = "early"  # a 1xx sent (UAS) or received (UAC)
    ACCEPTED = "accepted"  # UAS: 2xx sent, waiting for the ACK (§13.3.1.4)
    CANCELLING = "cancelling"  # UAC: CANCEL sent, waiting for the 487 (or a late 2xx)
    CONFIRMED = "confirmed"  # the dialog is up
    TERMINATED = "terminated"


class LegInput(enum.Enum):
    PROVISIONAL = "1xx"  # sent (UAS) or received (UAC)
    SUCCESS = "2xx"  # sent (UAS) or received (UAC)
    FAILURE = "300-699"  # sent (UAS) or received (UAC)
    ACK = "ack"  # UAS: the ACK of our 2xx
    CANCEL = "cancel"  # UAC: we CANCEL; UAS: the caller CANCELs
    BYE = "bye"  # sent or received
    ACK_TIMEOUT = "ack-timeout"  # UAS: no ACK within 64*T1
    TIMEOUT = "timeout"  # UAC: Timer B or a transport error (§17.1.1.2, §17.1.4)


class LegAction(enum.Enum):
    NONE = "none"
    START_2XX_TIMERS = "start-2xx-timers"  # UAS on unreliable transports: RETRANSMIT_2XX, ACK_WAIT
    STOP_2XX_TIMERS = "stop-2xx-timers"
    ACK = "ack"  # UAC: ACK the 2xx
    ACK_AND_BYE = "ack-and-bye"  # UAC: a 2xx on a leg we gave up on: confirm, then end it
    SEND_CANCEL = "send-cancel"
    END_CALL = "end-call"  # the dialog is gone without BYE: the call must end (no ACK)
    RELEASE = "release"  # free the leg's media and trunk slot


_L, _LI, _LA = LegState, LegInput, LegAction
# After the end every late message is absorbed, except a 2xx: a UAC leg that is gone must still
# confirm and end the dialog the far end thinks it has (§15).
_TERMINATED_ROWS: dict[tuple[LegState, LegInput], tuple[LegAction, LegState]] = {
    (_L.TERMINATED, event): (_LA.NONE, _L.TERMINATED) for event in LegInput
}

UAS_TABLE: dict[tuple[LegState, LegInput], tuple[LegAction, LegState]] = {
    (_L.INCOMING, _LI.PROVISIONAL): (_LA.NONE, _L.EARLY),
    (_L.INCOMING, _LI.SUCCESS): (_LA.START_2XX_TIMERS, _L.ACCEPTED),
    (_L.INCOMING, _LI.FAILURE): (_LA.RELEASE, _L.TERMINATED),
    (_L.INCOMING, _LI.CANCEL): (_LA.RELEASE, _L.TERMINATED),
    (_L.EARLY, _LI.PROVISIONAL): (_LA.NONE, _L.EARLY),
    (_L.EARLY, _LI.SUCCESS): (_LA.START_2XX_TIMERS, _L.ACCEPTED),
    (_L.EARLY, _LI.FAILURE): (_LA.RELEASE, _L.TERMINATED),
    (_L.EARLY, _LI.CANCEL): (_LA.RELEASE, _L.TERMINATED),
    (_L.ACCEPTED, _LI.ACK): (_LA.STOP_2XX_TIMERS, _L.CONFIRMED),
    (_L.ACCEPTED, _LI.BYE): (_LA.STOP_2XX_TIMERS, _L.TERMINATED),  # a BYE may precede the ACK
    (_L.ACCEPTED, _LI.ACK_TIMEOUT): (_LA.END_CALL, _L.TERMINATED),
    (_L.ACCEPTED, _LI.CANCEL): (_LA.NONE, _L.ACCEPTED),  # too late (§9.2)
    (_L.CONFIRMED, _LI.ACK): (_LA.NONE, _L.CONFIRMED),  # an ACK retransmission
    (_L.CONFIRMED, _LI.CANCEL): (_LA.NONE, _L.CONFIRMED),
    (_L.CONFIRMED, _LI.BYE): (_LA.RELEASE, _L.TERMINATED),
    **_TERMINATED_ROWS,
}  # fmt: skip

UAC_TABLE: dict[tuple[LegState, LegInput], tuple[LegAction, LegState]] = {
    (_L.CALLING, _LI.PROVISIONAL): (_LA.NONE, _L.EARLY),
    (_L.CALLING, _LI.SUCCESS): (_LA.ACK, _L.CONFIRMED),
    (_L.CALLING, _LI.FAILURE): (_LA.RELEASE, _L.TERMINATED),
    (_L.CALLING, _LI.CANCEL): (_LA.SEND_CANCEL, _L.CANCELLING),
    (_L.CALLING, _LI.TIMEOUT): (_LA.RELEASE, _L.TERMINATED),
    (_L.EARLY, _LI.PROVISIONAL): (_LA.NONE, _L.EARLY),
    (_L.EARLY, _LI.SUCCESS): (_LA.ACK, _L.CONFIRMED),
    (_L.EARLY, _LI.FAILURE): (_LA.RELEASE, _L.TERMINATED),
    (_L.EARLY, _LI.CANCEL): (_LA.SEND_CANCEL, _L.CANCELLING),
    (_L.EARLY, _LI.TIMEOUT): (_LA.RELEASE, _L.TERMINATED),
    (_L.CANCELLING, _LI.PROVISIONAL): (_LA.NONE, _L.CANCELLING),
    (_L.CANCELLING, _LI.SUCCESS): (_LA.ACK_AND_BYE, _L.TERMINATED),  # lost the race (§15)
    (_L.CANCELLING, _LI.FAILURE): (_LA.NONE, _L.TERMINATED),  # the 487 we asked for
    (_L.CANCELLING, _LI.CANCEL): (_LA.NONE, _L.CANCELLING),
    (_L.CANCELLING, _LI.TIMEOUT): (_LA.NONE, _L.TERMINATED),
    (_L.CONFIRMED, _LI.SUCCESS): (_LA.ACK, _L.CONFIRMED),  # a 2xx retransmission: ACK again
    (_L.CONFIRMED, _LI.CANCEL): (_LA.NONE, _L.CONFIRMED),  # answered already: nothing to cancel
    (_L.CONFIRMED, _LI.BYE): (_LA.RELEASE, _L.TERMINATED),
    (_L.CONFIRMED, _LI.TIMEOUT): (_LA.NONE, _L.CONFIRMED),  # a re-INVITE timed out
    **_TERMINATED_ROWS,
    (_L.TERMINATED, _LI.SUCCESS): (_LA.ACK_AND_BYE, _L.TERMINATED),  # a late fork's 2xx
}  # fmt: skip


def leg_move(state: LegState, event: LegInput, *, uas: bool) -> tuple[LegAction, LegState]:
    """The move for `event` in `state` in the UAS or UAC table (raises `IllegalMove`)."""
    table = UAS_TABLE if uas else UAC_TABLE
    try:
        return table[(state, event)]
    except KeyError:
        raise IllegalMove("uas leg" if uas else "uac leg", state, event) from None


# ---- deadlines ---------------------------------------------------------------------------------
class TimerKind(enum.Enum):
    RING = "ring"
    TRUNK_SETUP = "trunk-setup"
    RETRANSMIT_2XX = "retransmit-2xx"
    ACK_WAIT = "ack-wait"
    MAX_DURATION = "max-duration"
    SESSION_EXPIRES = "session-expires"
    FEATURE = "feature"  # a call feature's deadline; the "leg" is the feature's name


TimerKey = tuple[TimerKind, str]  # the kind and the leg label it belongs to ("" for the call)


@dataclass(frozen=True, slots=True)
class DueTimer:
    kind: TimerKind
    leg: str
    deadline: float


class CallTimers:
    """The deadlines of one call, keyed by kind and leg label. Pure: `now` is an argument."""

    __slots__ = ("_deadlines", "_intervals")

    def __init__(self) -> None:
        self._deadlines: dict[TimerKey, float] = {}
        self._intervals: dict[TimerKey, float] = {}

    def arm(self, kind: TimerKind, now: float, interval: float, leg: str = "") -> float:
        """Arm `kind` (for `leg`) to fire `interval` s after `now`; returns the deadline."""
        deadline = now + interval
        self._deadlines[(kind, leg)] = deadline
        self._intervals[(kind, leg)] = interval
        return deadline

    def rearm(self, kind: TimerKind, previous: float, interval: float, leg: str = "") -> float:
        """Re-arm `interval` after the deadline it just fired at (exact schedules)."""
        return self.arm(kind, previous, interval, leg)

    def interval(self, kind: TimerKind, leg: str = "") -> float:
        return self._intervals.get((kind, leg), 0.0)

    def deadline(self, kind: TimerKind, leg: str = "") -> float | None:
        return self._deadlines.get((kind, leg))

    def cancel(self, kind: TimerKind, leg: str = "") -> None:
        self._deadlines.pop((kind, leg), None)

    def cancel_leg(self, leg: str) -> None:
        """Disarm every timer of one leg (it ended)."""
        for key in [k for k in self._deadlines if k[1] == leg]:
            del self._deadlines[key]

    def clear(self) -> None:
        self._deadlines.clear()

    def next_deadline(self) -> float | None:
        return min(self._deadlines.values()) if self._deadlines else None

    def pop_due(self, now: float) -> list[DueTimer]:
        """Disarm and return every timer due at `now`, earliest first (ties by kind, leg)."""
        due = sorted(
            (deadline, key[0].value, key[1], key[0])
            for key, deadline in self._deadlines.items()
            if deadline <= now
        )
        for _, _, leg, kind in due:
            del self._deadlines[(kind, leg)]
        return [DueTimer(kind, leg, deadline) for deadline, _, leg, kind in due]

    def __contains__(self, key: object) -> bool:
        return key in self._deadlines

    def __len__(self) -> int:
        return len(self._deadlines)


def next_2xx_interval(interval: float, config: TimerConfig) -> float:
    """§13.3.1.4: the next 2xx retransmission interval, doubling up to T2."""
    return min(interval * 2, config.t2)


def ack_wait(config: TimerConfig) -> float:
    """§13.3.1.4: how long a 2xx waits for its ACK before the dialog is given up (64*T1)."""
    return config.transaction_timeout
