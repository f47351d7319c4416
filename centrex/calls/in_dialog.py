"""Requests inside a call's dialogs: ACK, BYE, INFO, re-INVITE and UPDATE (hold and resume).

Theory of operation (RFC 3261 §12.2.2, §13.3.1.4, §14, §15; RFC 3264 §8.4; RFC 4028 §10):

* A request is matched to its call and side by (Call-ID, our tag); none → 481 (§12.2.2).
* ACK for the caller's 2xx confirms its leg and stops the retransmission and ACK_WAIT timers.
* BYE is answered 200 and relayed as a BYE on the other side; the call ends (a BYE on the
  caller's early dialog is a CANCEL in effect: its INVITE gets 487, §15.1.2).
* re-INVITE/UPDATE carry hold, resume and codec changes: the side's new SDP is applied to its
  media leg, the other party gets an offer for its own leg (sendonly with music on hold when the
  offer puts the call on hold), and its answer comes back as ours. Any of them refreshes the
  RFC 4028 session interval. When the call ends while the relayed offer is pending (a BYE
  crossing a re-INVITE), the re-INVITE is answered 481 and nothing is applied to freed legs.
"""

from __future__ import annotations

import logging

from centrex.calls import signalling as sig
from centrex.calls.call import Call
from centrex.calls.connect import parse_session_expires, session_interval
from centrex.calls.core import CallCore, Purpose
from centrex.calls.ending import Ending
from centrex.calls.features.hold import HOLD_OFFER_DIRECTION, HoldMusic, is_hold
from centrex.calls.leg import CallState, LegAction, LegInput, TimerKind
from centrex.calls.outbound import Outbound
from centrex.data.models import HangupSide
from centrex.media.engine import NoCommonCodecError
from centrex.sip.errors import SipParseError
from centrex.sip.events import RequestReceived

log = logging.getLogger(__name__)


