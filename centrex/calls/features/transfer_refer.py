"""Transfer from the phone: REFER (RFC 3515), blind or attended with Replaces (RFC 3891).

Theory of operation:

* A phone in an answered call sends REFER on its dialog with Centrex. Centrex is a B2BUA, so
  it acts as the referee on the transferee's behalf: it checks the request, answers 202
  Accepted, and reports progress on the same dialog with NOTIFY `Event: refer;id=<CSeq>`
  carrying `message/sipfrag` status lines (RFC 3515 §2.4.4-§2.4.5): `SIP/2.0 100 Trying` at
  once, the final status at the end with `Subscription-State: terminated` (RFC 6665 §4.2.2).
* Refused before 202: a REFER outside a dialog (481), in a call not answered yet (403), from
  a carrier's side (403: a trunk may not spend the tenant's money), without or with a broken
  Refer-To (400), naming another domain (403), a second transfer while one runs (491). Each
  refusal carries a Warning and leaves the call as it was.
* Blind: the target is routed like a number the transferee dialled inside the transferring
  tenant — an extension (rung through `CallActions.ring_extension`, so DND/forward hooks
  apply), an outside number (the tenant's routes and trunks: billed to the tenant), a number a
  feature serves (ring group, park: `CallActions.go`, the feature acting for this transfer's
  owner; park takes the transferee itself, `BlindRing.parked`) or `*97N`, the voicemail of N
  (the voicemail app takes the answered transferee: NOTIFY 200 at once). The
  transferor's side is taken out of the bridge; the transferee hears ringback (ITU-T E.180,
  `transfer.play_ringback`) until the target answers; then the two are bridged (the
  transferee keeps its codec, the engine transcodes between G.711 laws), the final NOTIFY says
  200 and the transferor is sent BYE once the NOTIFY is answered, unless it hung up itself.
  A failed blind transfer (busy, no answer, unknown, unavailable) NOTIFYs the failure and
  bridges the transferee back to the transferor — or hangs it up when the transferor left.
* Attended: Refer-To carries `?Replaces=` naming the transferor's dialog with Centrex in its
  consultation call; `transfer_join.py` bridges the two far parties at once and ends both of
  the transferor's dialogs. The same module takes an INVITE with Replaces (pickup, attended
  transfer done by the transferee's phone).
* Either party may transfer: when the calling party sends the REFER, the two sides of the
  answered call swap roles first (`parties.swap_parties`), so the transferee is always the
  call's side A, which the call layer hands on.
* Without a REFER (`hand_on`): the call-control API (`call_control.py`) transfers or parks a
  party the same way — no NOTIFY (there is no subscription), the transferor (the other party,
  if any) is sent BYE once the target answered; a call placed from the API rings its target
  this way with no transferor at all (nobody to return to: a failure ends the call).
* CDR: every hop is a leg row of the call; the target's leg carries `transferred_by` (the
  transferring extension), the transferor's leg closes with cause `transferred`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from centrex.calls import signalling as sig
from centrex.calls.actions import CallActions
from centrex.calls.app_host import TransferKind, TransferOutcome
from centrex.calls.call import Call, SipSide
from centrex.calls.core import Purpose
from centrex.calls.features import FeatureHooks
from centrex.calls.features.parties import swap_parties
from centrex.calls.features.transfer_join import Joiner
from centrex.calls.leg import CallState, TimerKind
from centrex.calls.outbound import RingFailure
from centrex.calls.router import Reject, ToApp, ToExtension, ToFeature, ToTrunks
from centrex.calls.transfer import AppTransfer, play_ringback
from centrex.data.models import Direction, Disposition, HangupSide, Tenant
from centrex.media.engine import NoCommonCodecError
from centrex.media.relay import BridgeError
from centrex.sip.errors import SipParseError
from centrex.sip.events import RequestReceived
from centrex.sip.message import Request, Response
from centrex.sip.refer import SIPFRAG, ReferTo, parse_refer_to, sipfrag, subscription_state

log = logging.getLogger(__name__)

VOICEMAIL_PREFIX = "*97"  # Refer-To user *97N: the voicemail of extension N


@dataclass(eq=False)
class Referral:
    """One REFER being carried out: who asked, on which dialog, what is rung."""

    call: Call
    transferor: SipSide | None  # None: a call placed from the API ringing its target
    # the REFER's CSeq: NOTIFY `Event: refer;id=N` (RFC 3515 §2.4.6); None without a REFER
    # (the API): no subscription, no NOTIFY
    event_id: int | None
    target: str
    ring: AppTransfer | None = None
    done: bool = False
    slot: str | None = None  # where park took the transferee
    settled: asyncio.Future[int] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )  # the final status (200: connected or parked)


class ReferTransfer:
    """The REFER feature (register once per B2BUA)."""

    name = "transfer-refer"

    def __init__(self) -> None:
        self._hooks: FeatureHooks | None = None
        self._active: dict[str, Referral] = {}  # by call_id: one transfer per call at a time

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        hooks.serve_method("REFER", self.on_refer)
        hooks.serve_method("NOTIFY", self.on_notify)
        hooks.serve_replaces(self._on_replaces)
        hooks.on_releasing(self.name, self._releasing)

    @property
    def actions(self) -> CallActions:
        if self._hooks is None:
            raise RuntimeError("the REFER feature is not attached")
        return self._hooks.actions

    # ---- requests ---------------------------------------------------------------------------
    def on_notify(self, event: RequestReceived) -> None:
        """Centrex subscribes to nothing in a call's dialogs: a NOTIFY there names a
        subscription that does not exist (RFC 6665 §4.1.3: 481)."""
        found = self.actions.core.find(event.request)
        tag = found[1].local_tag if found is not None else None
        self.actions.core.reply(event.request, event.transaction, 481, tag=tag,
                                reason="Subscription Does Not Exist",
                                transport=event.transport)  # fmt: skip

    async def on_refer(self, event: RequestReceived) -> None:
        core = self.actions.core
        request = event.request
        found = core.find(request)
        if found is None:
            self._refuse(event, None, 481, "the REFER names no dialog of a call")
            return
        call, side = found
        if side.dialog is not None:
            error = side.dialog.receive_request(request)
            if error is not None:
                core.reply(request, event.transaction, error.status, tag=side.local_tag,
                           transport=event.transport)  # fmt: skip
                return
        refusal = self._check(call, side)
        if refusal is not None:
            self._refuse(event, side, *refusal)
            return
        try:
            refer = self._refer_to(request, call)
        except SipParseError as exc:
            self._refuse(event, side, 400, f"bad Refer-To: {exc}")
            return
        if isinstance(refer, tuple):
            self._refuse(event, side, *refer)
            return
        if side is call.a and not swap_parties(self.actions.core, call):
            self._refuse(event, side, 403, "this dialog is not part of the call any more")
            return
        cseq = request.cseq
        referral = Referral(call, side, cseq.number if cseq else 0, refer.user)
        self._active[call.call_id] = referral
        core.reply(request, event.transaction, 202, tag=side.local_tag, transport=event.transport)
        self.notify(referral, 100)
        log.info("call %s: %s refers %s to %s%s", call.call_id, side.peer, call.a.peer,
                 refer.user, " (attended)" if refer.replaces else "")  # fmt: skip
        if refer.replaces is not None:
            joiner = Joiner(self.actions)
            status = await joiner.attended(call, side, refer.replaces)
            self._finish(referral, status)
            return
        await self._blind(referral)

    def _check(self, call: Call, side: SipSide) -> tuple[int, str] | None:
        if call.state is not CallState.ANSWERED or not side.answered:
            return 403, "the call is not answered yet"
        if side.trunk is not None:
            return 403, "a carrier may not transfer calls"
        if call.call_id in self._active:
            return 491, "a transfer of this call is in progress"
        if side is call.a:
            if call.b is None or call.b.media is None:
                return 403, "this dialog is not part of the call any more"
        elif call.b is not side or call.a.media is None:
            return 403, "this dialog is not part of the call any more"
        return None

    def _refer_to(self, request: Request, call: Call) -> ReferTo | tuple[int, str]:
        values = request.headers.get_all("Refer-To")
        if len(values) != 1:
            return 400, "a REFER needs exactly one Refer-To"  # RFC 3515 §2.4.1
        refer = parse_refer_to(values[0])
        host = refer.uri.host.lower()
        local = self.actions.core.local.host.lower()
        if refer.uri.scheme != "tel" and host not in (call.domain.lower(), local):
            return 403, f"transfer target {host} is not in this tenant's domain"
        if not refer.user:
            return 400, "the Refer-To names no number"
        return refer

    def _refuse(
        self, event: RequestReceived, side: SipSide | None, status: int, reason: str
    ) -> None:
        log.info("REFER from %s refused: %s %s", event.source, status, reason)
        self.actions.core.reply(
            event.request, event.transaction, status, tag=side.local_tag if side else None,
            transport=event.transport, headers=[sig.warning_header(reason)],
        )  # fmt: skip

    # ---- NOTIFY -----------------------------------------------------------------------------
    def notify(
        self, referral: Referral, status: int, reason: str | None = None
    ) -> asyncio.Future[Response | None] | None:
        """Report progress on the transferor's dialog (RFC 3515 §2.4.5); final for >= 200."""
        side = referral.transferor
        if side is None or referral.event_id is None:
            return None  # no REFER, no subscription to report to
        dialog = side.dialog
        if dialog is None or side.ended:
            return None
        core = self.actions.core
        final = status >= 200
        notify = dialog.create_request(
            "NOTIFY",
            core.local.via(side.transport),
            contact=core.local.contact(side.transport),
            headers=[
                ("Event", f"refer;id={referral.event_id}"),
                ("Subscription-State", subscription_state(final)),
            ],
            body=sipfrag(status, reason),
            content_type=SIPFRAG,
        )
        return core.send(referral.call, side, notify, Purpose.OTHER, want=final)

    def _finish(self, referral: Referral, status: int, reason: str | None = None) -> None:
        """The final NOTIFY; once it is answered, BYE the transferor if the transfer worked
        and it did not hang up itself (RFC 5589 §6: the transferor's job, done for it)."""
        if referral.done:
            return
        referral.done = True
        self._active.pop(referral.call.call_id, None)
        if not referral.settled.done():
            referral.settled.set_result(status)
        future = self.notify(referral, status, reason)
        if 200 <= status < 300:
            self.actions.core.spawn(self._release_transferor(referral, future), referral.call)

    async def _release_transferor(
        self, referral: Referral, future: asyncio.Future[Response | None] | None
    ) -> None:
        if future is not None:
            await future
        side = referral.transferor
        call = referral.call
        actions = self.actions
        if side is None:
            return
        if call.state is CallState.ANSWERED and call.b is not side and call.a is not side:
            actions.core.bye(call, side)
            actions.core.release_side(side)
        elif call.state is CallState.ANSWERED and not side.ended:
            # the transferor's own call is over (attended: its consultation's other half left)
            await actions.ending.hang_up(call, cause="transferred", who=HangupSide.SYSTEM)
        else:
            actions.core.release_side(side)

    # ---- without a REFER (the call-control API) ----------------------------------------------
    def busy(self, call: Call) -> bool:
        """A transfer of this call is running (a second one would be refused: 491 / 409)."""
        return call.call_id in self._active

    async def hand_on(self, call: Call, transferor: SipSide | None, target: str) -> Referral:
        """Blind-transfer `call`'s side A to `target` as if `transferor` had sent REFER
        (None: a call placed from the API ringing its target); the referral's `settled`
        future gets the final status. The caller checks `busy` first."""
        referral = Referral(call, transferor, None, target)
        self._active[call.call_id] = referral
        log.info("call %s: %s is handed on to %s", call.call_id, call.a.peer, target)
        await self._blind(referral)
        return referral

    # ---- blind transfer ---------------------------------------------------------------------
    async def _blind(self, referral: Referral) -> None:
        actions = self.actions
        call = referral.call
        target = referral.target
        if target.startswith(VOICEMAIL_PREFIX) and len(target) > len(VOICEMAIL_PREFIX):
            await self._to_voicemail(referral, target[len(VOICEMAIL_PREFIX) :])
            return
        destination = await actions.destination(call, target)
        if isinstance(destination, ToExtension | ToTrunks | ToFeature):
            pass
        elif isinstance(destination, ToApp):
            self._finish(referral, 403, "Forbidden (the target is an application)")
            return
        else:
            assert isinstance(destination, Reject)
            self._finish(referral, destination.status, _phrase(destination))
            return
        if call.state is not CallState.ANSWERED or call.a.media is None:
            self._finish(referral, 487)
            return
        transferor = referral.transferor
        kind = (
            TransferKind.EXTERNAL if isinstance(destination, ToTrunks) else (TransferKind.EXTENSION)
        )
        callee = destination.number if isinstance(destination, ToExtension | ToTrunks) else target
        ring = AppTransfer(kind, callee)
        referral.ring = ring
        call.transfer = ring  # call.transferring: outbound legs ring an answered call
        # the transferor leaves the bridge: its BYE now ends only its own dialog
        actions.core.engine.unbridge(call.a.media)
        call.b = None
        if transferor is not None and transferor in call.forks:
            call.forks.remove(transferor)
        country = await self._country(call.tenant_id)
        ring.ringback = play_ringback(actions.core.engine, call.a.media, country)
        owner = BlindRing(self, referral)
        await actions.go(call, destination, owner)

    async def _to_voicemail(self, referral: Referral, mailbox: str) -> None:
        """`*97N`: the transferee leaves a message in N's mailbox (the voicemail app takes the
        answered caller's leg); the transferor is released as for any blind transfer."""
        actions = self.actions
        call = referral.call
        plan = await actions.plan(call.tenant_id)
        if plan is None or mailbox not in plan.extensions:
            self._finish(referral, 404, f"Not Found (no mailbox {mailbox})")
            return
        if not actions.apps.voicemail_available():
            self._finish(referral, 503, "Service Unavailable (no voicemail)")
            return
        if call.state is not CallState.ANSWERED or call.a.media is None:
            self._finish(referral, 487)
            return
        transferor = referral.transferor
        actions.core.engine.unbridge(call.a.media)
        call.b = None
        call.transfer = None  # an earlier transfer's ring: the app's hang-up ends this call
        if transferor is not None and transferor in call.forks:
            call.forks.remove(transferor)
        call.callee = mailbox
        cdrs = actions.core.deps.cdrs
        if transferor is not None and transferor.cdr_leg_id is not None:
            transferor.cdr_leg_closed = True
            await cdrs.end_leg(transferor.cdr_leg_id, ended_at=actions.core.now(),
                               disposition=Disposition.ANSWERED, cause="transferred",
                               answered_at=transferor.answered_at)  # fmt: skip
        if call.cdr_id is not None:
            await cdrs.transferred(call.cdr_id, callee=mailbox, direction=call.direction,
                                   trunk_id=None)  # fmt: skip
        log.info("call %s: %s goes to the voicemail of %s", call.call_id, call.a.peer, mailbox)
        self._finish(referral, 200, f"OK (voicemail of {mailbox})")
        await actions.voicemail(call, mailbox, "unavailable")

    async def _country(self, tenant_id: int) -> str:
        async with self.actions.core.deps.database.session() as session:
            tenant = await session.get(Tenant, tenant_id)
        return tenant.country if tenant is not None else "CH"

    async def blind_answered(self, referral: Referral, side: SipSide, response: Response) -> None:
        """The target answered: bridge it with the transferee, NOTIFY 200, drop the transferor."""
        actions = self.actions
        core = actions.core
        call = referral.call
        ring = referral.ring
        call.timers.cancel(TimerKind.RING)
        actions.outbound.cancel_forks(call, keep=side)
        call.pending_trunks = []
        core.ack(call, side, response)
        try:
            if side.media is None or call.a.media is None:
                raise NoCommonCodecError("a media leg is gone")
            core.engine.set_remote(side.media, response.body, signalling_host=side.target[0])
            core.engine.bridge(call.a.media, side.media)
        except (NoCommonCodecError, SipParseError, ValueError, BridgeError) as exc:
            log.warning("call %s: transfer media failed: %s", call.call_id, exc)
            core.bye(call, side)
            core.release_side(side)
            await self.blind_failed(referral, 488, "Not Acceptable Here")
            return
        if ring is not None:
            ring.finish(TransferOutcome.CONNECTED)  # ringback off: the relay takes A's stream
        call.b = side
        side.answered_at = core.now()
        call.callee = ring.callee if ring is not None else side.peer
        if side.trunk is not None:
            call.direction = Direction.OUTBOUND
        await self._record_hop(call, referral.transferor, side)
        core.event(call, "transferred")
        if self._hooks is not None:
            core.spawn(self._hooks.answered(call, side), call)
        self._finish(referral, 200)

    async def blind_parked(self, referral: Referral, slot: str) -> None:
        """Park took the transferee into `slot` (`features/park.py`): ringback off, the
        transferor's CDR leg closed, NOTIFY 200 naming the slot, then the transferor's BYE."""
        if referral.ring is not None:
            referral.ring.finish(TransferOutcome.CONNECTED)
        referral.slot = slot
        transferor = referral.transferor
        if (
            transferor is not None
            and transferor.cdr_leg_id is not None
            and not transferor.cdr_leg_closed
        ):
            transferor.cdr_leg_closed = True
            await self.actions.core.deps.cdrs.end_leg(
                transferor.cdr_leg_id, ended_at=self.actions.core.now(),
                disposition=Disposition.ANSWERED, cause="transferred",
                answered_at=transferor.answered_at,
            )  # fmt: skip
        self._finish(referral, 200, f"OK (parked in {slot})")

    async def _record_hop(self, call: Call, transferor: SipSide | None, target: SipSide) -> None:
        """CDR: the target's leg says who transferred, the transferor's leg closes; a call
        placed from the API (no transferor) is answered now."""
        cdrs = self.actions.core.deps.cdrs
        now = self.actions.core.now()
        by = transferor.peer if transferor is not None else None
        if target.cdr_leg_id is not None:
            await cdrs.leg_transferred(target.cdr_leg_id, transferred_by=by, answered_at=now)
        if transferor is None:
            if call.cdr_id is not None:
                trunk_id = target.trunk.id if target.trunk is not None else None
                await cdrs.answered(call.cdr_id, answered_at=now, trunk_id=trunk_id)
        elif transferor.cdr_leg_id is not None and not transferor.cdr_leg_closed:
            transferor.cdr_leg_closed = True
            await cdrs.end_leg(transferor.cdr_leg_id, ended_at=now,
                               disposition=Disposition.ANSWERED, cause="transferred",
                               answered_at=transferor.answered_at)  # fmt: skip
        if call.cdr_id is not None:
            await cdrs.transferred(
                call.cdr_id,
                callee=call.callee,
                direction=call.direction,
                trunk_id=target.trunk.id if target.trunk is not None else None,
            )

    async def blind_failed(self, referral: Referral, status: int, reason: str | None) -> None:
        """Nobody took the transfer: NOTIFY why, bridge the transferee back to the transferor
        (or hang it up when the transferor has left meanwhile)."""
        actions = self.actions
        core = actions.core
        call = referral.call
        call.timers.cancel(TimerKind.RING)
        actions.outbound.cancel_forks(call)
        call.pending_trunks = []
        if referral.ring is not None:
            referral.ring.finish(TransferOutcome.FAILED)
        transferor = referral.transferor
        log.info("call %s: transfer to %s failed: %s", call.call_id, referral.target, status)
        self._finish(referral, status, reason)
        if call.state is not CallState.ANSWERED:
            return
        if transferor is None:  # a call placed from the API: nobody to return to
            disposition = Disposition(sig.disposition_for(status))
            await actions.ending.hang_up(call, cause=f"sip-{status}", who=HangupSide.CALLEE,
                                         disposition=disposition)  # fmt: skip
            return
        if transferor.ended or transferor.media is None or call.a.media is None:
            await actions.ending.hang_up(call, cause="transfer-failed", who=HangupSide.SYSTEM)
            return
        call.forks.append(transferor)
        call.b = transferor
        try:
            core.engine.bridge(call.a.media, transferor.media)
        except BridgeError as exc:
            log.warning("call %s: the call could not return: %s", call.call_id, exc)
            await actions.ending.hang_up(call, cause="transfer-failed", who=HangupSide.SYSTEM)

    # ---- call end and INVITE with Replaces --------------------------------------------------
    async def _releasing(self, call: Call) -> None:
        """The call ends while a transfer runs: NOTIFY 487, BYE the transferor, free its leg."""
        referral = self._active.get(call.call_id)
        if referral is None:
            return
        self._active.pop(call.call_id, None)
        if not referral.done:
            referral.done = True
            self.notify(referral, 487)
        transferor = referral.transferor
        if transferor is None:
            return
        if transferor is not call.a and transferor is not call.b:
            self.actions.core.bye(call, transferor)
        self.actions.core.release_side(transferor)

    async def _on_replaces(self, event: RequestReceived, tenant_id: int, caller: str) -> None:
        await Joiner(self.actions).invite_with_replaces(event, tenant_id, caller)


class BlindRing:
    """The `RingOwner` of a blind transfer's target."""

    def __init__(self, feature: ReferTransfer, referral: Referral) -> None:
        self._feature = feature
        self._referral = referral

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self._feature.blind_answered(self._referral, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        await self._feature.blind_failed(self._referral, failure.status, None)

    @property
    def parker(self) -> str:
        """Who parks the call, when the target is park: the transferor's extension."""
        transferor = self._referral.transferor
        return transferor.peer if transferor is not None else self._referral.call.caller

    async def parked(self, call: Call, slot: str) -> None:
        """The target was park, which holds the transferee in `slot` now."""
        await self._feature.blind_parked(self._referral, slot)


def _phrase(reject: Reject) -> str:
    """A sipfrag reason for a routing refusal: the usual phrase plus why."""
    base = sipfrag(reject.status).decode().split(" ", 2)[2].strip()
    return f"{base} ({reject.reason})"
