"""One call takes over the caller of another: the picker of a pickup, the retriever of a park.

Pickup (`*8`, `**N`) and a park retrieve (`701`) are calls a phone places to a feature number;
what the phone wants is to become the far party of *another* call — the call ringing a
colleague, the call parked in the slot. Rather than bridging two calls (whose ends would have
to be tied together), the phone's dialog moves into that other call as its side B:

* its INVITE is answered 200 with an SDP answer of its own media leg (RFC 3264 §6), made for
  the leg it is bridged to (the other call's caller), and its dialog is indexed under the
  other call, so its ACK, BYE and re-INVITEs (hold) find that call (RFC 3261 §12.2.2);
* the feature call it placed ends without a SIP message (the dialog lives on): out of the
  indexes, its licence slot freed, its CDR closed as answered with the feature's cause
  (`picked-up`, `park-retrieved`), "ended" published so presence and busy lamps follow;
* the other call's CDR gets a leg for the new party (its callee from now on).

Leniency: the moved dialog's 2xx is not retransmitted until its ACK (only a call's side A has
those timers, §13.3.1.4), as for a dialog taken over by INVITE with Replaces
(`transfer_join.py`); on a lossy UDP path the phone retransmits its INVITE and the transaction
layer answers it again.
"""

from __future__ import annotations

import logging

from centrex.calls.actions import CallActions
from centrex.calls.call import Call, SipSide
from centrex.calls.leg import CallInput, CallState, LegState
from centrex.data.models import Disposition, HangupSide
from centrex.media.engine import NoCommonCodecError
from centrex.media.relay import BridgeError
from centrex.sip.dialog import Dialog
from centrex.sip.errors import SipParseError

log = logging.getLogger(__name__)


def answer_sdp(actions: CallActions, source: Call, into: Call) -> bytes | None:
    """Our SDP answer to `source`'s caller, made for bridging with `into`'s caller (None when
    there is no common codec or a media leg is gone: nothing was changed)."""
    side = source.a
    peer = into.a.media
    if side.media is None or peer is None or source.state is not CallState.ROUTING:
        return None
    try:
        return actions.core.engine.answer_for(side.media, side.invite.body, peer=peer).serialize()
    except (NoCommonCodecError, SipParseError, ValueError) as exc:
        log.info("call %s: no media toward call %s: %s", source.call_id, into.call_id, exc)
        return None


async def adopt_caller(
    actions: CallActions,
    source: Call,
    into: Call,
    sdp: bytes,
    cause: str,
    transferred_by: str | None = None,
) -> SipSide | None:
    """Move `source`'s caller into `into` as its answered side B, bridged with `into`'s
    caller (see the module docstring); `sdp` comes from `answer_sdp`. The new CDR leg names
    `transferred_by` (the parker of a parked call). None when the media could not be bridged
    (then `source` is rejected 488, `into` is unchanged)."""
    core = actions.core
    side = source.a
    peer = into.a.media
    if side.media is None or peer is None:
        await actions.reject(source, 488, "a media leg is gone")
        return None
    try:
        core.engine.bridge(peer, side.media)
    except BridgeError as exc:
        log.warning("call %s: bridge toward call %s failed: %s", source.call_id, into.call_id, exc)
        await actions.reject(source, 488, "the media could not be bridged")
        return None
    core.move(source, CallInput.REJECT)  # ROUTING -> ENDED: its dialog lives on in `into`
    core.forget(source)
    if source.licence_held:
        core.deps.limits.release_tenant(source.tenant_id)
        source.licence_held = False
    ok = core.reply(side.invite, side.server_key, 200, tag=side.local_tag, sdp=sdp,
                    transport=side.transport)  # fmt: skip
    now = core.now()
    side.dialog = Dialog.from_uas(side.invite, ok)
    side.state = LegState.CONFIRMED
    side.answered_at = now
    side.server_key = None
    side.label = f"b{len(into.forks) + 1}"
    into.forks.append(side)
    into.b = side
    core.dialogs[(side.invite.call_id or "", side.local_tag)] = (into, side)
    cdrs = core.deps.cdrs
    if source.cdr_id is not None:
        await cdrs.end(source.cdr_id, ended_at=now, disposition=Disposition.ANSWERED,
                       cause=cause, side=HangupSide.SYSTEM)  # fmt: skip
    core.event(source, "ended", disposition=Disposition.ANSWERED.value, reason=cause)
    core.spawn(core.hooks.ended(source), source)
    into.callee = side.peer
    if into.cdr_id is not None:
        side.cdr_leg_id = await cdrs.add_leg(into.cdr_id, tenant_id=into.tenant_id,
                                             leg_index=len(into.forks), peer=side.peer,
                                             started_at=now)  # fmt: skip
        if transferred_by is not None:
            await cdrs.leg_transferred(side.cdr_leg_id, transferred_by=transferred_by,
                                       answered_at=now)  # fmt: skip
        await cdrs.transferred(into.cdr_id, callee=side.peer, direction=into.direction,
                               trunk_id=None)  # fmt: skip
    log.info("call %s: %s takes the call over (%s)", into.call_id, side.peer, cause)
    return side
