"""Call control from outside the phones: the switchboard, CRM click-to-call, integrators
(issue 12, item 10: `POST /api/v1/calls`, `/calls/{id}/transfer|park|hold|resume|pickup`).

Theory of operation — every action is one of the call layer's own moves, made on a call of the
asking tenant only (another tenant's call id is "no such call": nothing is revealed):

* Which party: a switchboard acts on the party it handles for the tenant — the outside party
  of a call (the caller of an inbound call, the callee of a call an extension placed), the
  caller when both parties are the tenant's extensions; `party` ("caller"/"callee") says so
  explicitly. The party handed on must be the call's side A (the call layer hands calls on
  from A), so a callee is first swapped into side A (`parties.swap_parties`, RFC 3261 §12:
  once both dialogs are confirmed the roles are symmetric).
* Attended transfer (`mode: attended`) holds the party, rings the target for the other party
  and lets them talk before `complete_transfer` hands over (`consult_transfer.py`).
* Transfer (blind) and park are the phone's blind transfer without the REFER
  (`ReferTransfer.hand_on`): the party hears ringback (or the park music), the other party is
  the transferor and gets BYE once the target answered (or the call is parked); a failed
  transfer returns the party to it. Park answers the slot (`701`…) at once.
* Hold plays the tenant's music to the held party and takes it out of the bridge (the other
  party hears silence); resume bridges them again. No re-INVITE is needed: Centrex is both
  parties' media peer (RFC 7667 §3.2.1.1 stream switching), the phones keep their streams.
* Pickup (the switchboard's "answer"): the attendant's extension is rung as one more fork of a
  ringing call, with the intercom's auto-answer headers (`Call-Info: answer-after=0`,
  `Alert-Info: info=alert-autoanswer`), so the first answer — the attendant's phone picking up
  by itself — wins like any fork (§9.1 CANCELs the others). A parked call is taken back the
  same way (`CallPark.ring_to`).
* Click-to-call (`originate`): Centrex calls the originator's phones first (its own SDP offer,
  a side A with no INVITE of its own: `SipSide.originated`), showing the number it is about
  to dial; once a phone answers, that dialog becomes side A and the target is rung as a blind
  transfer with no transferor — the originator hears ringback, the target's answer bridges
  them, a failure ends the call. The CDR is the originator's call to the target, answered when
  the target answers. The originator's own DND and forwards do not apply: it asked for the call.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from centrex.calls.actions import CallActions
from centrex.calls.call import Call, SipSide
from centrex.calls.features import FeatureHooks
from centrex.calls.features.consult_transfer import Consultation, ConsultTransfer
from centrex.calls.features.hold import HoldMusic
from centrex.calls.features.intercom import auto_answer_headers
from centrex.calls.features.park import CallPark
from centrex.calls.features.parties import swap_parties
from centrex.calls.features.placed import placed_call, take_answer
from centrex.calls.features.transfer_refer import ReferTransfer
from centrex.calls.leg import CallState, TimerKind
from centrex.calls.outbound import RingFailure
from centrex.calls.router import Reject, ToApp, ToFeature, ToTrunks
from centrex.data.models import Direction, Tenant
from centrex.errors import Conflict, Forbidden, NotFound, ValidationFailed
from centrex.media.engine import PortPoolExhausted
from centrex.sip.message import Response

log = logging.getLogger(__name__)

NUMBER = re.compile(r"\+?[0-9*#]{1,32}")  # what a phone could dial (ASCII digits only)
PARTIES = ("caller", "callee")


def check_number(value: str, field: str) -> str:
    """A dialable number or a clear 422."""
    value = value.strip()
    if not NUMBER.fullmatch(value):
        raise ValidationFailed(
            f"{field} must be a number to dial (digits, optionally + * #), got {value!r}",
            error_id="bad-number", field=field,
        )  # fmt: skip
    return value


class CallControl:
    """The call-control feature (register once per B2BUA, after REFER and park)."""

    name = "call-control"

    def __init__(self, transfers: ReferTransfer, park: CallPark) -> None:
        self._transfers = transfers
        self._park = park
        self._hooks: FeatureHooks | None = None
        self._held: dict[str, SipSide] = {}  # by call id: the party hearing the music
        self._music: HoldMusic | None = None
        self._consults: ConsultTransfer | None = None
        self._pickups: dict[str, tuple[str, list[SipSide]]] = {}  # call id -> (ext, its forks)

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        hooks.on_releasing(self.name, self._releasing)
        hooks.on_left(self.name, self._left)
        hooks.on_answered(self.name, self._answered_by)

    @property
    def actions(self) -> CallActions:
        if self._hooks is None:
            raise RuntimeError("the call-control feature is not attached")
        return self._hooks.actions

    # ---- what the live view shows -----------------------------------------------------------
    def held(self, call: Call) -> bool:
        return call.call_id in self._held

    def park_slot(self, call: Call) -> str | None:
        return self._park.slot_of(call)

    # ---- finding the call and the party -----------------------------------------------------
    def _call(self, tenant_id: int, call_id: str) -> Call:
        call = self.actions.find(call_id, tenant_id)
        if call is None or call.state is CallState.ENDED:
            raise NotFound(f"no live call {call_id}", error_id="call-not-found")
        return call

    def _answered(self, call: Call) -> None:
        if call.state is not CallState.ANSWERED or call.b is None or call.transferring:
            raise Conflict(f"call {call.call_id} is not an answered two-party call",
                           error_id="call-not-answered")  # fmt: skip
        if self._transfers.busy(call) or call.call_id in self.consults.active:
            raise Conflict(f"a transfer of call {call.call_id} is in progress",
                           error_id="transfer-in-progress")  # fmt: skip

    async def _party(self, call: Call, party: str | None) -> SipSide:
        """The side the action is for (module docstring), swapped into side A if needed."""
        assert call.b is not None
        if party is not None and party not in PARTIES:
            raise ValidationFailed(f"party must be one of {', '.join(PARTIES)}",
                                   error_id="bad-party", field="party")  # fmt: skip
        if party is None:
            plan = await self.actions.plan(call.tenant_id)
            extensions = plan.extensions if plan is not None else {}

            def own(side: SipSide) -> bool:
                return side.trunk is None and side.peer in extensions

            party = "callee" if own(call.a) and not own(call.b) else "caller"
        side = call.b if party == "callee" else call.a
        if side is call.b and not swap_parties(self.actions.core, call):
            raise Conflict(f"call {call.call_id} cannot be handed on now",
                           error_id="call-not-answered")  # fmt: skip
        return call.a

    # ---- transfer and park ------------------------------------------------------------------
    async def transfer(
        self, tenant_id: int, call_id: str, to: str, *, mode: str = "blind",
        party: str | None = None,
    ) -> dict[str, object]:  # fmt: skip
        """Blind-transfer a party of the call to `to` (module docstring)."""
        to = check_number(to, "to")
        if mode not in ("blind", "attended"):
            raise ValidationFailed("mode must be 'blind' or 'attended'", error_id="bad-mode",
                                   field="mode")  # fmt: skip
        call = self._call(tenant_id, call_id)
        self._answered(call)
        destination = await self.actions.destination(call, to)
        _check_destination(destination, to)
        if (
            mode == "attended"
            and isinstance(destination, ToFeature)
            and to == self._park.lot_of(call.tenant_id).number
        ):
            raise ValidationFailed("park a call with /park, not by an attended transfer",
                                   error_id="bad-mode", field="to")  # fmt: skip
        await self._party(call, party)
        self._unhold(call)
        if mode == "attended":
            await self.consults.start(call, destination, to)
            consultation = self.consults.active.get(call.call_id)
            state = consultation.state.value if consultation is not None else "failed"
            return {"call_id": call.call_id, "to": to, "mode": mode, "state": state}
        referral = await self._transfers.hand_on(call, call.b, to)
        state = "ringing"
        if referral.settled.done():
            state = "failed" if referral.settled.result() >= 300 else "connected"
        return {"call_id": call.call_id, "to": to, "mode": mode, "state": state}

    async def park(self, tenant_id: int, call_id: str, *, party: str | None = None) -> str:
        """Park a party of the call in the first free slot; the slot (`701`…)."""
        call = self._call(tenant_id, call_id)
        self._answered(call)
        await self._party(call, party)
        self._unhold(call)
        park_number = self._park.lot_of(call.tenant_id).number
        referral = await self._transfers.hand_on(call, call.b, park_number)
        if referral.settled.done() and referral.settled.result() == 200 and referral.slot:
            return referral.slot
        status = referral.settled.result() if referral.settled.done() else 0
        if status == 486:
            raise Conflict("every park slot is taken", error_id="park-full")
        raise Conflict(f"call {call_id} could not be parked ({status or 'pending'})",
                       error_id="park-failed")  # fmt: skip

    # ---- attended transfer: complete or cancel ------------------------------------------------
    @property
    def consults(self) -> ConsultTransfer:
        if self._consults is None:
            self._consults = ConsultTransfer(self.actions, self._hold_music())
        return self._consults

    def _consultation(self, tenant_id: int, call_id: str) -> Consultation:
        call = self._call(tenant_id, call_id)
        consultation = self.consults.active.get(call.call_id)
        if consultation is None:
            raise Conflict(f"call {call_id} has no attended transfer in progress",
                           error_id="no-transfer")  # fmt: skip
        return consultation

    async def complete_transfer(self, tenant_id: int, call_id: str) -> None:
        """Hand the held party to the consulted target; the transferor leaves."""
        await self.consults.complete(self._consultation(tenant_id, call_id))

    async def cancel_transfer(self, tenant_id: int, call_id: str) -> None:
        """Give the consultation up: the held party returns to the transferor."""
        await self.consults.cancel(self._consultation(tenant_id, call_id))

    async def _left(self, call: Call, side: SipSide) -> bool:
        return await self.consults.left(call, side) if self._consults is not None else False

    # ---- hold -------------------------------------------------------------------------------
    async def hold(self, tenant_id: int, call_id: str, *, party: str | None = None) -> None:
        call = self._call(tenant_id, call_id)
        if call.call_id in self._held:
            raise Conflict(f"call {call_id} is on hold already", error_id="call-held")
        self._answered(call)
        held = await self._party(call, party)
        other = call.b
        if held.media is None or other is None or other.media is None:
            raise Conflict(f"call {call_id} has no media to hold", error_id="call-not-answered")
        engine = self.actions.core.engine
        engine.unbridge(held.media)
        self._held[call.call_id] = held
        music = self._hold_music()
        if music is not None:
            await music.start(call.tenant_id, held.media)
        log.info("call %s: %s held from the API", call.call_id, held.peer)

    async def resume(self, tenant_id: int, call_id: str) -> None:
        call = self._call(tenant_id, call_id)
        held = self._held.get(call.call_id)
        if held is None:
            raise Conflict(f"call {call_id} is not on hold", error_id="call-not-held")
        other = call.other(held)
        self._unhold(call)
        if held.media is None or other is None or other.media is None:
            raise Conflict(f"call {call_id} lost a party while on hold", error_id="call-gone")
        try:
            self.actions.core.engine.bridge(held.media, other.media)
        except ValueError as exc:  # BridgeError is a ValueError
            raise Conflict(f"call {call_id} could not be resumed: {exc}",
                           error_id="resume-failed") from exc  # fmt: skip
        log.info("call %s: %s resumed from the API", call.call_id, held.peer)

    def _unhold(self, call: Call) -> None:
        held = self._held.pop(call.call_id, None)
        if held is not None and held.media is not None and self._music is not None:
            self._music.stop(held.media)

    def _hold_music(self) -> HoldMusic | None:
        if self._music is None:
            host = self.actions.core.deps.call_media
            if host is not None:
                self._music = HoldMusic(self.actions.core.engine, host)
        return self._music

    async def _releasing(self, call: Call) -> None:
        self._unhold(call)
        self._pickups.pop(call.call_id, None)
        if self._consults is not None:
            await self._consults.releasing(call)

    # ---- pickup (the switchboard's answer) ---------------------------------------------------
    async def pickup(self, tenant_id: int, call_id: str, extension: str) -> None:
        """Ring `extension` with auto-answer for a ringing or parked call (module docstring)."""
        extension = check_number(extension, "extension")
        call = self._call(tenant_id, call_id)
        await self._registered(tenant_id, extension)
        headers = list(auto_answer_headers(call.domain))
        if self._park.slot_of(call) is not None:
            if not await self._park.ring_to(call, extension, headers):
                raise Conflict(f"call {call_id} was just taken from its slot",
                               error_id="call-not-parked")  # fmt: skip
            return
        if call.state is not CallState.RINGING or call.transferring or call.a.originated:
            raise Conflict(f"call {call_id} is not ringing", error_id="call-not-ringing")
        forks = await self.actions.outbound.add_forks(call, extension, headers)
        if not forks:
            raise Conflict(f"extension {extension} could not be rung",
                           error_id="extension-not-registered")  # fmt: skip
        self._pickups[call.call_id] = (extension, forks)

    async def _answered_by(self, call: Call, side: SipSide) -> None:
        """A pickup's fork won: the attendant is the callee now (CDR, live view, lamps: the
        extension first rung goes free, as after a pickup from a phone)."""
        extension, forks = self._pickups.pop(call.call_id, ("", []))
        if side not in forks:
            return
        call.callee = extension
        if call.cdr_id is not None:
            await self.actions.core.deps.cdrs.transferred(
                call.cdr_id, callee=extension, direction=call.direction, trunk_id=None
            )
        self.actions.core.event(call, "transferred")

    async def _registered(self, tenant_id: int, extension: str) -> None:
        plan = await self.actions.plan(tenant_id)
        if plan is None or extension not in plan.extensions:
            raise NotFound(f"extension {extension} does not exist",
                           error_id="extension-not-found", field="extension")  # fmt: skip
        if not self.actions.registered(tenant_id, extension):
            raise Conflict(f"extension {extension} has no registered phone",
                           error_id="extension-not-registered")  # fmt: skip

    # ---- click-to-call ----------------------------------------------------------------------
    async def originate(self, tenant_id: int, from_extension: str, to: str) -> Call:
        """Ring `from_extension`'s phones, then dial `to` for it (module docstring)."""
        from_extension = check_number(from_extension, "from_extension")
        to = check_number(to, "to")
        core = self.actions.core
        async with core.deps.database.session() as session:
            tenant = await session.get(Tenant, tenant_id)
        if tenant is None:
            raise NotFound("no such tenant", error_id="tenant-not-found")
        try:
            await self._registered(tenant_id, from_extension)
        except NotFound as exc:
            exc.field = "from_extension"
            raise
        refusal = core.deps.limits.acquire_tenant(tenant.id, tenant.max_calls)
        if refusal is not None:
            raise Conflict(refusal.reason, error_id="licence-limit")
        try:
            media = await core.engine.allocate()
        except PortPoolExhausted as exc:
            core.deps.limits.release_tenant(tenant.id)
            raise Conflict("no media port is free", error_id="media-exhausted") from exc
        call = placed_call(
            core, tenant_id=tenant.id, domain=tenant.domain, party=from_extension,
            caller=from_extension, callee=to,
            shown_name=to,  # what the originator's phone shows while it rings
            sdp=core.engine.offer_for(media).serialize(), peer="api", media=media,
            licence_held=True,
        )  # fmt: skip
        destination = await self.actions.destination(call, to, caller=from_extension)
        try:
            _check_destination(destination, to)
        except Exception:
            await self.actions.ending.reject(call, 403, "refused before ringing")
            raise
        if isinstance(destination, ToTrunks):
            call.direction = Direction.OUTBOUND
        call.cdr_id = await core.deps.cdrs.start(
            tenant_id=tenant.id, call_id=call.call_id, caller=from_extension, callee=to,
            direction=call.direction, started_at=call.started_at, extension=from_extension,
        )  # fmt: skip
        core.event(call, "started")
        log.info("call %s: placed from the API, %s first, then %s", call.call_id,
                 from_extension, to)  # fmt: skip
        await self.actions.outbound.ring_extension(call, from_extension, Origination(self, to))
        return call

    async def first_answered(
        self, origination: Origination, call: Call, side: SipSide, response: Response
    ) -> None:
        """The originator's phone answered: it becomes side A, and the target is rung."""
        core = self.actions.core
        call.timers.cancel(TimerKind.RING)
        self.actions.outbound.cancel_forks(call, keep=side)
        core.ack(call, side, response)
        unusable = take_answer(core, call, side, response)
        if unusable is not None:
            await self.actions.ending.reject(call, 488, unusable)
            return
        call.caller_name = None
        if side.cdr_leg_id is not None:
            await core.deps.cdrs.leg_transferred(side.cdr_leg_id, transferred_by=None,
                                                 answered_at=side.answered_at)  # fmt: skip
        core.event(call, "originator-answered")
        await self._transfers.hand_on(call, None, origination.target)

    async def first_failed(self, call: Call, failure: RingFailure) -> None:
        """The originator's phones did not answer: the call ends there."""
        log.info("call %s: the originator did not answer (%s)", call.call_id, failure.reason)
        await self.actions.ending.reject(call, failure.status, failure.reason)


@dataclass(eq=False)
class Origination:
    """The `RingOwner` of a click-to-call's first party."""

    control: CallControl
    target: str

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.control.first_answered(self, call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        await self.control.first_failed(call, failure)


def _check_destination(destination: object, to: str) -> None:
    """A target the API can hand a party to (an extension, an outside number, a ring group,
    park), or the error saying why not."""
    if isinstance(destination, Reject):
        if destination.status == 404:
            raise NotFound(f"{to}: {destination.reason}", error_id="target-not-found",
                           field="to")  # fmt: skip
        if destination.status == 403:
            raise Forbidden(f"{to}: {destination.reason}", error_id="target-forbidden")
        raise Conflict(f"{to}: {destination.reason}", error_id="target-refused")
    if isinstance(destination, ToApp):
        raise ValidationFailed(f"{to} leads to an application, not a party",
                               error_id="target-is-application", field="to")  # fmt: skip
