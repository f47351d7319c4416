"""Call park: put a call in a numbered slot, pick it up from any phone (issue 12, item 4).

Theory of operation
-------------------
* Plan: every tenant's plan gets its park number and slots (the `ParkLot`: `700` and
  `701`-`709` unless the tenant set its own with `centrex tenant set-park`; each tenant's
  slots are its own). An extension with
  the same number wins (router rule).
* Parking: a blind transfer (REFER, `transfer_refer.py`) to `700` reaches `park` with the
  transfer's owner (`CallActions.go` hands a feature number to the feature's ringer). The
  first free slot is claimed atomically in the live state (`LiveState.claim_park_slot`: two
  parks at once never share a slot); the transferee's ringback stops and it hears the
  tenant's music on hold (`hold.HoldMusic`; silence when the tenant has none). The owner is
  told (`BlindRing.parked`): the transferor gets the final NOTIFY `SIP/2.0 200 OK (parked in
  701)` (RFC 3515 §2.4.5) and its BYE; the slot is logged and shown in the live state (no
  spoken announcement: the transferor's dialog ends with the transfer). All slots taken: the
  transfer fails with 486 and the call returns to the transferor. Dialling `700` directly is
  refused (403: park takes a call by transfer).
* The slot in the live state: besides the claim, the slot number gets a CONFIRMED dialog of the
  parked call (`LiveState.set_dialog(tenant, "701", ...)`), so presence and a busy lamp can
  watch a slot like an extension (`blf.py` takes a SUBSCRIBE Event: dialog to any number of
  the subscriber's plan: the lamp shows `confirmed` while a call is parked there); it is
  TERMINATED when the call leaves the slot.
* Retrieving: dialling the slot from any phone of the same tenant (`ToFeature("park-retrieve",
  "701")`, looked up in the caller's tenant only) frees the slot (`release_park_slot`: a
  retrieve and the time-out cannot both win), stops the music and moves the retriever's
  dialog into the parked call as its side B (`adopt.py`); the retriever's own call ends as
  `park-retrieved`. An empty slot is 404 with a Warning.
* Time-out: unretrieved after the tenant's `park_timeout` seconds (60 by default), on the
  B2BUA's clock (`CallActions.arm_timer`), the slot is freed and the parker's phones ring
  (`ring_back_seconds`, the extension's own DND/forwards do not apply: the call comes back to
  its owner); the
  transferee hears the music meanwhile. Answered: bridged with the parker. Not answered
  (or nothing registered): the fallback is the parker's voicemail (the caller leaves a
  message, nothing is lost), or without voicemail the end of the call — BYE to the parked
  party, CDR cause `park-unanswered`.
* The parked party hanging up frees the slot and the timer (`releasing` hook).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.actions import CallActions
from centrex.calls.app_host import TransferKind, TransferOutcome
from centrex.calls.call import Call, CallState, SipSide
from centrex.calls.call_media import CallMediaHost
from centrex.calls.features import FeatureHooks, PlanPart
from centrex.calls.features.adopt import adopt_caller, answer_sdp
from centrex.calls.features.hold import HoldMusic
from centrex.calls.features.park_lot import ParkLot, lot_of
from centrex.calls.leg import TimerKind
from centrex.calls.live_state import DialogPhase, ExtensionDialog
from centrex.calls.outbound import RingFailure, RingOwner, RingResult
from centrex.calls.transfer import AppTransfer
from centrex.data.models import HangupSide, Tenant
from centrex.media.engine import NoCommonCodecError
from centrex.media.relay import BridgeError
from centrex.sip.errors import SipParseError
from centrex.sip.message import Response

log = logging.getLogger(__name__)

PARK_FEATURE = "park"
RETRIEVE_FEATURE = "park-retrieve"
TIMER = "park"  # the feature timer of a parked call
DEFAULT_TIMEOUT = 60.0
DEFAULT_RING_BACK = 20.0


@dataclass(eq=False)
class ParkedCall:
    """A call in a slot (or ringing its parker back after the time-out)."""

    call: Call
    slot: str
    parker: str
    deadline: float
    ring_back: AppTransfer | None = None


class CallPark:
    """The park feature: `700` by transfer, the slots, the time-out."""

    name = "park"

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        ring_back_seconds: float = DEFAULT_RING_BACK,
        lot: ParkLot | None = None,
        music: CallMediaHost | None = None,
    ) -> None:
        """`music`: where the music on hold comes from (None: the B2BUA's call media)."""
        self.timeout = timeout
        self.ring_back_seconds = ring_back_seconds
        self.lot = lot or ParkLot()  # a tenant without park settings of its own gets these
        self._lots: dict[int, ParkLot] = {}  # by tenant: its own lot (`tenants.park_*`)
        self._timeouts: dict[int, float] = {}
        self._music_host = music
        self._hooks: FeatureHooks | None = None
        self._parked: dict[str, ParkedCall] = {}  # by call id
        self._hold: HoldMusic | None = None

    @property
    def actions(self) -> CallActions:
        if self._hooks is None:
            raise RuntimeError("the park feature is not attached")
        return self._hooks.actions

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        hooks.contribute(self.name, self._numbers)
        hooks.serve(PARK_FEATURE, self._dialled)
        hooks.serve_ring(PARK_FEATURE, self.park)
        hooks.serve(RETRIEVE_FEATURE, self.retrieve)
        hooks.on_timer(TIMER, self._timed_out)
        hooks.on_releasing(self.name, self._releasing)

    async def _numbers(self, _session: AsyncSession, tenant: Tenant) -> PlanPart:
        """The tenant's park number and slots in its plan; its lot and time-out are kept for
        its calls (read again whenever its plan is, so a change applies with the plan)."""
        lot = self.lot
        if tenant.park_number is not None or tenant.park_slots is not None:
            lot = lot_of(tenant.park_number or self.lot.number, tenant.park_slots)
        self._lots[tenant.id] = lot
        if tenant.park_timeout:
            self._timeouts[tenant.id] = float(tenant.park_timeout)
        else:
            self._timeouts.pop(tenant.id, None)
        numbers = {lot.number: (PARK_FEATURE, lot.number)}
        numbers.update({slot: (RETRIEVE_FEATURE, slot) for slot in lot.slots})
        return PlanPart(numbers=numbers)

    def lot_of(self, tenant_id: int) -> ParkLot:
        """The tenant's park number and slots."""
        return self._lots.get(tenant_id, self.lot)

    def timeout_of(self, tenant_id: int) -> float:
        """How long the tenant's parked calls wait before ringing the parker back."""
        return self._timeouts.get(tenant_id, self.timeout)

    def parked_in(self, tenant_id: int, slot: str) -> Call | None:
        """The call parked in this tenant's `slot` (for tests and the live views)."""
        for entry in self._parked.values():
            if entry.call.tenant_id == tenant_id and entry.slot == slot and entry.ring_back is None:
                return entry.call
        return None

    def slot_of(self, call: Call) -> str | None:
        """The slot `call` is parked in (None: not parked, or ringing its parker back)."""
        entry = self._parked.get(call.call_id)
        if entry is None or entry.ring_back is not None or entry.call is not call:
            return None
        return entry.slot

    def music_playing(self, call: Call) -> bool:
        leg = call.a.media
        return self._hold is not None and leg is not None and self._hold.playing(leg)

    def _music(self) -> HoldMusic | None:
        if self._hold is None:
            host = self._music_host or self.actions.core.deps.call_media
            if host is not None:
                self._hold = HoldMusic(self.actions.core.engine, host)
        return self._hold

    # ---- parking ----------------------------------------------------------------------------
    async def _dialled(self, call: Call, _argument: str) -> None:
        number = self.lot_of(call.tenant_id).number
        await self.actions.reject(call, 403, f"transfer a call to {number} to park it")

    async def park(self, call: Call, _argument: str, owner: RingOwner) -> None:
        """Park the transferee of a blind transfer (owner: `BlindRing`)."""
        actions = self.actions
        parked = getattr(owner, "parked", None)
        parker = getattr(owner, "parker", None)
        if not callable(parked) or not isinstance(parker, str):
            await owner.failed(call, RingFailure(RingResult.DECLINED, 403,
                                                 "park takes a call by transfer"))  # fmt: skip
            return
        if call.state is not CallState.ANSWERED or call.a.media is None:
            await owner.failed(call, RingFailure(RingResult.DECLINED, 487, "the call is gone"))
            return
        slots = self.lot_of(call.tenant_id).slots
        slot = await actions.live.claim_park_slot(call.tenant_id, slots, call.call_id)
        if slot is None:
            log.info("call %s: every park slot of %s is taken", call.call_id, call.domain)
            await owner.failed(call, RingFailure(RingResult.BUSY, 486, "every park slot is taken"))
            return
        if call.state is not CallState.ANSWERED:  # the transferee left while we claimed
            await actions.live.release_park_slot(call.tenant_id, slot, call.call_id)
            return
        deadline = actions.arm_timer(call, TIMER, self.timeout_of(call.tenant_id))
        self._parked[call.call_id] = ParkedCall(call, slot, parker, deadline)
        await parked(call, slot)  # the transferor's NOTIFY 200 and BYE
        now = actions.core.monotonic()
        for extension, phase in ((parker, DialogPhase.TERMINATED), (slot, DialogPhase.CONFIRMED)):
            dialog = ExtensionDialog(call.call_id, phase, False, call.caller, now)
            await actions.live.set_dialog(call.tenant_id, extension, dialog)
        call.callee = slot
        log.info("call %s: %s parked %s in %s until %.1f", call.call_id, parker, call.caller,
                 slot, deadline)  # fmt: skip
        music = self._music()
        if music is not None and call.a.media is not None:
            await music.start(call.tenant_id, call.a.media)

    async def _leave_slot(self, entry: ParkedCall) -> bool:
        """Free the slot if this call still holds it (False: someone else won the race)."""
        actions = self.actions
        call = entry.call
        if not await actions.live.release_park_slot(call.tenant_id, entry.slot, call.call_id):
            return False
        actions.cancel_timer(call, TIMER)
        stopped = ExtensionDialog(call.call_id, DialogPhase.TERMINATED, False, call.caller,
                                  actions.core.monotonic())  # fmt: skip
        await actions.live.set_dialog(call.tenant_id, entry.slot, stopped)
        return True

    def _stop_music(self, call: Call) -> None:
        if self._hold is not None and call.a.media is not None:
            self._hold.stop(call.a.media)

    # ---- retrieving -------------------------------------------------------------------------
    async def retrieve(self, call: Call, slot: str) -> None:
        """`call` dialled `slot`: take the call parked there (this tenant's only)."""
        actions = self.actions
        call_id = await actions.live.parked(call.tenant_id, slot)
        entry = self._parked.get(call_id) if call_id is not None else None
        if entry is None or entry.call.tenant_id != call.tenant_id or entry.ring_back is not None:
            log.info("call %s: nothing parked in %s of %s", call.call_id, slot, call.domain)
            await actions.reject(call, 404, f"nothing is parked in {slot}")
            return
        if not await self._leave_slot(entry):
            await actions.reject(call, 404, f"nothing is parked in {slot}")
            return
        parked = entry.call
        self._parked.pop(parked.call_id, None)
        sdp = answer_sdp(actions, call, parked)
        if parked.state is not CallState.ANSWERED or sdp is None:
            await actions.reject(call, 488 if parked.state is CallState.ANSWERED else 404,
                                 f"the call parked in {slot} cannot be retrieved")  # fmt: skip
            if parked.state is CallState.ANSWERED:
                await self._hang_up(parked, "park-retrieve-failed")
            return
        self._stop_music(parked)
        side = await adopt_caller(actions, call, parked, sdp, "park-retrieved", entry.parker)
        if side is None:
            await self._hang_up(parked, "park-retrieve-failed")
            return
        log.info("call %s: %s retrieves it from %s", parked.call_id, side.peer, slot)
        actions.core.event(parked, "transferred")
        actions.core.spawn(actions.core.hooks.answered(parked, side), parked)

    # ---- the time-out -----------------------------------------------------------------------
    async def _timed_out(self, call: Call) -> None:
        entry = self._parked.get(call.call_id)
        if entry is None or entry.ring_back is not None or not await self._leave_slot(entry):
            return
        actions = self.actions
        log.info("call %s: not retrieved from %s in %.0f s, ringing %s back", call.call_id,
                 entry.slot, self.timeout_of(call.tenant_id), entry.parker)  # fmt: skip
        entry.ring_back = AppTransfer(TransferKind.EXTENSION, entry.parker)
        call.transfer = entry.ring_back  # outbound legs ring an answered call
        owner = RingBack(self, entry, self.ring_back_seconds)
        await actions.outbound.ring_extension(call, entry.parker, owner)

    async def ring_to(self, call: Call, extension: str, headers: list[tuple[str, str]]) -> bool:
        """Take `call` out of its slot by ringing `extension` with `headers` (the switchboard
        retrieving a parked call, auto-answer); answered, it is bridged like a ring-back, not
        answered, the ring-back's fallback applies. False when the call is not in a slot
        (any more: a retrieve or the time-out won)."""
        entry = self._parked.get(call.call_id)
        if entry is None or entry.ring_back is not None or not await self._leave_slot(entry):
            return False
        log.info("call %s: taken from %s by ringing %s", call.call_id, entry.slot, extension)
        entry.parker = extension
        entry.ring_back = AppTransfer(TransferKind.EXTENSION, extension)
        call.transfer = entry.ring_back
        owner = RingBack(self, entry, self.ring_back_seconds, tuple(headers))
        await self.actions.outbound.ring_extension(call, extension, owner)
        return True

    async def ring_back_answered(
        self, entry: ParkedCall, side: SipSide, response: Response
    ) -> None:
        """The parker answered its ring-back: bridge it with the parked party."""
        actions = self.actions
        core = actions.core
        call = entry.call
        self._parked.pop(call.call_id, None)
        call.timers.cancel(TimerKind.RING)
        actions.outbound.cancel_forks(call, keep=side)
        core.ack(call, side, response)
        self._stop_music(call)
        try:
            if side.media is None or call.a.media is None:
                raise NoCommonCodecError("a media leg is gone")
            core.engine.set_remote(side.media, response.body, signalling_host=side.target[0])
            core.engine.bridge(call.a.media, side.media)
        except (NoCommonCodecError, SipParseError, ValueError, BridgeError) as exc:
            log.warning("call %s: ring-back media failed: %s", call.call_id, exc)
            core.bye(call, side)
            core.release_side(side)
            await self._hang_up(call, "park-unanswered")
            return
        if entry.ring_back is not None:
            entry.ring_back.finish(TransferOutcome.CONNECTED)
        call.b = side
        side.answered_at = core.now()
        call.callee = entry.parker
        cdrs = core.deps.cdrs
        if side.cdr_leg_id is not None:
            await cdrs.leg_transferred(side.cdr_leg_id, transferred_by=entry.slot,
                                       answered_at=side.answered_at)  # fmt: skip
        if call.cdr_id is not None:
            await cdrs.transferred(call.cdr_id, callee=call.callee, direction=call.direction,
                                   trunk_id=None)  # fmt: skip
        core.event(call, "transferred")
        core.spawn(core.hooks.answered(call, side), call)

    async def ring_back_failed(self, entry: ParkedCall, failure: RingFailure) -> None:
        """Nobody took the ring-back: the fallback ends the call (module docstring)."""
        call = entry.call
        self._parked.pop(call.call_id, None)
        call.timers.cancel(TimerKind.RING)
        self.actions.outbound.cancel_forks(call)
        if entry.ring_back is not None:
            entry.ring_back.finish(TransferOutcome.FAILED)
        log.info("call %s: %s did not take its parked call back (%s %s)", call.call_id,
                 entry.parker, failure.status, failure.reason)  # fmt: skip
        actions = self.actions
        if call.state is CallState.ANSWERED and actions.apps.voicemail_available():
            self._stop_music(call)  # the caller leaves a message for the parker instead
            if call.cdr_id is not None:
                await actions.core.deps.cdrs.transferred(call.cdr_id, callee=entry.parker,
                                                         direction=call.direction,
                                                         trunk_id=None)  # fmt: skip
            call.callee = entry.parker
            log.info("call %s: not taken back, to the voicemail of %s", call.call_id,
                     entry.parker)  # fmt: skip
            await actions.voicemail(call, entry.parker, "no-answer")
            return
        await self._hang_up(call, "park-unanswered")

    async def _hang_up(self, call: Call, cause: str) -> None:
        if call.state is CallState.ANSWERED:
            await self.actions.ending.hang_up(call, cause=cause, who=HangupSide.SYSTEM)

    # ---- the parked party leaves --------------------------------------------------------------
    async def _releasing(self, call: Call) -> None:
        entry = self._parked.pop(call.call_id, None)
        if entry is None:
            return
        self._stop_music(call)
        if entry.ring_back is None:
            await self._leave_slot(entry)
            log.info("call %s: the parked party left %s", call.call_id, entry.slot)


@dataclass(eq=False)
class RingBack:
    """The `RingOwner` of a parked call ringing its parker after the time-out."""

    feature: CallPark
    entry: ParkedCall
    ring_timeout: float  # read by `outbound.ring_seconds`
    ring_headers: tuple[tuple[str, str], ...] = ()  # read by `outbound.ring_headers`

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.feature.ring_back_answered(self.entry, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        await self.feature.ring_back_failed(self.entry, failure)
