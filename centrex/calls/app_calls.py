"""Calls handed to a media application (IVR flow, voicemail, echo…), and an app's transfer.

The app gets a `Channel` over the caller's media leg whose answer and hang-up callbacks send
the 200 and the BYE, and a `CallControl` through which it hands its answered caller on (theory
in `transfer.py`): the target is rung with the outbound code under a `TransferRing` owner, so
an answer bridges the caller's leg with the target's and a failure goes back to the app as a
`TransferOutcome` (the app keeps its channel: voicemail, goodbye).
"""

from __future__ import annotations

import logging

from centrex.calls.app_host import AppContext, TransferKind, TransferOutcome
from centrex.calls.call import Call, SipSide
from centrex.calls.core import CallCore
from centrex.calls.ending import Ending
from centrex.calls.features import FeatureHooks
from centrex.calls.leg import CallAction, CallInput, CallState
from centrex.calls.outbound import Outbound, RingFailure, RingResult, RingTarget
from centrex.calls.plans import PlanCache
from centrex.calls.router import Reject, ToExtension, ToFeature
from centrex.calls.transfer import (
    AppTransfer,
    TransferControl,
    failure_outcome,
    play_ringback,
    resolve_target,
)
from centrex.data.models import Direction, HangupSide, Tenant
from centrex.media.channel import Channel
from centrex.media.engine import NoCommonCodecError
from centrex.media.player import Player
from centrex.media.relay import BridgeError
from centrex.sip.errors import SipParseError
from centrex.sip.message import Response

log = logging.getLogger(__name__)

_OUTCOMES = {
    RingResult.UNAVAILABLE: TransferOutcome.UNAVAILABLE,
    RingResult.NO_ANSWER: TransferOutcome.NO_ANSWER,
    RingResult.BUSY: TransferOutcome.BUSY,
    RingResult.NO_TRUNK: TransferOutcome.FAILED,
    RingResult.CARRIER_REFUSED: TransferOutcome.FAILED,
}


