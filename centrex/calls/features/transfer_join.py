"""Joining two parties across dialogs: attended transfer (REFER with Replaces) and INVITE with
Replaces (RFC 3891).

Theory of operation:

* Dialogs are found the way RFC 3891 §3 matches them: by Call-ID and the receiving UA's own
  tag (`to-tag`), the peer's tag (`from-tag`) checked against the dialog's remote tag. Only a
  dialog of a live, answered call of the SAME tenant qualifies: anything else is "no such
  dialog" (481) — another tenant's call is never joined nor revealed. (Leniency: some phones
  swap the two tags, so the other order is tried too; both tags must still match.)
* Attended transfer: A has the call with B (REFER dialog, B is the call's side A) and a
  consultation call to C that A placed (A's dialog is named by Replaces, C is its outbound side
  B). C's side moves into B's call and is bridged with B; A's consultation dialog gets BYE at
  once (its call ends, CDR cause `transferred`) and A's dialog of B's call gets BYE after the
  final NOTIFY. The consultation must be a call A placed, and A's dialogs must both be the
  same extension's (a phone may only join its own calls).
* INVITE with Replaces (an attended transfer finished by the transferee's phone, or a pickup
  of an answered call): the new dialog takes the named dialog's place in its call: it is
  answered with an SDP answer of its own media leg, bridged with the named dialog's peer, and
  the named dialog gets BYE. Early dialogs are not replaced (481; pickup of ringing calls is
  the pickup feature's).
* The transferee keeps its codec: legs are re-bridged, and the engine transcodes between G.711
  laws when the two parties chose different ones; no re-INVITE is needed for that.
"""

from __future__ import annotations

import logging

from centrex.calls import signalling as sig
from centrex.calls.actions import CallActions
from centrex.calls.call import Call, SipSide
from centrex.calls.leg import CallState, LegState
from centrex.data.models import Direction, Disposition, HangupSide
from centrex.media.engine import NoCommonCodecError, PortPoolExhausted
from centrex.media.relay import BridgeError
from centrex.media.session import MediaLeg
from centrex.sip.builders import generate_tag
from centrex.sip.dialog import Dialog
from centrex.sip.errors import SipParseError
from centrex.sip.events import RequestReceived
from centrex.sip.refer import Replaces, parse_replaces

log = logging.getLogger(__name__)