class InDialog:
    """Serves the in-dialog methods of the B2BUA's calls."""

    def __init__(
        self, core: CallCore, outbound: Outbound, ending: Ending, hold: HoldMusic | None
    ) -> None:
        self.core = core
        self.outbound = outbound
        self.ending = ending
        self.hold = hold

    def on_ack(self, event: RequestReceived) -> None:
        found = self.core.find(event.request)
        if found is None:
            return  # an ACK is never answered (§17.2.1); a stray one is dropped
        call, side = found
        if side is not call.a:
            return
        if self.core.leg(call, side, LegInput.ACK) is LegAction.STOP_2XX_TIMERS:
            call.timers.cancel(TimerKind.RETRANSMIT_2XX)
            call.timers.cancel(TimerKind.ACK_WAIT)

    async def on_bye(self, event: RequestReceived) -> None:
        core = self.core
        request = event.request
        found = core.find(request)
        if found is None:
            core.reply(request, event.transaction, 481, transport=event.transport)
            return
        call, side = found
        core.reply(request, event.transaction, 200, tag=side.local_tag, transport=event.transport)
        if side.dialog is not None:
            side.dialog.terminate()
        action = core.leg(call, side, LegInput.BYE)
        if action is LegAction.STOP_2XX_TIMERS:  # the caller's BYE before its ACK (§15)
            call.timers.cancel(TimerKind.RETRANSMIT_2XX)
            call.timers.cancel(TimerKind.ACK_WAIT)
        if side is call.a and call.state is not CallState.ANSWERED:
            await self.ending.caller_cancelled(call)  # BYE on an early dialog (§15.1.2)
            return
        if call.state is CallState.ANSWERED and await core.hooks.left(call, side):
            return  # a feature keeps the call going without this side
        if side is not call.a and side is not call.b:
            core.release_side(side)  # a fork that lost: nothing else to end
            return
        who = HangupSide.CALLER if side is call.a else HangupSide.CALLEE
        await self.ending.hang_up(call, cause="bye", who=who, spare=side)

    def on_info(self, event: RequestReceived) -> None:
        found = self.core.find(event.request)
        status = 200 if found is not None else 481
        tag = found[1].local_tag if found is not None else None
        self.core.reply(event.request, event.transaction, status, tag=tag,
                        transport=event.transport)  # fmt: skip

    async def on_reinvite(self, event: RequestReceived) -> None:
        """Relay a re-INVITE/UPDATE (hold, resume, codec change) to the other side."""
        core = self.core
        request = event.request
        found = core.find(request)
        if found is None:
            core.reply(request, event.transaction, 481, transport=event.transport)
            return
        call, side = found
        other = call.other(side)
        if side.dialog is not None:
            error = side.dialog.receive_request(request)
            if error is not None:
                core.reply(request, event.transaction, error.status, tag=side.local_tag)
                return
        self._refresh_session(call, request.headers.get("Session-Expires"))
        if (
            other is None
            or other.dialog is None
            or side.media is None
            or other.media is None
            or not request.body
        ):
            # nothing to relay (no SDP, or not bridged yet): accept as is
            core.reply(request, event.transaction, 200, tag=side.local_tag,
                       transport=event.transport)  # fmt: skip
            return
        hold = self.hold
        try:
            # RFC 3264 §8.4 hold: the held party gets a sendonly offer and music on hold
            holding = hold is not None and is_hold(request.body)
            core.engine.set_remote(side.media, request.body, signalling_host=event.source[0])
            direction = HOLD_OFFER_DIRECTION if holding else None
            offer = core.engine.offer_for(
                other.media, request.body, direction=direction
            ).serialize()
        except (NoCommonCodecError, SipParseError, ValueError) as exc:
            log.info("call %s: re-offer refused: %s", call.call_id, exc)
            core.reply(request, event.transaction, 488, tag=side.local_tag)
            return
        if hold is not None and not holding:
            hold.stop(other.media)  # resume: the relay takes the stream back
        relayed = other.dialog.create_request(
            request.method,
            core.local.via(other.transport),
            contact=core.local.contact(other.transport),
            body=offer,
            content_type=sig.SDP,
        )
        future = core.send(call, other, relayed, Purpose.REINVITE, want=True)
        answer = await future if future is not None else None
        if call.state is CallState.ENDED or side.media is None or other.media is None:
            core.reply(request, event.transaction, 481, tag=side.local_tag)  # BYE crossed it
            return
        if answer is None or answer.status >= 300:
            status = answer.status if answer is not None else 408
            core.reply(request, event.transaction, status, tag=side.local_tag)
            return
        if request.method == "INVITE":
            cseq = relayed.cseq
            ack = other.dialog.create_ack(
                cseq.number if cseq else 1, core.local.via(other.transport)
            )
            core.send(call, other, ack, Purpose.ACK)
        try:
            core.engine.set_remote(other.media, answer.body, signalling_host=other.target[0])
            ours = core.engine.answer_for(side.media, request.body, peer=other.media).serialize()
        except (NoCommonCodecError, SipParseError, ValueError) as exc:
            log.info("call %s: re-answer refused: %s", call.call_id, exc)
            core.reply(request, event.transaction, 488, tag=side.local_tag)
            return
        core.reply(request, event.transaction, 200, tag=side.local_tag, sdp=ours,
                   transport=side.transport)  # fmt: skip
        if holding and hold is not None and other.media is not None:
            await hold.start(call.tenant_id, other.media)

    def _refresh_session(self, call: Call, value: str | None) -> None:
        """RFC 4028 §10: a re-INVITE or UPDATE refreshes the session interval."""
        if call.timers.deadline(TimerKind.SESSION_EXPIRES) is None:
            return
        interval = parse_session_expires(value) or session_interval(call.a.invite)
        if interval is not None:
            self.core.arm(call, TimerKind.SESSION_EXPIRES, interval)
