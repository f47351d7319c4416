"""Attended transfer from the API: the switchboard speaks to the target before handing over.

What a receptionist does on a desk phone with hold, a second call and "transfer" — done by
Centrex for the API (`POST /api/v1/calls/{id}/transfer` with `"mode": "attended"`, then
`…/transfer/complete` or `…/transfer/cancel`), inside the one call, with no REFER:

1. Consulting starts: the party to hand on (the call's side A, `parties.swap_parties` first
   when it is the callee) is taken out of the bridge and hears the tenant's music on hold; the
   transferor (side B, the receptionist) hears ringback while the target is rung like any
   transfer target (an extension on all its phones, an outside number through the trunks, a
   ring group). Nothing is signalled to either party (Centrex is both parties' media peer).
2. The target answers: the transferor and the target are bridged and talk; the held party
   keeps its music.
3. Complete (or the transferor hangs up: what desk phones do too): the held party is bridged
   with the target, the transferor gets BYE, its CDR leg closes as `transferred` and the
   target's leg names it (`transferred_by`).
4. Cancel, the target refusing or not answering, or the target hanging up while consulted:
   the held party's music stops and it is bridged with the transferor again.
5. The held party hanging up ends the call (the consultation with it: the target gets BYE).

States are few and explicit: RINGING (the target is rung) and CONSULTING (the target is
bridged with the transferor); every API action checks the state it needs (409 otherwise).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from centrex.calls.actions import CallActions
from centrex.calls.app_host import TransferKind, TransferOutcome
from centrex.calls.call import Call, SipSide
from centrex.calls.features.hold import HoldMusic
from centrex.calls.leg import CallState, TimerKind
from centrex.calls.outbound import RingFailure
from centrex.calls.router import Destination, ToTrunks
from centrex.calls.transfer import AppTransfer, play_ringback
from centrex.data.models import Direction, Disposition, HangupSide, Tenant
from centrex.errors import Conflict
from centrex.media.engine import NoCommonCodecError
from centrex.media.relay import BridgeError
from centrex.sip.errors import SipParseError
from centrex.sip.message import Response

log = logging.getLogger(__name__)


class ConsultState(enum.Enum):
    RINGING = "ringing"  # the target is rung, the transferor hears ringback
    CONSULTING = "consulting"  # the transferor and the target talk


@dataclass(eq=False)
class Consultation:
    call: Call
    transferee: SipSide  # the call's side A, on hold
    transferor: SipSide  # the call's side B
    ring: AppTransfer
    state: ConsultState = ConsultState.RINGING
    target: SipSide | None = None
    transferor_left: bool = False  # hung up while the target rang: complete on answer


class ConsultTransfer:
    """The API's attended transfers (one per call at a time), driven by `CallControl`."""

    def __init__(self, actions: CallActions, music: HoldMusic | None) -> None:
        self.actions = actions
        self.music = music
        self.active: dict[str, Consultation] = {}  # by call id

    # ---- 1. start -----------------------------------------------------------------------------
    async def start(self, call: Call, destination: Destination, callee: str) -> None:
        """Hold side A, ring `destination` for side B (the call is answered, A is the party
        to hand on, B the transferor: the caller checked)."""
        core = self.actions.core
        transferee, transferor = call.a, call.b
        if transferor is None or transferee.media is None or transferor.media is None:
            raise Conflict(f"call {call.call_id} has no media to consult on",
                           error_id="call-not-answered")  # fmt: skip
        kind = (
            TransferKind.EXTERNAL if isinstance(destination, ToTrunks) else TransferKind.EXTENSION
        )
        ring = AppTransfer(kind, callee)
        consultation = Consultation(call, transferee, transferor, ring)
        self.active[call.call_id] = consultation
        core.engine.unbridge(transferee.media)
        if self.music is not None:
            await self.music.start(call.tenant_id, transferee.media)
        call.transfer = ring  # call.transferring: outbound legs ring an answered call
        ring.ringback = play_ringback(core.engine, transferor.media, await self._country(call))
        log.info("call %s: %s consults %s, %s on hold", call.call_id, transferor.peer, callee,
                 transferee.peer)  # fmt: skip
        core.event(call, "consulting")
        await self.actions.go(call, destination, ConsultRing(self, consultation))

    async def _country(self, call: Call) -> str:
        async with self.actions.core.deps.database.session() as session:
            tenant = await session.get(Tenant, call.tenant_id)
        return tenant.country if tenant is not None else "CH"

    # ---- 2. the target answers ----------------------------------------------------------------
    async def answered(self, consultation: Consultation, side: SipSide, response: Response) -> None:
        core = self.actions.core
        call = consultation.call
        call.timers.cancel(TimerKind.RING)
        for fork in list(call.forks):  # the other phones of the target; the transferor stays
            if fork is not side and fork is not consultation.transferor:
                self.actions.outbound.cancel_side(call, fork)
        call.pending_trunks = []
        core.ack(call, side, response)
        consultation.ring.finish(TransferOutcome.CONNECTED)  # the transferor's ringback off
        try:
            if side.media is None or consultation.transferor.media is None:
                raise NoCommonCodecError("a media leg is gone")
            core.engine.set_remote(side.media, response.body, signalling_host=side.target[0])
            core.engine.bridge(consultation.transferor.media, side.media)
        except (NoCommonCodecError, SipParseError, ValueError, BridgeError) as exc:
            log.warning("call %s: consultation media failed: %s", call.call_id, exc)
            core.bye(call, side)
            core.release_side(side)
            await self.back(consultation, "the target's media failed")
            return
        side.answered_at = core.now()
        consultation.target = side
        consultation.state = ConsultState.CONSULTING
        core.event(call, "consulted")
        if consultation.transferor_left:
            await self.complete(consultation)

    async def failed(self, consultation: Consultation, failure: RingFailure) -> None:
        call = consultation.call
        call.timers.cancel(TimerKind.RING)
        self.actions.outbound.cancel_forks(call, keep=call.b)
        call.pending_trunks = []
        consultation.ring.finish(TransferOutcome.FAILED)
        if consultation.transferor_left:  # nobody to return to
            self.active.pop(call.call_id, None)
            await self.actions.ending.hang_up(call, cause="transfer-failed", who=HangupSide.SYSTEM)
            return
        await self.back(consultation, f"{failure.status} {failure.reason}")

    # ---- 3. complete --------------------------------------------------------------------------
    async def complete(self, consultation: Consultation) -> None:
        """Bridge the held party with the target; the transferor leaves (BYE)."""
        core = self.actions.core
        call = consultation.call
        target = consultation.target
        if consultation.state is not ConsultState.CONSULTING or target is None:
            raise Conflict(f"call {call.call_id}: the target has not answered yet",
                           error_id="transfer-not-consulting")  # fmt: skip
        self.active.pop(call.call_id, None)
        transferee, transferor = consultation.transferee, consultation.transferor
        self._stop_music(transferee)
        if transferor.media is not None:
            core.engine.unbridge(transferor.media)
        try:
            if transferee.media is None or target.media is None:
                raise NoCommonCodecError("a media leg is gone")
            core.engine.bridge(transferee.media, target.media)
        except (NoCommonCodecError, BridgeError) as exc:
            log.warning("call %s: the transfer could not be completed: %s", call.call_id, exc)
            await self.actions.ending.hang_up(call, cause="transfer-failed", who=HangupSide.SYSTEM)
            return
        call.b = target
        if transferor in call.forks:
            call.forks.remove(transferor)
        core.bye(call, transferor)
        core.release_side(transferor)
        call.callee = consultation.ring.callee
        if target.trunk is not None:
            call.direction = Direction.OUTBOUND
        await self._record(call, transferor, target)
        log.info("call %s: %s handed %s to %s", call.call_id, transferor.peer, transferee.peer,
                 target.peer)  # fmt: skip
        core.event(call, "transferred")
        core.spawn(core.hooks.answered(call, target), call)

    async def _record(self, call: Call, transferor: SipSide, target: SipSide) -> None:
        cdrs = self.actions.core.deps.cdrs
        now = self.actions.core.now()
        if target.cdr_leg_id is not None:
            await cdrs.leg_transferred(target.cdr_leg_id, transferred_by=transferor.peer,
                                       answered_at=target.answered_at)  # fmt: skip
        if transferor.cdr_leg_id is not None and not transferor.cdr_leg_closed:
            transferor.cdr_leg_closed = True
            await cdrs.end_leg(transferor.cdr_leg_id, ended_at=now,
                               disposition=Disposition.ANSWERED, cause="transferred",
                               answered_at=transferor.answered_at)  # fmt: skip
        if call.cdr_id is not None:
            trunk_id = target.trunk.id if target.trunk is not None else None
            await cdrs.transferred(call.cdr_id, callee=call.callee, direction=call.direction,
                                   trunk_id=trunk_id)  # fmt: skip

    # ---- 4. back to the transferor ------------------------------------------------------------
    async def cancel(self, consultation: Consultation) -> None:
        """The API's cancel: stop ringing or end the consultation, back to the transferor."""
        call = consultation.call
        if consultation.state is ConsultState.RINGING:
            call.timers.cancel(TimerKind.RING)
            self.actions.outbound.cancel_forks(call, keep=call.b)
            call.pending_trunks = []
            consultation.ring.finish(TransferOutcome.FAILED)
        elif consultation.target is not None:
            self.actions.core.bye(call, consultation.target)
            self._drop_target(consultation)
        await self.back(consultation, "cancelled")

    async def back(self, consultation: Consultation, why: str) -> None:
        """The held party returns to the transferor."""
        core = self.actions.core
        call = consultation.call
        self.active.pop(call.call_id, None)
        transferee, transferor = consultation.transferee, consultation.transferor
        self._stop_music(transferee)
        if transferor.media is not None:
            core.engine.unbridge(transferor.media)
        log.info("call %s: back to %s (%s)", call.call_id, transferor.peer, why)
        try:
            if transferee.media is None or transferor.media is None or transferor.ended:
                raise NoCommonCodecError("the transferor is gone")
            core.engine.bridge(transferee.media, transferor.media)
        except (NoCommonCodecError, BridgeError) as exc:
            log.info("call %s: the call could not return: %s", call.call_id, exc)
            await self.actions.ending.hang_up(call, cause="transfer-failed", who=HangupSide.SYSTEM)
            return
        core.event(call, "resumed")

    def _drop_target(self, consultation: Consultation) -> None:
        target = consultation.target
        if target is None:
            return
        call = consultation.call
        if target in call.forks:
            call.forks.remove(target)
        self.actions.core.release_side(target)
        consultation.target = None

    # ---- 5. the parties leaving ---------------------------------------------------------------
    async def left(self, call: Call, side: SipSide) -> bool:
        """A BYE during a consultation (the `FeatureHooks.on_left` hook)."""
        consultation = self.active.get(call.call_id)
        if consultation is None or call.state is not CallState.ANSWERED:
            return False
        if side is consultation.transferor:
            if consultation.state is ConsultState.CONSULTING:
                await self.complete(consultation)
            else:  # the target still rings: it gets the held party when it answers
                consultation.transferor_left = True
                if consultation.ring.ringback is not None:
                    consultation.ring.ringback.stop()
                    consultation.ring.ringback = None
                self.actions.core.release_side(side)
            return True
        if side is consultation.target:
            self._drop_target(consultation)
            await self.back(consultation, "the target hung up")
            return True
        return False  # the held party: the call ends, `releasing` cleans up

    async def releasing(self, call: Call) -> None:
        consultation = self.active.pop(call.call_id, None)
        if consultation is None:
            return
        self._stop_music(consultation.transferee)
        if consultation.target is not None:
            self.actions.core.bye(call, consultation.target)
            self.actions.core.release_side(consultation.target)

    def _stop_music(self, side: SipSide) -> None:
        if self.music is not None and side.media is not None:
            self.music.stop(side.media)


@dataclass(eq=False)
class ConsultRing:
    """The `RingOwner` of an attended transfer's target."""

    feature: ConsultTransfer
    consultation: Consultation

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.feature.answered(self.consultation, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        await self.feature.failed(self.consultation, failure)
