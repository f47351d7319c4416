"""Calls Centrex places itself: click-to-call's originator, a page's members.

Such a call has no caller INVITE to answer: its side A starts as a placeholder (`originated`,
CALLING, never sent to) holding the INVITE the phone is rung with, and the party's phone is
rung as the call's fork (every registered contact, the usual RING deadline). When a phone
answers, its dialog *becomes* side A (`take_answer`) and the call moves to ANSWERED without a
2xx to send — from then on it is an ordinary answered call the features may hand on.
"""

from __future__ import annotations

import logging

from centrex.calls import signalling as sig
from centrex.calls.call import Call, SipSide
from centrex.calls.core import CallCore
from centrex.calls.leg import CallInput, LegState
from centrex.data.models import Direction
from centrex.media.engine import NoCommonCodecError
from centrex.media.session import MediaLeg
from centrex.sip.errors import SipParseError
from centrex.sip.message import Response

log = logging.getLogger(__name__)


def placed_call(
    core: CallCore,
    *,
    tenant_id: int,
    domain: str,
    party: str,
    caller: str,
    callee: str,
    shown_name: str | None,
    sdp: bytes,
    peer: str,
    media: MediaLeg | None = None,
    licence_held: bool = False,
) -> Call:
    """A registered call ringing nobody yet, whose side A is the placeholder for `party`'s
    phones (ring it with `outbound.ring_extension(call, party, owner)`); the phones see
    `caller` (and `shown_name`) and the offer `sdp`."""
    invite = sig.invite_to(
        f"sip:{party}@{domain}",
        caller_uri=f"sip:{caller}@{domain}",
        caller_name=shown_name,
        callee_uri=f"sip:{party}@{domain}",
        local=core.local,
        transport="UDP",
        sdp=sdp,
    )
    a = SipSide(
        label="a", invite=invite, target=(core.local.host, 0), transport="UDP",  # never sent to
        local_tag=invite.from_.tag if invite.from_ and invite.from_.tag else "",
        peer=peer, media=media, started_at=core.now(), state=LegState.CALLING, originated=True,
    )  # fmt: skip
    call = Call(
        call_id=invite.call_id or "", tenant_id=tenant_id, domain=domain, caller=caller,
        callee=callee, direction=Direction.INTERNAL, started_at=core.now(), a=a,
        licence_held=licence_held, caller_name=shown_name,
    )  # fmt: skip
    core.register(call)
    return call


def take_answer(core: CallCore, call: Call, side: SipSide, response: Response) -> str | None:
    """The party's phone answered on `side` (already ACKed, the other forks cancelled): its
    dialog becomes side A, the placeholder is dropped, the call is ANSWERED. Returns why not
    (the answer's SDP unusable: `side` got BYE, the call is still to be rejected) or None."""
    try:
        if side.media is None:
            raise NoCommonCodecError("the media leg is gone")
        core.engine.set_remote(side.media, response.body, signalling_host=side.target[0])
    except (NoCommonCodecError, SipParseError, ValueError) as exc:
        log.warning("call %s: %s's answer is unusable: %s", call.call_id, side.peer, exc)
        core.bye(call, side)
        return str(exc)
    placeholder = call.a
    core.release_side(placeholder)
    core.dialogs.pop((call.call_id, placeholder.local_tag), None)
    call.forks.remove(side)
    side.label = "a"
    side.originated = True
    side.answered_at = core.now()
    call.a = side
    core.move(call, CallInput.ANSWER)  # RINGING -> ANSWERED: nothing to send (no INVITE)
    call.answered_at = side.answered_at
    return None
