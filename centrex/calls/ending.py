"""How calls end: a final error or 487 to an unanswered caller, BYE on answered calls, and the
one release that frees media, licence and trunk channels and closes the CDR.

Theory of operation (RFC 3261 §9.2, §13.3.1.4, §15; RFC 4028 §10; DESIGN.md §2 step 6):

* Every end goes through the call table (`CallCore.move`): REJECT and CANCEL before the answer,
  HANGUP after it. The table answers REJECT, REJECT_CANCELLED or RELEASE exactly once; every
  later end finds the call ENDED and does nothing, so a BYE racing a CANCEL, a timer firing
  after a hang-up or an administrator's hang-up of a call that just ended are all harmless.
* `release` is the one place that undoes a call: timers, forks still ringing (CANCEL), the
  app's channel, the features' per-call state (recording, music on hold), media legs, the
  licence slot and trunk channels, the indexes; then the CDR row is closed and "ended" published.
* Timers that end an answered call: ACK_WAIT (no ACK for our 2xx within 64*T1: the dialog is
  dead on arrival, §13.3.1.4: BYE both, CDR failed), MAX_DURATION and SESSION_EXPIRES (BYE both).
"""

from __future__ import annotations

import logging

from centrex.calls import signalling as sig
from centrex.calls.app_host import TransferOutcome
from centrex.calls.call import Call, SipSide
from centrex.calls.cdr import EndedLeg
from centrex.calls.core import CallCore
from centrex.calls.features import FeatureHooks
from centrex.calls.leg import (
    CallAction,
    CallInput,
    CallState,
    LegAction,
    LegInput,
    LegState,
    TimerKind,
)
from centrex.calls.outbound import Outbound
from centrex.data.models import Disposition, HangupSide
from centrex.sip.errors import SipError

log = logging.getLogger(__name__)


