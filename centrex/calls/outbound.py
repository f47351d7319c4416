"""Outbound legs: ringing an extension on every registered contact, trunks one after the other.

Theory of operation (RFC 3261 §13.2, §9.1, §16.7; DESIGN.md §2 step 4):

* An extension is rung on every binding in parallel (forking); each fork is a UAC leg with its
  own dialog, offered the caller's SDP rewritten to its own media leg. The first 2xx wins; the
  other forks get CANCEL (§9.1: a fork that sent no provisional yet gets it when one arrives)
  and a 2xx that still arrives on one of them is ACKed and BYE'd
  (the leg table's ACK_AND_BYE). A RING deadline (`CallSettings.ring_timeout`) cancels them all.
* Trunks are tried in the route's order; each attempt has a TRUNK_SETUP deadline: a carrier
  that sends nothing in time is cancelled and the next one tried, as is one answering 408, 480
  or 5xx (`router.should_fail_over`). A 401/407 from a carrier with credentials is answered once.
* What an answer or a final failure *means* is not decided here: the `RingOwner` of the
  attempt decides. For a new call it connects the caller or falls back to voicemail; for an
  app's transfer it bridges the app's caller or tells the app; features (forwarding, ring
  groups, queues) bring owners of their own. That keeps this module about legs only.
* Several targets at once under one owner (`ring_targets`: a simultaneous ring group's
  extensions and outside numbers): every extension forks on its contacts, every outside
  number is one trunk attempt (the first trunk of its route that can take it, no failover:
  the other targets are the alternative), one RING deadline for all; the first 2xx wins as
  for forks, and the owner hears of a failure only once no target is still ringing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from centrex.calls import signalling as sig
from centrex.calls.call import Call, SipSide
from centrex.calls.core import CallCore, Purpose
from centrex.calls.leg import CallInput, CallState, LegAction, LegInput, LegState, TimerKind
from centrex.calls.router import TrunkRef, should_fail_over
from centrex.calls.trunks import TrunkInfo
from centrex.data.models import Disposition
from centrex.media.engine import NoCommonCodecError
from centrex.media.session import MediaLeg
from centrex.registrar.location import Binding
from centrex.sip.builders import build_cancel, generate_branch, generate_tag
from centrex.sip.digest import authenticated_retry
from centrex.sip.errors import SipParseError
from centrex.sip.events import (
    Event,
    RequestCancelled,
    ResponseReceived,
    TransactionTimeout,
    TransportError,
)
from centrex.sip.matching import ClientKey
from centrex.sip.message import Request, Response

log = logging.getLogger(__name__)
CancelHandler = Callable[[Call], Coroutine[Any, Any, None]]


class RingResult(Enum):
    UNAVAILABLE = "unavailable"  # no phone of the extension is registered
    NO_ANSWER = "no-answer"  # the ring timeout passed
    BUSY = "busy"  # every fork answered 486/600
    DECLINED = "declined"  # every fork failed otherwise
    NO_TRUNK = "no-trunk"  # no trunk of the route could take the call
    CARRIER_REFUSED = "carrier-refused"  # the last carrier answered with a final error


@dataclass(frozen=True, slots=True)
class RingFailure:
    result: RingResult
    status: int  # what the caller should be answered if nothing else happens
    reason: str
    statuses: tuple[int, ...] = ()  # the forks' final answers


@dataclass(frozen=True, slots=True)
class RingTarget:
    """One party of a multi-target ring (`Outbound.ring_targets`): an extension of the call's
    tenant (`trunks` empty: every registered contact rings), or an outside `number` through
    `trunks` in order with `caller_id` (the router's `ToTrunks` for that number)."""

    number: str
    trunks: tuple[TrunkRef, ...] = ()
    caller_id: str | None = None


class RingOwner(Protocol):
    """Decides what an outbound attempt's answer or failure means for the call."""

    async def answered(self, call: Call, side: SipSide, response: Response) -> None: ...

    async def failed(self, call: Call, failure: RingFailure) -> None: ...


def ring_seconds(owner: RingOwner, default: float) -> float:
    """How long an extension rings: an owner may carry its own `ring_timeout` (seconds; a
    no-answer forward after N s), else the B2BUA's default."""
    value = getattr(owner, "ring_timeout", None)
    return float(value) if isinstance(value, int | float) and value > 0 else default


def caller_withheld(owner: RingOwner | None) -> bool:
    """The owner asks for the caller's identity to be withheld from the far end (`*31`, CLIR:
    an owner with `withhold_caller_id = True`)."""
    return getattr(owner, "withhold_caller_id", False) is True


def ring_headers(owner: RingOwner | None) -> list[tuple[str, str]]:
    """Extra headers an owner wants on its INVITEs to the tenant's phones (`ring_headers`,
    optional): intercom's auto-answer request."""
    headers = getattr(owner, "ring_headers", ())
    return [(str(name), str(value)) for name, value in headers]


def trunk_headers(owner: RingOwner | None) -> tuple[tuple[str, str], ...]:
    """Extra headers an owner wants on its trunk INVITEs (`trunk_headers`, optional): a
    forward's Diversion (RFC 5806). Kept on the owner, so a failover INVITE carries them too."""
    headers = getattr(owner, "trunk_headers", ())
    return tuple((str(name), str(value)) for name, value in headers)


class Outbound:
    """Places and follows the outbound legs of calls."""

    def __init__(self, core: CallCore) -> None:
        self.core = core

    # ---- extensions -------------------------------------------------------------------------
    async def ring_extension(self, call: Call, number: str, owner: RingOwner) -> None:
        """Ring every registered contact of `number` (forking), with a RING deadline."""
        core = self.core
        call.ring_owner = owner
        bindings = core.deps.registrar.lookup(call.tenant_id, number)
        if not bindings:
            reason = f"extension {number} is not registered"
            await owner.failed(call, RingFailure(RingResult.UNAVAILABLE, 480, reason))
            return
        if not call.transferring:
            core.move(call, CallInput.RING)
        if await self._fork_contacts(call, number, bindings) is None:
            return  # the caller left while we were forking: ring no more phones
        core.arm(call, TimerKind.RING, ring_seconds(owner, core.settings.ring_timeout))

    async def add_forks(
        self, call: Call, number: str, headers: list[tuple[str, str]]
    ) -> list[SipSide]:
        """Ring `number` too, on every registered contact, in a call already ringing (the
        switchboard answering a call for someone else: `features/call_control.py`), with
        `headers` on its INVITEs; the call's RING deadline and owner stay. Empty when nothing
        of `number` is registered."""
        bindings = self.core.deps.registrar.lookup(call.tenant_id, number)
        if not bindings or not call.alerting:
            return []
        return await self._fork_contacts(call, number, bindings, headers) or []

    async def _fork_contacts(
        self,
        call: Call,
        number: str,
        bindings: list[Binding],
        extra: list[tuple[str, str]] | None = None,
    ) -> list[SipSide] | None:
        """One fork per registered contact of `number` (None: the caller left meanwhile)."""
        core = self.core
        sent = call.a.invite.from_.display_name if call.a.invite.from_ else None
        display = call.caller_name or sent
        sides: list[SipSide] = []
        for index, binding in enumerate(bindings, start=len(call.forks) + 1):
            if call.state is CallState.ENDED:
                return None
            srtp = await core.deps.directory.srtp_policy(call.tenant_id, number)  # sdes.py
            media = await core.engine.allocate(srtp_policy=srtp)
            # A contact registered over WS/WSS is a browser: offer it DTLS-SRTP (issue 14).
            browser = binding.transport.upper() in ("WS", "WSS")
            offer = core.engine.offer_for(media, call.a.invite.body, webrtc=browser).serialize()
            invite = sig.invite_to(
                binding.contact,
                caller_uri=f"sip:{call.caller}@{call.domain}",
                caller_name=display,
                callee_uri=f"sip:{number}@{call.domain}",
                local=core.local,
                transport=binding.transport,
                sdp=offer,
                headers=extra if extra is not None else ring_headers(call.ring_owner),
            )
            sides.append(await self._fork(call, invite, binding.source, binding.transport,
                                          number, media, index, None))  # fmt: skip
        return sides

    async def ring_targets(
        self, call: Call, targets: list[RingTarget], owner: RingOwner, ring_seconds: float
    ) -> list[tuple[RingTarget, SipSide]]:
        """Ring every target at once under `owner` with one RING deadline of `ring_seconds`;
        returns the sides placed with their target. A target that cannot ring (nothing
        registered, no trunk free) is left out; when none can, `owner` gets UNAVAILABLE."""
        core = self.core
        plans = await self._plan_targets(call, targets)
        call.ring_owner = owner
        if not plans:
            await owner.failed(call, RingFailure(RingResult.UNAVAILABLE, 480,
                                                 "no member could be rung"))  # fmt: skip
            return []
        if not call.transferring:
            core.move(call, CallInput.RING)
        placed: list[tuple[RingTarget, SipSide]] = []
        for target, plan in plans:
            if call.state is CallState.ENDED:
                if isinstance(plan, TrunkInfo):
                    core.deps.limits.release_trunk(plan.ref.id)
                continue  # the caller left: ring no more, give back the trunk channels taken
            if isinstance(plan, TrunkInfo):
                side = await self._trunk_fork(call, plan, target.number, target.caller_id)
                core.arm(call, TimerKind.TRUNK_SETUP, core.settings.trunk_setup_timeout,
                         side.label)  # fmt: skip
                placed.append((target, side))
            else:
                sides = await self._fork_contacts(call, target.number, plan) or []
                placed.extend((target, side) for side in sides)
        if call.state is not CallState.ENDED:
            core.arm(call, TimerKind.RING, ring_seconds)
        return placed

    async def _fork(
        self,
        call: Call,
        invite: Request,
        target: tuple[str, int],
        transport: str,
        peer: str,
        media: MediaLeg,
        index: int,
        trunk: TrunkInfo | None,
    ) -> SipSide:
        core = self.core
        from_ = invite.from_
        side = SipSide(
            label=f"b{index}",
            invite=invite,
            target=target,
            transport=transport,
            local_tag=from_.tag if from_ is not None and from_.tag else generate_tag(),
            peer=peer,
            media=media,
            trunk=trunk.ref if trunk is not None else None,
            trunk_held=trunk is not None,
            started_at=core.now(),
        )
        call.forks.append(side)
        core.dialogs[(invite.call_id or "", side.local_tag)] = (call, side)
        if call.cdr_id is not None:
            side.cdr_leg_id = await core.deps.cdrs.add_leg(
                call.cdr_id,
                tenant_id=call.tenant_id,
                leg_index=index,
                peer=peer,
                started_at=side.started_at or core.now(),
                trunk_id=trunk.ref.id if trunk is not None else None,
            )
        core.send(call, side, invite, Purpose.INVITE)
        return side

    # ---- trunks -----------------------------------------------------------------------------
    async def try_next_trunk(self, call: Call, owner: RingOwner) -> None:
        """Call `call.dialled_number` through the next trunk of `call.pending_trunks`."""
        core = self.core
        call.ring_owner = owner
        info = await self._take_trunk(call.pending_trunks)
        if info is not None:
            side = await self._trunk_fork(call, info, call.dialled_number, call.caller_id)
            if not call.transferring:
                core.move(call, CallInput.RING)
            core.arm(call, TimerKind.TRUNK_SETUP, core.settings.trunk_setup_timeout, side.label)
            return
        await owner.failed(call, RingFailure(RingResult.NO_TRUNK, 503,
                                             "no trunk could take the call"))  # fmt: skip

    async def _plan_targets(
        self, call: Call, targets: list[RingTarget]
    ) -> list[tuple[RingTarget, list[Binding] | TrunkInfo]]:
        """What each target rings on: its contacts, or a trunk whose channel is taken now."""
        plans: list[tuple[RingTarget, list[Binding] | TrunkInfo]] = []
        for target in targets:
            if not target.trunks:
                bindings = self.core.deps.registrar.lookup(call.tenant_id, target.number)
                if bindings:
                    plans.append((target, list(bindings)))
            else:
                info = await self._take_trunk(list(target.trunks))
                if info is not None:
                    plans.append((target, info))
        return plans

    async def _take_trunk(self, pending: list[TrunkRef]) -> TrunkInfo | None:
        """Pop trunks off `pending` until one is enabled and has a free channel (taken)."""
        core = self.core
        while pending:
            ref = pending.pop(0)
            info = await core.deps.trunks.get(ref.id)
            if info is None or not info.ref.enabled:
                continue
            if core.deps.limits.acquire_trunk(ref.id, info.max_calls) is not None:
                continue
            return info
        return None

    async def _trunk_fork(
        self, call: Call, info: TrunkInfo, number: str, caller_id: str | None
    ) -> SipSide:
        """INVITE `number` through the trunk `info` (its channel already taken)."""
        core = self.core
        media = await core.engine.allocate()
        offer = core.engine.offer_for(media, call.a.invite.body).serialize()
        port = f":{info.port}" if info.port else ""
        caller_user = caller_id or "anonymous"
        asserted = [("P-Asserted-Identity", f"<sip:{caller_user}@{call.domain}>")]
        caller_uri, caller_name = f"sip:{caller_user}@{call.domain}", None
        if caller_withheld(call.ring_owner):
            # RFC 3323 §4.1.1.3: an anonymous From; RFC 3325 §9.3: the carrier (a trusted
            # peer) still gets the asserted identity, with Privacy: id not to pass it on
            caller_uri, caller_name = sig.ANONYMOUS_URI, "Anonymous"
            asserted.append(("Privacy", "id"))
        invite = sig.invite_to(
            f"sip:{number}@{info.host}{port}",
            caller_uri=caller_uri,
            caller_name=caller_name,
            callee_uri=f"sip:{number}@{info.host}{port}",
            local=core.local,
            transport=info.transport,
            sdp=offer,
            headers=[*asserted, *trunk_headers(call.ring_owner)],
        )
        target = (info.addresses[0] if info.addresses else info.host, info.port)
        return await self._fork(
            call, invite, target, info.transport, info.ref.name, media, len(call.forks) + 1, info
        )

    # ---- timers -----------------------------------------------------------------------------
    async def trunk_setup_timeout(self, call: Call, label: str) -> None:
        """No provisional answer from a carrier in time: cancel it and fail over."""
        side = call.side(label)
        if side is None or not call.alerting or side.ended or side.last_response is not None:
            return
        self.cancel_side(call, side)
        await self._side_failed(call, side, 408)

    async def ring_timeout(self, call: Call) -> None:
        if not call.alerting:
            return
        for side in list(call.forks):
            self.cancel_side(call, side)
        owner = call.ring_owner
        if owner is not None:
            await owner.failed(call, RingFailure(RingResult.NO_ANSWER, 480, "no answer"))

    def cancel_side(self, call: Call, side: SipSide) -> None:
        """Give up on an outbound side: CANCEL it if it is still ringing (§9.1), free its media
        and trunk channel. Idempotent."""
        core = self.core
        call.timers.cancel_leg(side.label)
        if core.leg(call, side, LegInput.CANCEL) is LegAction.SEND_CANCEL:
            if side.last_response is None:
                # §9.1: no provisional yet (not even 100): the CANCEL MUST wait for one; a
                # final response instead ends the leg by the CANCELLING rows, Timer B too
                side.cancel_pending = True
            else:
                self._send_cancel(call, side)
        core.release_side(side)

    def _pending_cancel(self, call: Call, side: SipSide, status: int) -> None:
        """The first response of a side given up on before it: a provisional lets the CANCEL
        go (§9.1); a final one needs none (the CANCELLING rows end the leg)."""
        if side.cancel_pending:
            side.cancel_pending = False
            if status < 200:
                self._send_cancel(call, side)

    def _send_cancel(self, call: Call, side: SipSide) -> None:
        try:
            self.core.send(call, side, build_cancel(side.invite), Purpose.CANCEL)
        except ValueError as exc:  # an INVITE we could not build a CANCEL for
            log.warning("call %s: no CANCEL for %s: %s", call.call_id, side.label, exc)

    def cancel_forks(self, call: Call, keep: SipSide | None = None) -> None:
        for side in call.forks:
            if side is not keep:
                self.cancel_side(call, side)

    # ---- SIP events on our client transactions ------------------------------------------------
    def on_event(self, event: Event, on_cancel: CancelHandler) -> None:
        core = self.core
        if isinstance(event, ResponseReceived):
            core.spawn(self._on_response(event))
        elif isinstance(event, RequestCancelled):
            call = core.by_server.get(event.transaction)
            if call is not None:
                core.spawn(on_cancel(call), call)
        elif isinstance(event, TransactionTimeout | TransportError) and isinstance(
            event.transaction, ClientKey
        ):
            if core.settle_request(event.transaction, None):
                return
            pending = core.pending.pop(event.transaction, None)
            if pending is None:
                return
            if pending.future is not None and not pending.future.done():
                pending.future.set_result(None)
            if pending.purpose is Purpose.INVITE:
                core.spawn(self._invite_timed_out(pending.call, pending.side), pending.call)

    async def _invite_timed_out(self, call: Call, side: SipSide) -> None:
        """Timer B or a transport error on an outbound INVITE (§17.1.1.2, §17.1.4)."""
        if self.core.leg(call, side, LegInput.TIMEOUT) is not LegAction.RELEASE:
            return
        self.core.release_side(side)
        if call.alerting:
            await self._side_failed(call, side, 408)

    async def _on_response(self, event: ResponseReceived) -> None:
        core = self.core
        response = event.response
        if event.transaction is None:
            self._stray_2xx(response)
            return
        if core.settle_request(event.transaction, response):
            return
        pending = core.pending.get(event.transaction)
        if pending is None:
            # RFC 6026 §8.4: the INVITE client transaction stays Accepted and passes 2xx
            # retransmissions up; each must be ACKed again (§13.2.2.4), like a stray one
            cseq = response.cseq
            if 200 <= response.status < 300 and cseq is not None and cseq.method == "INVITE":
                self._stray_2xx(response)
            return
        if response.status >= 200:
            core.pending.pop(event.transaction, None)
        if pending.future is not None:
            if response.status >= 200 and not pending.future.done():
                pending.future.set_result(response)
            return
        if pending.purpose is Purpose.INVITE:
            await self._invite_response(pending.call, pending.side, response)

    def _stray_2xx(self, response: Response) -> None:
        """A 2xx retransmission after the transaction ended: ACK again (§13.2.2.4)."""
        from_ = response.from_
        if response.to is None or from_ is None or response.call_id is None or not from_.tag:
            return
        found = self.core.dialogs.get((response.call_id, from_.tag))
        if found is None or found[1].dialog is None:
            return
        self.core.ack(found[0], found[1], response)

    async def _invite_response(self, call: Call, side: SipSide, response: Response) -> None:
        core = self.core
        status = response.status
        side.last_response = response
        self._pending_cancel(call, side, status)
        if status < 200:
            if status == 100:
                return
            core.leg(call, side, LegInput.PROVISIONAL)
            if side.state is LegState.EARLY and call.alerting:
                await self._provisional(call, side, response)
            return
        if status < 300:
            was_confirmed = side.state is LegState.CONFIRMED
            action = core.leg(call, side, LegInput.SUCCESS)
            if action is LegAction.ACK and was_confirmed:
                core.ack(call, side, response)  # a retransmission of the 2xx we took
            elif action is LegAction.ACK_AND_BYE or not call.alerting:
                # a late 2xx from a fork we gave up on: confirm then end that dialog at once
                core.ack(call, side, response)
                core.bye(call, side)
                core.release_side(side)
            elif action is LegAction.ACK and call.ring_owner is not None:
                call.timers.cancel_leg(side.label)
                await call.ring_owner.answered(call, side, response)
            return
        if status in (401, 407) and side.trunk is not None and not side.auth_tried:
            info = await core.deps.trunks.get(side.trunk.id)
            if info is not None and info.username and info.password is not None:
                side.auth_tried = True
                retry = authenticated_retry(
                    side.invite, response, info.username, info.password, generate_branch()
                )
                side.invite = retry
                core.send(call, side, retry, Purpose.INVITE)
                return
        action = core.leg(call, side, LegInput.FAILURE)
        core.release_side(side)
        call.timers.cancel_leg(side.label)
        if action is LegAction.RELEASE:
            await self._side_failed(call, side, status)
        else:  # the answer to our CANCEL (487): the leg is over, the call goes on
            await self.close_leg(call, side, status)

    async def _provisional(self, call: Call, side: SipSide, response: Response) -> None:
        """Relay 180/183 to the caller (183 with our answer SDP for early media)."""
        core = self.core
        if call.transferring:
            return  # the caller is answered already and hears our ringback (transfer.py)
        if call.a.originated:  # a call placed from the API rings its first party: no INVITE
            core.event(call, "ringing")  # of that party to answer 180
            return
        sdp = b""
        if response.body and side.media is not None and call.a.media is not None:
            try:
                core.engine.set_remote(side.media, response.body, signalling_host=side.target[0])
                answer = core.engine.answer_for(call.a.media, call.a.invite.body, peer=side.media)
                sdp = answer.serialize()
                core.engine.bridge(call.a.media, side.media)  # early media
            except (NoCommonCodecError, SipParseError, ValueError) as exc:
                log.info("call %s: no early media from %s: %s", call.call_id, side.label, exc)
                sdp = b""
        status = 183 if sdp else 180
        call.response_to_a = core.reply(
            call.a.invite, call.a.server_key, status, tag=call.a.local_tag, sdp=sdp,
            transport=call.a.transport,
        )  # fmt: skip
        core.leg(call, call.a, LegInput.PROVISIONAL)
        if status == 180:
            core.event(call, "ringing")

    async def close_leg(self, call: Call, side: SipSide, status: int) -> None:
        """Close an outbound side's CDR leg once, with the final status it got."""
        if side.cdr_leg_id is None or side.cdr_leg_closed:
            return
        side.cdr_leg_closed = True
        await self.core.deps.cdrs.end_leg(
            side.cdr_leg_id,
            ended_at=self.core.now(),
            disposition=Disposition(sig.disposition_for(status)),
            cause=f"sip-{status}",
        )

    async def _side_failed(self, call: Call, side: SipSide, status: int) -> None:
        """One outbound side failed: fail over to the next trunk, or, when no side is left,
        let the attempt's owner decide."""
        await self.close_leg(call, side, status)
        owner = call.ring_owner
        if not call.alerting or owner is None:
            return
        if side.trunk is not None:
            if should_fail_over(status) and call.pending_trunks:
                log.info("call %s: trunk %s answered %s, failing over", call.call_id,
                         side.trunk.name, status)  # fmt: skip
                await self.try_next_trunk(call, owner)
                return
            if self._still_ringing(call):
                return  # other targets of the attempt are still ringing (ring_targets)
            reason = f"carrier answered {status}"
            # a B2BUA answers its caller with its own status: a carrier's challenge (401/407)
            # is about our credentials, never the caller's (§21.4.2, §21.4.8)
            to_caller = 503 if status < 300 or status in (401, 407) else status
            failure = RingFailure(RingResult.CARRIER_REFUSED, to_caller, reason, (status,))
            await owner.failed(call, failure)
            return
        if self._still_ringing(call):
            return
        statuses = tuple(s.last_response.status for s in call.forks if s.last_response)
        busy = any(code in (486, 600) for code in statuses)
        failure = RingFailure(
            RingResult.BUSY if busy else RingResult.DECLINED,
            sig.caller_status([s for s in statuses if s >= 300]),
            f"callee answered {status}",
            statuses,
        )
        await owner.failed(call, failure)

    @staticmethod
    def _still_ringing(call: Call) -> bool:
        """A side of the attempt has not answered finally yet (a side we cancelled does not
        count: its 487 changes nothing)."""
        return any(f.state in (LegState.CALLING, LegState.EARLY) for f in call.forks)
