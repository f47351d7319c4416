"""The state of one call: an inbound SIP side (A) and outbound sides (B forks / trunk attempts).

A `Call` is plain state; the B2BUA (`b2bua.py`) moves it. Every side keeps what is needed to
talk to its party later (dialog, target address, transport) and its media leg, so the B2BUA can
relay in-dialog requests between the two sides without re-deriving anything.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from centrex.calls.router import TrunkRef
from centrex.calls.transfer import AppTransfer
from centrex.data.models import Direction
from centrex.media.session import MediaLeg
from centrex.sip.dialog import Dialog
from centrex.sip.events import Address
from centrex.sip.matching import ClientKey, ServerKey
from centrex.sip.message import Request, Response


class CallState(Enum):
    ROUTING = "started"
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


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
    answered: bool = False
    ended: bool = False
    trunk: TrunkRef | None = None
    cdr_leg_id: int | None = None
    auth_tried: bool = False
    started_at: datetime | None = None
    answered_at: datetime | None = None


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
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    ack_waiter: asyncio.TimerHandle | None = None
    response_to_a: Response | None = None
    hangup_side: str | None = None
    transfer: AppTransfer | None = None  # an app handing its answered caller on (transfer.py)

    @property
    def transferring(self) -> bool:
        """An app's transfer is ringing its target (the caller's side is already answered)."""
        return self.transfer is not None and self.transfer.ringing

    @property
    def alerting(self) -> bool:
        """Outbound sides are being rung: the call's own setup, or an app's transfer."""
        return self.state is CallState.RINGING or self.transferring

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()
        if self.ack_waiter is not None:
            self.ack_waiter.cancel()
            self.ack_waiter = None

    def side_for_dialog(self, call_id: str, local_tag: str | None) -> SipSide | None:
        """The side a request with this Call-ID and our tag belongs to."""
        for side in (self.a, *(f for f in self.forks), *([self.b] if self.b else [])):
            if side.local_tag == local_tag and _call_id_of(side) == call_id:
                return side
        return None

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