class Joiner:
    """Moves dialogs between calls on the call layer's actions."""

    def __init__(self, actions: CallActions) -> None:
        self.actions = actions

    def find(self, replaces: Replaces, tenant_id: int) -> tuple[Call, SipSide] | None:
        """The confirmed dialog `replaces` names in an answered call of this tenant."""
        dialogs = self.actions.core.dialogs
        for ours, theirs in ((replaces.to_tag, replaces.from_tag),
                             (replaces.from_tag, replaces.to_tag)):  # fmt: skip
            found = dialogs.get((replaces.call_id, ours))
            if found is None:
                continue
            call, side = found
            if call.tenant_id != tenant_id or call.state is not CallState.ANSWERED:
                return None
            if side.dialog is None or side.dialog.remote_tag != theirs or side.ended:
                return None
            if side is not call.a and side is not call.b:
                return None
            return call, side
        return None

    # ---- attended transfer ------------------------------------------------------------------
    async def attended(self, call: Call, transferor: SipSide, replaces: Replaces) -> int:
        """Bridge the REFER's transferee with the far party of the consultation; the final
        status for the NOTIFY sipfrag."""
        found = self.find(replaces, call.tenant_id)
        if found is None:
            return 481
        consult, mine = found
        if consult is call or mine.peer != transferor.peer:
            return 481  # not the transferor's own consultation dialog
        if mine is not consult.a or consult.b is None:
            return 501  # A was called in both calls: two inbound parties, not supported yet
        target = consult.b
        if call.a.media is None or target.media is None or call.state is not CallState.ANSWERED:
            return 487
        self._adopt(consult, target, call)
        core = self.actions.core
        try:
            core.engine.bridge(call.a.media, target.media)
        except BridgeError as exc:
            log.warning("call %s: attended transfer media failed: %s", call.call_id, exc)
            await self.actions.ending.hang_up(consult, cause="transfer-failed",
                                              who=HangupSide.SYSTEM)  # fmt: skip
            return 500
        call.b = target
        await self._record(call, target, transferor.peer, consult.callee)
        await self._close_leg(transferor)
        core.event(call, "transferred")
        await self.actions.ending.hang_up(consult, cause="transferred", who=HangupSide.SYSTEM)
        return 200

    def _adopt(self, source: Call, side: SipSide, into: Call) -> None:
        """Move an answered outbound side from `source` into `into` (dialog index included)."""
        if side in source.forks:
            source.forks.remove(side)
        if source.b is side:
            source.b = None
        side.label = f"b{len(into.forks) + 1}"
        into.forks.append(side)
        call_id = side.invite.call_id or ""
        self.actions.core.dialogs[(call_id, side.local_tag)] = (into, side)

    async def _record(
        self, call: Call, side: SipSide, transferred_by: str, callee: str | None = None
    ) -> None:
        """CDR: close the side's leg in its old call, open one in this call naming who
        transferred, make the side's party the call's callee: `callee` (the number its old
        call dialled: a trunk side's peer is the carrier's name, and rating goes by the
        number), else the side's peer."""
        core = self.actions.core
        cdrs = core.deps.cdrs
        now = core.now()
        await self._close_leg(side)
        call.callee = callee or side.peer
        if side.trunk is not None:
            call.direction = Direction.OUTBOUND
        if call.cdr_id is None:
            return
        side.cdr_leg_id = await cdrs.add_leg(
            call.cdr_id,
            tenant_id=call.tenant_id,
            leg_index=len(call.forks),
            peer=side.peer,
            started_at=now,
            trunk_id=side.trunk.id if side.trunk is not None else None,
        )
        side.cdr_leg_closed = False
        await cdrs.leg_transferred(side.cdr_leg_id, transferred_by=transferred_by, answered_at=now)
        await cdrs.transferred(call.cdr_id, callee=call.callee, direction=call.direction,
                               trunk_id=side.trunk.id if side.trunk else None)  # fmt: skip

    async def _close_leg(self, side: SipSide) -> None:
        if side.cdr_leg_id is None or side.cdr_leg_closed:
            return
        side.cdr_leg_closed = True
        core = self.actions.core
        await core.deps.cdrs.end_leg(side.cdr_leg_id, ended_at=core.now(),
                                     disposition=Disposition.ANSWERED, cause="transferred",
                                     answered_at=side.answered_at)  # fmt: skip

    # ---- INVITE with Replaces ---------------------------------------------------------------
    async def invite_with_replaces(
        self, event: RequestReceived, tenant_id: int, caller: str
    ) -> None:
        """An authenticated device's INVITE with Replaces (RFC 3891 §3): take the named
        dialog's place, or 481 when this tenant has no such dialog; 400 for a broken header."""
        core = self.actions.core
        request = event.request
        values = request.headers.get_all("Replaces")
        try:
            if len(values) != 1:
                raise SipParseError("exactly one Replaces header is allowed")
            replaces = parse_replaces(values[0])
        except SipParseError as exc:
            core.reply(request, event.transaction, 400, transport=event.transport,
                       headers=[sig.warning_header(f"bad Replaces: {exc}")])  # fmt: skip
            return
        found = None if replaces.early_only else self.find(replaces, tenant_id)
        if found is None:
            log.info("INVITE with Replaces from %s: no such dialog", caller)
            core.reply(request, event.transaction, 481, transport=event.transport,
                       headers=[sig.warning_header("no such dialog to replace")])  # fmt: skip
            return
        call, replaced = found
        peer = call.other(replaced)
        if peer is None or peer.media is None or not request.body:
            core.reply(request, event.transaction, 488 if not request.body else 481,
                       transport=event.transport)  # fmt: skip
            return
        try:
            media = await core.engine.allocate()
        except PortPoolExhausted:
            core.reply(request, event.transaction, 503, transport=event.transport)
            return
        try:
            core.engine.set_remote(media, request.body, signalling_host=event.source[0])
            sdp = core.engine.answer_for(media, request.body, peer=peer.media).serialize()
            core.engine.bridge(peer.media, media)
        except (NoCommonCodecError, SipParseError, ValueError, BridgeError) as exc:
            core.engine.release(media)
            core.reply(request, event.transaction, 488, transport=event.transport,
                       headers=[sig.warning_header(str(exc))])  # fmt: skip
            return
        await self._take_place(event, call, replaced, media, sdp, caller)

    async def _take_place(
        self,
        event: RequestReceived,
        call: Call,
        replaced: SipSide,
        media: MediaLeg,
        sdp: bytes,
        caller: str,
    ) -> None:
        """The new dialog (answered with `sdp`, its leg `media` bridged already) takes the
        replaced dialog's place in `call`; the replaced one gets BYE."""
        core = self.actions.core
        request = event.request
        side = SipSide(
            label="a" if replaced is call.a else f"b{len(call.forks) + 1}",
            invite=request,
            target=event.source,
            transport=event.transport,
            local_tag=generate_tag(),
            peer=caller,
            media=media,
            server_key=event.transaction,
            started_at=core.now(),
            state=LegState.INCOMING if replaced is call.a else LegState.CONFIRMED,
        )
        core.dialogs[(request.call_id or "", side.local_tag)] = (call, side)
        if replaced is call.a:
            # the new dialog is the call's caller side now: its 2xx is retransmitted until
            # the ACK like any caller's (§13.3.1.4)
            if call.a.server_key is not None:
                core.by_server.pop(call.a.server_key, None)
            call.a = side
            if side.server_key is not None:
                core.by_server[side.server_key] = call
            core.answer_caller(call, sdp)
        else:
            ok = core.reply(request, event.transaction, 200, tag=side.local_tag, sdp=sdp,
                            transport=event.transport)  # fmt: skip
            side.dialog = Dialog.from_uas(request, ok)
            side.answered_at = core.now()
            call.forks.append(side)
            call.b = side
        log.info("call %s: %s replaces %s", call.call_id, caller, replaced.peer)
        core.bye(call, replaced)
        core.release_side(replaced)
        if replaced in call.forks:
            call.forks.remove(replaced)
        await self._close_leg(replaced)
        if replaced is not call.a and side is call.b:
            await self._record(call, side, replaced.peer)
        core.event(call, "transferred")
