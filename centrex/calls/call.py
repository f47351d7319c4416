"""The state of one call: an inbound SIP side (A) and outbound sides (B forks / trunk attempts).

A `Call` is plain state; the call layer moves it, and only through the tables of `leg.py`
(`CallCore.move` for the call, `CallCore.leg` for a side), so the state a call or a side is in
is always one the tables allow. Every side keeps what is needed to talk to its party later
(dialog, target address, transport) and its media leg, so in-dialog requests are relayed between
the two sides without re-deriving anything. Timers are deadlines in `Call.timers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from centrex.calls.leg import CallState, CallTimers, LegState
from centrex.calls.router import TrunkRef
from centrex.calls.transfer import AppTransfer
from centrex.data.models import Direction
from centrex.media.session import MediaLeg
from centrex.sip.dialog import Dialog
from centrex.sip.events import Address
from centrex.sip.matching import ClientKey, ServerKey
from centrex.sip.message import Request, Response

if TYPE_CHECKING:
    from centrex.calls.outbound import RingOwner

__all__ = ["Call", "CallState", "SipSide"]


@dataclass(eq=False)
class SipSide:
    """One SIP dialog of a call, seen from Centrex."""

    label: str  # "a" for the caller's side, "b1", "b2"... for outbound attempts
    invite: Request  # the INVITE received (A) or sent (B)
    target: Address  # where requests to this party go (its NAT-mapped source for A)
    transport: str
    local_tag: str
    peer: str  # who the party is (extension number, trunk name), for CDR legs
    media: MediaLeg | None = None
    server_key: ServerKey | None = None
    client_key: ClientKey | None = None
    dialog: Dialog | None = None
    last_response: Response | None = None
    state: LegState = LegState.CALLING  # the caller's side starts INCOMING
    trunk: TrunkRef | None = None
    trunk_held: bool = False  # this side holds one of the trunk's channels (`CallLimits`)
    cdr_leg_id: int | None = None
    cdr_leg_closed: bool = False
    auth_tried: bool = False
    started_at: datetime | None = None
    answered_at: datetime | None = None
    next_2xx: float = 0.0  # when the caller's 2xx was last (re)sent (§13.3.1.4)
    # given up before any provisional arrived: its CANCEL waits for one (RFC 3261 §9.1)
    cancel_pending: bool = False
    # Centrex sent this dialog's INVITE although it is the call's side A: the first side of a
    # call placed from the API (click-to-call), or a callee that became side A when its caller
    # was transferred away (`features/parties.py`). There is no INVITE of the party to answer.
    originated: bool = False

    @property
    def uas(self) -> bool:
        """The caller's side, which called us: we are its UAS."""
        return self.label == "a" and not self.originated

    @property
    def ended(self) -> bool:
        return self.state is LegState.TERMINATED

    @property
    def answered(self) -> bool:
        """The side's dialog got (UAC) or gave (UAS) a 2xx."""
        return self.answered_at is not None or self.state in (
            LegState.ACCEPTED,
            LegState.CONFIRMED,
        )


@dataclass(eq=False)
class Call:
    """A call in progress and everything needed to end it cleanly and account for it."""

    call_id: str  # the caller's Call-ID: the key the API and events use
    tenant_id: int
    domain: str
    caller: str
    callee: str
    direction: Direction
    started_at: datetime
    a: SipSide
    state: CallState = CallState.ROUTING
    forks: list[SipSide] = field(default_factory=list)
    b: SipSide | None = None
    cdr_id: int | None = None
    answered_at: datetime | None = None
    licence_held: bool = False
    emergency: bool = False
    pending_trunks: list[TrunkRef] = field(default_factory=list)
    dialled_number: str = ""
    caller_id: str | None = None
    # the caller's name for the tenant's phones (From display name): its extension's name
    # (features/caller_id.py), else what its phone sent
    caller_name: str | None = None
    timers: CallTimers = field(default_factory=CallTimers)
    response_to_a: Response | None = None
    ring_owner: RingOwner | None = None  # who decides what an answer or a failure means
    hangup_side: str | None = None
    transfer: AppTransfer | None = None  # an app handing its answered caller on (transfer.py)
    # the longest this call may last once answered (a prepaid call's credit; None: no cap)
    max_seconds: float | None = None

    @property
    def transferring(self) -> bool:
        """An app's transfer is ringing its target (the caller's side is already answered)."""
        return self.transfer is not None and self.transfer.ringing

    @property
    def alerting(self) -> bool:
        """Outbound sides are being rung: the call's own setup, or an app's transfer."""
        return self.state is CallState.RINGING or self.transferring

    def side_for_dialog(self, call_id: str, local_tag: str | None) -> SipSide | None:
        """The side a request with this Call-ID and our tag belongs to."""
        for side in (self.a, *(f for f in self.forks), *([self.b] if self.b else [])):
            if side.local_tag == local_tag and _call_id_of(side) == call_id:
                return side
        return None

    def side(self, label: str) -> SipSide | None:
        """The side with this label ("a", "b1"...)."""
        if label == "a":
            return self.a
        return next((s for s in self.forks if s.label == label), None)

    def other(self, side: SipSide) -> SipSide | None:
        """The party on the far end of `side`."""
        if side is self.a:
            return self.b
        return self.a

    def view(self) -> dict[str, object]:
        """JSON-friendly live view for the API."""
        return {
            "call_id": self.call_id,
            "caller": self.caller,
            "callee": self.callee,
            "direction": self.direction.value,
            "state": self.state.value,
            "started_at": self.started_at.isoformat(),
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
        }


def _call_id_of(side: SipSide) -> str | None:
    return side.invite.call_id