class Ending:
    """Ends calls, whatever the reason."""

    def __init__(self, core: CallCore, outbound: Outbound, hooks: FeatureHooks) -> None:
        self.core = core
        self.outbound = outbound
        self.hooks = hooks

    def _answer_caller(
        self, call: Call, status: int, reason: str | None = None,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> None:  # fmt: skip
        """A final error to the caller's INVITE; its transaction may be gone (then logged). A
        side A Centrex placed itself (`originated`) sent no INVITE: nothing to answer. `extra`:
        more headers (a prepaid refusal's Reason, RFC 3326)."""
        if call.a.originated:
            return
        headers = [*([sig.warning_header(reason)] if reason else []), *extra] or None
        try:
            self.core.reply(
                call.a.invite, call.a.server_key, status, tag=call.a.local_tag,
                transport=call.a.transport, headers=headers,
            )  # fmt: skip
        except SipError as exc:
            log.info("call %s: %s to the caller not sent: %s", call.call_id, status, exc)

    # ---- before the answer ------------------------------------------------------------------
    async def reject(
        self, call: Call, status: int, reason: str, disposition: Disposition | None = None,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> None:  # fmt: skip
        """End a call that was never answered, answering the caller with `status`."""
        if self.core.move(call, CallInput.REJECT) is not CallAction.REJECT:
            return
        self.outbound.cancel_forks(call)
        self._answer_caller(call, status, reason, extra)
        self.core.leg(call, call.a, LegInput.FAILURE)
        await self.release(
            call,
            disposition or Disposition(sig.disposition_for(status)),
            f"sip-{status}",
            HangupSide.CALLEE if status in (486, 600, 603) else HangupSide.SYSTEM,
        )

    async def caller_cancelled(self, call: Call) -> None:
        """The caller's CANCEL (or a BYE on its early dialog): 487 to the INVITE (§9.2)."""
        if self.core.move(call, CallInput.CANCEL) is not CallAction.REJECT_CANCELLED:
            return
        self.outbound.cancel_forks(call)
        self._answer_caller(call, 487)
        self.core.leg(call, call.a, LegInput.CANCEL)
        await self.release(call, Disposition.CANCELLED, "cancelled", HangupSide.CALLER)

    # ---- after the answer -------------------------------------------------------------------
    async def hang_up(
        self,
        call: Call,
        *,
        cause: str,
        who: HangupSide,
        disposition: Disposition = Disposition.ANSWERED,
        spare: SipSide | None = None,
    ) -> None:
        """End an answered call: BYE every answered side but `spare` (the one that hung up)."""
        if self.core.move(call, CallInput.HANGUP) is not CallAction.RELEASE:
            return
        for side in (call.a, call.b):
            if side is not None and side is not spare:
                self.core.bye(call, side)
        await self.release(call, disposition, cause, who)

    async def admin_hangup(self, call: Call) -> None:
        """An administrator (API) or a shutdown ends the call, answered or not."""
        if call.state is CallState.ANSWERED:
            await self.hang_up(call, cause="hangup-by-admin", who=HangupSide.SYSTEM)
        else:
            await self.reject(call, 480, "ended by an administrator")

    # ---- timers -----------------------------------------------------------------------------
    def retransmit_2xx(self, call: Call, deadline: float) -> None:
        """§13.3.1.4: resend the caller's 2xx, the interval doubling up to T2, until the ACK
        arrives or ACK_WAIT (64*T1) gives up."""
        if call.a.state is not LegState.ACCEPTED or call.response_to_a is None:
            return
        self.core.deps.driver.send_response(call.response_to_a, call.a.server_key)
        timers = self.core.settings.timers
        interval = min(call.timers.interval(TimerKind.RETRANSMIT_2XX) * 2, timers.t2)
        give_up = call.timers.deadline(TimerKind.ACK_WAIT)
        if give_up is None or deadline + interval < give_up:
            self.core.rearm(call, TimerKind.RETRANSMIT_2XX, deadline, interval)

    async def ack_timeout(self, call: Call) -> None:
        """No ACK for the caller's 2xx within 64*T1: BYE both sides, CDR failed (§13.3.1.4)."""
        if self.core.leg(call, call.a, LegInput.ACK_TIMEOUT) is not LegAction.END_CALL:
            return
        log.warning("call %s: no ACK for the 2xx within 64*T1, ending it", call.call_id)
        call.timers.cancel(TimerKind.RETRANSMIT_2XX)
        self.core.bye(call, call.a)
        await self.hang_up(
            call, cause="no-ack", who=HangupSide.SYSTEM, disposition=Disposition.FAILED,
            spare=call.a,
        )  # fmt: skip

    async def max_duration(self, call: Call) -> None:
        log.info("call %s: maximum duration reached", call.call_id)
        await self.hang_up(call, cause="max-duration", who=HangupSide.SYSTEM)

    async def session_expired(self, call: Call) -> None:
        """RFC 4028 §10: no session refresh before the interval passed: the session is dead."""
        log.info("call %s: session expired without refresh", call.call_id)
        await self.hang_up(call, cause="session-expired", who=HangupSide.SYSTEM)

    # ---- the one release --------------------------------------------------------------------
    async def release(
        self, call: Call, disposition: Disposition, cause: str, who: HangupSide
    ) -> None:
        """Undo everything the call holds and close its CDR (called once per call, by the
        table's REJECT / REJECT_CANCELLED / RELEASE action)."""
        core = self.core
        log.debug("call %s ended: %s (%s, %s)", call.call_id, disposition.value, cause, who.value)
        call.timers.clear()
        self.outbound.cancel_forks(call, keep=call.b)  # an app's transfer still ringing
        if call.transfer is not None:
            call.transfer.finish(TransferOutcome.CALLER_GONE)
        channel = core.channels.pop(call.call_id, None)
        if channel is not None and not channel.closed:
            await channel.hangup()
        await self.hooks.releasing(call)
        for side in (call.a, *call.forks):
            core.release_side(side)
        if call.licence_held:
            core.deps.limits.release_tenant(call.tenant_id)
            call.licence_held = False
        core.forget(call)
        ended = core.now()
        b = call.b
        b_leg = None
        if b is not None and b.cdr_leg_id is not None and not b.cdr_leg_closed:
            b.cdr_leg_closed = True
            b_leg = EndedLeg(b.cdr_leg_id, Disposition.ANSWERED, b.answered_at)
        cdrs = core.deps.cdrs
        a = call.a
        if a.cdr_leg_id is not None and not a.cdr_leg_closed:
            # side A has a leg row when it was a callee first (a swap, a call placed by the API)
            a.cdr_leg_closed = True
            await cdrs.end_leg(a.cdr_leg_id, ended_at=ended, disposition=Disposition.ANSWERED
                               if a.answered_at else Disposition(sig.disposition_for(487)),
                               cause=cause, answered_at=a.answered_at)  # fmt: skip
        if call.cdr_id is not None:
            await cdrs.end(
                call.cdr_id,
                ended_at=ended,
                disposition=disposition,
                cause=cause,
                side=who,
                trunk_id=b.trunk.id if b is not None and b.trunk else None,
                leg=b_leg,
            )
        elif b_leg is not None:
            await cdrs.end_leg(b_leg.leg_id, ended_at=ended, disposition=b_leg.disposition,
                               cause=cause, answered_at=b_leg.answered_at)  # fmt: skip
        core.spawn(self.hooks.ended(call), call)
        core.event(call, "ended", disposition=disposition.value, reason=cause)