class AppCalls:
    """Runs apps on calls and carries out their transfers."""

    def __init__(
        self,
        core: CallCore,
        outbound: Outbound,
        ending: Ending,
        plans: PlanCache,
        hooks: FeatureHooks,
    ) -> None:
        self.core = core
        self.outbound = outbound
        self.ending = ending
        self.plans = plans
        self.hooks = hooks
        self._transfer_ring = TransferRing(self)

    def available(self, app: str) -> bool:
        apps = self.core.deps.apps
        return apps is not None and apps.has(app)

    def voicemail_available(self) -> bool:
        return self.available("voicemail")

    async def run_app(
        self, call: Call, app: str, *, extension: str | None, reason: str = ""
    ) -> None:
        """Hand the caller's leg to `app`; the app answers (200) and hangs up (BYE) through
        the channel's callbacks."""
        core = self.core
        apps = core.deps.apps
        media = call.a.media
        if apps is None or media is None:
            return
        if core.move(call, CallInput.APP) is not CallAction.START_APP:
            return
        language, timezone = core.tenants.get(call.tenant_id, ("en", "UTC"))
        from_ = call.a.invite.from_
        context = AppContext(
            tenant_id=call.tenant_id,
            caller=call.caller,
            caller_name=(from_.display_name or "") if from_ is not None else "",
            extension=extension,
            language=language,
            timezone=timezone,
            reason=reason,
            call_id=call.call_id,
            cdr_id=call.cdr_id,
        )

        async def answer() -> None:
            await self._app_answer(call)

        async def hangup() -> None:
            await self._app_hangup(call)

        async def transfer(kind: TransferKind, value: str) -> TransferOutcome:
            return await self.transfer(call, kind, value)

        channel = Channel(core.engine, media, on_answer=answer, on_hangup=hangup)
        core.channels[call.call_id] = channel

        async def run() -> None:
            try:
                await apps.run(app, channel, context, TransferControl(transfer))
            except Exception:  # an app's bug ends its call, never the process
                log.exception("app %s failed on call %s", app, call.call_id)
            finally:
                await channel.hangup()

        core.spawn(run(), call)

    async def _app_answer(self, call: Call) -> None:
        core = self.core
        if call.state is CallState.ANSWERED and call.answered_at is not None:
            return  # an answered caller handed to the app (a transfer to voicemail)
        if call.state is not CallState.RINGING or call.a.media is None:
            raise NoCommonCodecError("the call is gone")
        sdp = core.engine.answer_for(call.a.media, call.a.invite.body).serialize()
        if core.move(call, CallInput.ANSWER) is not CallAction.CONNECT:
            raise NoCommonCodecError("the call is gone")
        call.answered_at = core.now()
        core.answer_caller(call, sdp)
        if call.cdr_id is not None:
            await core.deps.cdrs.answered(call.cdr_id, call.answered_at, None)
        core.event(call, "answered")

    async def _app_hangup(self, call: Call) -> None:
        if call.state is CallState.ENDED or (call.transfer is not None and call.transfer.connected):
            return  # ended, or handed on by the app: a bridged call now
        if call.state is CallState.ANSWERED:
            await self.ending.hang_up(call, cause="app-hangup", who=HangupSide.SYSTEM)
        else:
            await self.ending.reject(call, 480, "application ended before answering")

    # ---- an app's transfer (theory in transfer.py) ------------------------------------------
    async def transfer(self, call: Call, kind: TransferKind, value: str) -> TransferOutcome:
        """`CallControl.transfer` of an app's call: ring `value`, bridge on answer."""
        core = self.core
        if call.state is not CallState.ANSWERED or call.a.media is None or call.b is not None:
            return TransferOutcome.FAILED  # not answered by the app yet, or handed on already
        if call.transferring:
            return TransferOutcome.FAILED
        if kind is TransferKind.QUEUE_AGENTS:
            return await self._offer_agents(call, value)
        async with core.deps.database.session() as session:
            tenant = await session.get(Tenant, call.tenant_id)
        if tenant is None:
            return TransferOutcome.FAILED
        plan = await self.plans.plan(tenant)
        routes, trunk_refs = await self.plans.routing()
        target = resolve_target(plan, kind, value, call.caller, core.now(), routes, trunk_refs)
        if isinstance(target, Reject):
            log.info("call %s: transfer to %s %s refused: %s", call.call_id, kind.value, value,
                     target.reason)  # fmt: skip
            return TransferOutcome.FAILED
        ringer = None
        if isinstance(target, ToFeature):
            ringer = self.hooks.ringers.get(target.feature)
            if ringer is None:
                log.info("call %s: nothing rings %s", call.call_id, target.feature)
                return TransferOutcome.FAILED
        if call.state is not CallState.ANSWERED or call.a.media is None:
            return TransferOutcome.CALLER_GONE  # hung up while we looked the target up
        callee = target.argument if isinstance(target, ToFeature) else target.number
        transfer = AppTransfer(kind, callee)
        call.transfer = transfer
        transfer.ringback = play_ringback(core.engine, call.a.media, plan.country)
        if isinstance(target, ToFeature):
            if ringer is not None:
                await ringer(call, target.argument, self._transfer_ring)
        elif isinstance(target, ToExtension):
            await self.outbound.ring_extension(call, target.number, self._transfer_ring)
        else:
            call.pending_trunks = list(target.trunks)
            call.dialled_number = target.number
            call.caller_id = target.caller_id
            await self.outbound.try_next_trunk(call, self._transfer_ring)
        return await transfer.done

    async def _offer_agents(self, call: Call, value: str) -> TransferOutcome:
        """A queue's offer: ring the agents of `value` ("15;102,103": the ring seconds, then
        extensions the queue checked in this tenant) together, with no ringback (the queue
        app's music goes on) and none of the agents' own ring hooks (a forward or voicemail
        must not take a queue's caller)."""
        seconds, _, listed = value.partition(";")
        ring_seconds = float(seconds) if listed else self.core.settings.ring_timeout
        agents = [a for a in (listed or value).split(",") if a]
        if not agents:
            return TransferOutcome.FAILED
        transfer = AppTransfer(TransferKind.QUEUE_AGENTS, agents[0])
        call.transfer = transfer
        targets = [RingTarget(agent) for agent in agents]
        placed = await self.outbound.ring_targets(call, targets, self._transfer_ring,
                                                  ring_seconds)  # fmt: skip
        for target, side in placed:
            transfer.members[side.label] = target.number
        return await transfer.done

    def transfer_failed(self, call: Call, outcome: TransferOutcome) -> None:
        """Nobody took the transfer: the caller stays with the app (voicemail, goodbye)."""
        call.timers.clear()
        self.outbound.cancel_forks(call)
        call.pending_trunks = []
        if call.transfer is not None:
            log.info("call %s: transfer to %s ended %s", call.call_id, call.transfer.callee,
                     outcome.value)  # fmt: skip
            call.transfer.finish(outcome)

    async def transfer_answered(self, call: Call, side: SipSide, response: Response) -> None:
        """The transfer's target answered: ACK it, CANCEL the other forks, bridge it with the
        caller's leg (the engine transcodes between G.711 laws), keep the CDR honest."""
        core = self.core
        transfer = call.transfer
        if transfer is None:
            return
        self.outbound.cancel_forks(call, keep=side)
        call.timers.clear()
        core.ack(call, side, response)
        try:
            if side.media is None or call.a.media is None:
                raise NoCommonCodecError("a media leg is gone")
            core.engine.set_remote(side.media, response.body, signalling_host=side.target[0])
            if isinstance(call.a.media.source, Player):
                call.a.media.source.stop()  # a queue's music on hold: the relay takes A's stream
            core.engine.bridge(call.a.media, side.media)
        except (NoCommonCodecError, SipParseError, ValueError, BridgeError) as exc:
            log.warning("call %s: transfer media failed: %s", call.call_id, exc)
            core.bye(call, side)
            core.release_side(side)
            self.transfer_failed(call, TransferOutcome.FAILED)
            return
        call.b = side
        side.answered_at = core.now()
        call.callee = transfer.members.get(side.label, transfer.callee)  # a queue's agent
        if side.trunk is not None:
            call.direction = Direction.OUTBOUND
        transfer.finish(TransferOutcome.CONNECTED)  # ringback off: the relay takes A's stream
        if call.cdr_id is not None:
            await core.deps.cdrs.transferred(
                call.cdr_id,
                callee=call.callee,
                direction=call.direction,
                trunk_id=side.trunk.id if side.trunk is not None else None,
            )
        core.event(call, "transferred")
        core.spawn(self.hooks.answered(call, side), call)


class TransferRing:
    """The `RingOwner` of an app's transfer."""

    def __init__(self, apps: AppCalls) -> None:
        self._apps = apps

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self._apps.transfer_answered(call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        outcome = _OUTCOMES.get(failure.result) or failure_outcome(failure.statuses)
        self._apps.transfer_failed(call, outcome)
