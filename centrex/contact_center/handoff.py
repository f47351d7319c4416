"""The dialer's calls in the B2BUA: ring a lead through the tenant's trunks, hand the answered
lead to an agent's phone, or play the safe-harbour message and hang up.

Theory of operation — the same path as the queue's callback (`calls/features/queue_callback.py`)
and click-to-call (`features/placed.py`), not a second one:

* **Placing**: Centrex places a call of its own (`placed_call`: a side A with no INVITE) in the
  campaign's tenant. Where it goes is that tenant's router (`CallActions.destination`): only a
  `ToTrunks` is a lead to dial (the tenant's outbound routes pick the trunks, so a campaign
  never leaves through a trunk its tenant's routes do not name); anything else (an extension,
  an app, a refusal) is FAILED and nothing rings. The caller ID is the campaign's (local
  presence or fixed: `campaigns.caller_id_of_call`), the tenant's licence counts the call,
  it rings for `ring_seconds` (RING deadline), and the CDR is the tenant's outbound call.
* **Answered** (`LeadRing.answered`): the 2xx is ACKed, the carrier's dialog becomes side A
  (`take_answer`) and the dialer is told at once; it picks a ready agent of the campaign.
* **Hand-off** (`hand_to_agent`): the answered lead is offered to *one* agent of the same
  tenant the way an app's transfer offers a queue's agents (`AppTransfer` +
  `Outbound.ring_targets` + `AppCalls.transfer_answered`, which bridges the two media legs), with
  the header `X-Centrex-Lead: <lead id>` on the INVITE to the agent's phones (`ring_headers`),
  so the desktop or phone can show the lead. No ringback is played: the lead said "hello" and
  hears the agent a moment later.
* **Answering machine** (`detect_machine`, campaigns with `amd` on): before any agent is
  offered the lead, what the answered party says is fed to `media/amd.py`'s detector for at
  most its analysis time; a machine is hung up (outcome `machine`, retried after the machine
  delay), a person or "not sure" goes on to an agent.
* **Safe harbour** (`play_safe_harbour`): no agent took the call in time — the lead hears who
  called and how to opt out (a tenant prompt, `safe_harbour.py`), then Centrex hangs up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from centrex.calls.actions import CallActions
from centrex.calls.app_calls import AppCalls
from centrex.calls.app_host import TransferKind, TransferOutcome
from centrex.calls.call import Call, SipSide
from centrex.calls.features.placed import placed_call, take_answer
from centrex.calls.leg import CallState, TimerKind
from centrex.calls.outbound import RingFailure, RingResult, RingTarget
from centrex.calls.router import ToTrunks
from centrex.calls.transfer import AppTransfer, failure_outcome
from centrex.contact_center.lead_outcomes import AttemptOutcome
from centrex.data.models import Direction, HangupSide, Tenant
from centrex.media.amd import AmdDetector, AmdSettings
from centrex.media.channel import Channel, ChannelClosed
from centrex.media.engine import PortPoolExhausted
from centrex.sip.message import Response

log = logging.getLogger(__name__)

LEAD_HEADER = "X-Centrex-Lead"
CALLBACK_HEADER = "X-Centrex-Callback"  # a callback's campaign: the agent's notice
SAFE_HARBOUR_MAX_SECONDS = 30.0
_BUSY = (486, 600)
_NO_ANSWER = (408, 480, 487)


def ring_outcome(failure: RingFailure) -> AttemptOutcome:
    """What a lead call that was not answered counts as (busy, no-answer, failed)."""
    statuses = (failure.status, *failure.statuses)
    if failure.result is RingResult.BUSY or any(s in _BUSY for s in statuses):
        return AttemptOutcome.BUSY
    if failure.result is RingResult.NO_ANSWER or failure.status in _NO_ANSWER:
        return AttemptOutcome.NO_ANSWER
    return AttemptOutcome.FAILED


@dataclass(eq=False)
class LeadRing:
    """The `RingOwner` of a call to a lead: `answered` resolves to None on answer, else to the
    attempt's outcome."""

    actions: CallActions
    ring_timeout: float
    done: asyncio.Future[AttemptOutcome | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def _finish(self, outcome: AttemptOutcome | None) -> None:
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
            self._finish(AttemptOutcome.FAILED)
            return
        if call.cdr_id is not None:
            await core.deps.cdrs.answered(call.cdr_id, call.answered_at or core.now(), None)
            if side.trunk is not None:
                await core.deps.cdrs.transferred(call.cdr_id, callee=call.callee,
                                                 direction=Direction.OUTBOUND,
                                                 trunk_id=side.trunk.id)  # fmt: skip
        core.event(call, "answered")
        self._finish(None)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        if call.state is not CallState.ENDED:
            await self.actions.ending.reject(call, failure.status, failure.reason)
        self._finish(ring_outcome(failure))


@dataclass(frozen=True, slots=True)
class PlacedLead:
    """A lead call on its way: the call and the owner whose `done` tells how ringing ended."""

    call: Call
    ring: LeadRing


async def place_lead_call(
    actions: CallActions,
    tenant_id: int,
    *,
    number: str,
    caller_id: str | None,
    ring_seconds: float,
) -> PlacedLead | AttemptOutcome:
    """Ring `number` for a campaign of `tenant_id` through that tenant's trunks (module
    docstring); the outcome at once when it cannot even ring (licence, no route, no port)."""
    core = actions.core
    async with core.deps.database.session() as session:
        tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        return AttemptOutcome.FAILED
    if core.deps.limits.acquire_tenant(tenant.id, tenant.max_calls) is not None:
        log.info("tenant %s: dialer call to %s not placed: licence limit", tenant.id, number)
        return AttemptOutcome.FAILED
    try:
        media = await core.engine.allocate()
    except PortPoolExhausted:
        core.deps.limits.release_tenant(tenant.id)
        return AttemptOutcome.FAILED
    shown = caller_id or "anonymous"
    call = placed_call(
        core, tenant_id=tenant.id, domain=tenant.domain, party=number, caller=shown,
        callee=number, shown_name=None, sdp=core.engine.offer_for(media).serialize(),
        peer="dialer", media=media, licence_held=True,
    )  # fmt: skip
    ring = LeadRing(actions, ring_seconds)
    destination = await actions.destination(call, number, caller=shown)
    if not isinstance(destination, ToTrunks):
        log.info("tenant %s: %s is not an outside number for the dialer (%s)", tenant.id,
                 number, type(destination).__name__)  # fmt: skip
        await actions.ending.reject(call, 403, "not an outside number")
        return AttemptOutcome.FAILED
    call.direction = Direction.OUTBOUND
    call.cdr_id = await core.deps.cdrs.start(
        tenant_id=tenant.id, call_id=call.call_id, caller=shown, callee=number,
        direction=call.direction, started_at=call.started_at, extension=None,
    )  # fmt: skip
    core.event(call, "started")
    call.pending_trunks = list(destination.trunks)
    call.dialled_number = destination.number
    call.caller_id = caller_id  # the campaign's choice, not the tenant's outbound rule
    await actions.outbound.try_next_trunk(call, ring)
    if call.state is not CallState.ENDED and not ring.done.done():
        core.arm(call, TimerKind.RING, ring_seconds)
    return PlacedLead(call, ring)


@dataclass(eq=False)
class AgentRing:
    """The `RingOwner` of a hand-off: an app transfer's owner plus the lead header."""

    apps: AppCalls
    lead_id: int
    ring_timeout: float
    callback: str | None = None  # the campaign of the callback this call is

    @property
    def ring_headers(self) -> tuple[tuple[str, str], ...]:
        lead = ((LEAD_HEADER, str(self.lead_id)),)
        return lead if self.callback is None else (*lead, (CALLBACK_HEADER, self.callback))

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.apps.transfer_answered(call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        outcome = {
            RingResult.UNAVAILABLE: TransferOutcome.UNAVAILABLE,
            RingResult.NO_ANSWER: TransferOutcome.NO_ANSWER,
            RingResult.BUSY: TransferOutcome.BUSY,
        }.get(failure.result) or failure_outcome(failure.statuses)
        self.apps.transfer_failed(call, outcome)


async def hand_to_agent(
    actions: CallActions,
    call: Call,
    agent: str,
    lead_id: int,
    ring_seconds: float,
    callback: str | None = None,
) -> TransferOutcome:
    """Ring `agent` (an extension of the call's tenant) with the answered lead; CONNECTED once
    bridged. The call's tenant is the only place `agent` is looked up (isolation)."""
    if call.state is not CallState.ANSWERED or call.a.media is None or call.b is not None:
        return TransferOutcome.CALLER_GONE
    if call.transferring:
        return TransferOutcome.FAILED
    transfer = AppTransfer(TransferKind.QUEUE_AGENTS, agent)
    call.transfer = transfer
    owner = AgentRing(actions.apps, lead_id, ring_seconds, callback)
    await actions.ring_targets(call, [RingTarget(agent)], owner, ring_seconds)
    return await transfer.done


async def play_safe_harbour(actions: CallActions, call: Call, prompt: Path | None) -> None:
    """Tell the answered lead who called and how to opt out, then hang up (a drop)."""
    media = call.a.media
    if call.state is CallState.ANSWERED and media is not None and prompt is not None:
        channel = Channel(actions.core.engine, media)
        try:
            await channel.play(prompt, max_seconds=SAFE_HARBOUR_MAX_SECONDS)
        except ChannelClosed:
            pass  # the lead hung up first
        finally:
            await channel.hangup()
    if call.state is CallState.ANSWERED:
        await actions.ending.hang_up(call, cause="safe-harbour", who=HangupSide.SYSTEM)


async def detect_machine(
    actions: CallActions,
    call: Call,
    monotonic: Callable[[], float],
    settings: AmdSettings | None = None,
) -> AmdDetector:
    """Listen to the answered lead until the detector decides, the call ends, or the analysis
    time (plus a second for late packets) has passed: then it is NOT_SURE (a person)."""
    detector = AmdDetector(settings)
    media = call.a.media
    if call.state is not CallState.ANSWERED or media is None:
        detector.timeout()
        return detector
    decided = asyncio.Event()

    def on_frame(pcm: bytes) -> None:
        if detector.feed(pcm) is not None:
            decided.set()

    listener = actions.core.engine.listen(media, on_frame)
    deadline = monotonic() + detector.settings.total_analysis / 1000.0 + 1.0
    try:
        while not decided.is_set() and call.state is CallState.ANSWERED:
            left = deadline - monotonic()
            if left <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(decided.wait(), min(left, 0.1))
    finally:
        listener.close()
    detector.timeout()  # no-op when decided
    return detector


async def hang_up_machine(actions: CallActions, call: Call) -> None:
    if call.state is CallState.ANSWERED:
        await actions.ending.hang_up(call, cause="answering-machine", who=HangupSide.SYSTEM)
