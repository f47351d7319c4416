"""The call a queue places to call its caller back (issue 13 item 4; the why is in
`apps/queue/callback.py`).

Theory of operation — like click-to-call's first party (`placed.py`): Centrex places a call of
its own (a side A with no INVITE, `SipSide.originated`) whose caller is the queue's number
and whose callee is the number the caller is called back on, in the queue's tenant only:

* where it goes is the tenant's router, dialled by the queue (`CallActions.destination` with
  the queue's number as the caller): an extension of the tenant rings its phones; an outside
  number leaves through the trunks the tenant's outbound routes choose, with the caller ID the
  tenant's rules give the queue (`router.choose_caller_id`: a rule, else the main number),
  billed to the tenant (the CDR is the tenant's, with the trunk); anything else (an app, a
  feature, a refusal) is not a party to call back: FAILED, nothing rings;
* the tenant's licence (simultaneous calls) counts it like any call;
* it rings for `ring_seconds` (a RING deadline for phones and trunks alike); the first answer
  becomes side A (`take_answer`) and the `queue` app runs on the answered call with reason
  `callback:<token>`, so the app finds the waiting entry and offers it its reserved agent
  through the ordinary queue offer (`TransferKind.QUEUE_AGENTS`);
* the result (CONNECTED once the app runs on it, else NO_ANSWER, BUSY, UNAVAILABLE, FAILED) is
  returned to the queue app, which retries or gives up.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from centrex.calls.actions import CallActions
from centrex.calls.app_host import TransferOutcome
from centrex.calls.call import Call, SipSide
from centrex.calls.features.placed import placed_call, take_answer
from centrex.calls.leg import CallState, TimerKind
from centrex.calls.outbound import RingFailure, RingResult
from centrex.calls.router import ToExtension, ToTrunks
from centrex.calls.transfer import failure_outcome
from centrex.data.models import Direction, Tenant
from centrex.media.engine import PortPoolExhausted
from centrex.sip.message import Response

log = logging.getLogger(__name__)

CALLBACK_REASON = "callback:"
_OUTCOMES = {
    RingResult.UNAVAILABLE: TransferOutcome.UNAVAILABLE,
    RingResult.NO_ANSWER: TransferOutcome.NO_ANSWER,
    RingResult.BUSY: TransferOutcome.BUSY,
    RingResult.NO_TRUNK: TransferOutcome.FAILED,
    RingResult.CARRIER_REFUSED: TransferOutcome.FAILED,
}


@dataclass(eq=False)
class CallbackRing:
    """The `RingOwner` of a callback: ring `ring_timeout` s, then run the queue app."""

    actions: CallActions
    queue: str
    token: str
    ring_timeout: float
    done: asyncio.Future[TransferOutcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def _finish(self, outcome: TransferOutcome) -> None:
        if not self.done.done():
            self.done.set_result(outcome)

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        core = self.actions.core
        call.timers.cancel(TimerKind.RING)
        self.actions.outbound.cancel_forks(call, keep=side)
        core.ack(call, side, response)
        unusable = take_answer(core, call, side, response)
        if unusable is not None:
            await self.actions.ending.reject(call, 488, unusable)
            self._finish(TransferOutcome.FAILED)
            return
        if call.cdr_id is not None:
            await core.deps.cdrs.answered(call.cdr_id, call.answered_at or core.now(), None)
            if side.trunk is not None:  # the leg that costs: the tenant's outbound call
                await core.deps.cdrs.transferred(call.cdr_id, callee=call.callee,
                                                 direction=Direction.OUTBOUND,
                                                 trunk_id=side.trunk.id)  # fmt: skip
        core.event(call, "answered")
        log.info("call %s: queue %s's callback answered by %s", call.call_id, self.queue,
                 call.callee)  # fmt: skip
        await self.actions.run_app(call, "queue", extension=self.queue,
                                   reason=f"{CALLBACK_REASON}{self.token}")  # fmt: skip
        self._finish(TransferOutcome.CONNECTED)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        outcome = _OUTCOMES.get(failure.result) or failure_outcome(failure.statuses)
        log.info("call %s: queue %s's callback to %s: %s", call.call_id, self.queue,
                 call.callee, failure.reason)  # fmt: skip
        await self.actions.ending.reject(call, failure.status, failure.reason)
        self._finish(outcome)


async def place_callback(
    actions: CallActions,
    tenant_id: int,
    *,
    queue: str,
    number: str,
    token: str,
    ring_seconds: float,
) -> TransferOutcome:
    """Ring `number` for queue `queue` of `tenant_id` (module docstring); returns once the
    called party answered and the queue app runs on the call (CONNECTED) or it was not reached."""
    core = actions.core
    async with core.deps.database.session() as session:
        tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        return TransferOutcome.FAILED
    if core.deps.limits.acquire_tenant(tenant.id, tenant.max_calls) is not None:
        log.info("queue %s of tenant %s: callback to %s waits: licence limit", queue,
                 tenant.id, number)  # fmt: skip
        return TransferOutcome.BUSY
    try:
        media = await core.engine.allocate()
    except PortPoolExhausted:
        core.deps.limits.release_tenant(tenant.id)
        return TransferOutcome.FAILED
    call = placed_call(
        core, tenant_id=tenant.id, domain=tenant.domain, party=number, caller=queue,
        callee=number, shown_name=None, sdp=core.engine.offer_for(media).serialize(),
        peer="queue-callback", media=media, licence_held=True,
    )  # fmt: skip
    owner = CallbackRing(actions, queue, token, ring_seconds)
    destination = await actions.destination(call, number, caller=queue)
    if not isinstance(destination, ToExtension | ToTrunks):
        log.info("queue %s: %s is not a party to call back (%s)", queue, number,
                 type(destination).__name__)  # fmt: skip
        await actions.ending.reject(call, 403, "not a party to call back")
        return TransferOutcome.FAILED
    if isinstance(destination, ToTrunks):
        call.direction = Direction.OUTBOUND
    call.cdr_id = await core.deps.cdrs.start(
        tenant_id=tenant.id, call_id=call.call_id, caller=queue, callee=number,
        direction=call.direction, started_at=call.started_at, extension=None,
    )  # fmt: skip
    core.event(call, "started")
    log.info("call %s: queue %s calls %s back", call.call_id, queue, number)
    if isinstance(destination, ToExtension):
        await actions.outbound.ring_extension(call, destination.number, owner)
    else:
        call.pending_trunks = list(destination.trunks)
        call.dialled_number = destination.number
        call.caller_id = destination.caller_id
        await actions.outbound.try_next_trunk(call, owner)
        if call.state is not CallState.ENDED and not owner.done.done():
            core.arm(call, TimerKind.RING, ring_seconds)
    return await owner.done
