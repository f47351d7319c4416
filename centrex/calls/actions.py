"""What call features may ask of the call layer: ring an extension or a number, hand the call
to an app or to voicemail, reject it, find calls, reach live state.

Features (`calls/features/`) never touch the B2BUA's parts directly: they get this one object
(through `FeatureHooks.actions`) at wiring time. Ringing an extension through it runs the
extension-ring hooks first (DND, forwarding, call waiting decide before any phone rings), so a
ring group member, a forward target or a pickup all follow the same rules as a direct call.
"""

from __future__ import annotations

import asyncio
import logging

from centrex.calls.app_calls import AppCalls
from centrex.calls.call import Call, SipSide
from centrex.calls.connect import DirectCall
from centrex.calls.core import CallCore
from centrex.calls.ending import Ending
from centrex.calls.leg import TimerKind
from centrex.calls.live_state import LiveState
from centrex.calls.outbound import Outbound, RingFailure, RingOwner, RingResult, RingTarget
from centrex.calls.plans import PlanCache
from centrex.calls.router import (
    CallRequest,
    Destination,
    Reject,
    TenantPlan,
    ToApp,
    ToExtension,
    ToFeature,
    ToTrunks,
    route,
)
from centrex.calls.signalling import LocalAddress
from centrex.data.models import Tenant
from centrex.registrar import Authenticated, AuthReply
from centrex.sip.events import RequestReceived
from centrex.sip.matching import ServerKey
from centrex.sip.message import Request, Response

log = logging.getLogger(__name__)


class CallActions:
    """The call layer as the features see it."""

    def __init__(
        self,
        core: CallCore,
        plans: PlanCache,
        outbound: Outbound,
        ending: Ending,
        apps: AppCalls,
        direct: DirectCall,
    ) -> None:
        self.core = core
        self.plans = plans
        self.outbound = outbound
        self.ending = ending
        self.apps = apps
        self.direct = direct

    # ---- reading ----------------------------------------------------------------------------
    @property
    def live(self) -> LiveState:
        return self.core.deps.live

    def find(self, call_id: str, tenant_id: int) -> Call | None:
        """A live call of this tenant (None for another tenant's: isolation)."""
        call = self.core.calls.get(call_id)
        return call if call is not None and call.tenant_id == tenant_id else None

    def calls_of(self, tenant_id: int) -> list[Call]:
        return [c for c in self.core.calls.values() if c.tenant_id == tenant_id]

    def registered(self, tenant_id: int, number: str) -> bool:
        return bool(self.core.deps.registrar.lookup(tenant_id, number))

    @property
    def local(self) -> LocalAddress:
        """Where Centrex's SIP listens, as peers must see it (Via, Contact)."""
        return self.core.local

    async def plan(self, tenant_id: int) -> TenantPlan | None:
        """The tenant's routing plan (cached), None when the tenant is gone."""
        async with self.core.deps.database.session() as session:
            tenant = await session.get(Tenant, tenant_id)
        return None if tenant is None else await self.plans.plan(tenant)

    async def authenticate(self, event: RequestReceived, *, proxy: bool) -> Authenticated | None:
        """Digest-authenticate a device's request like an INVITE or a REGISTER (the shared
        `DigestGate`); when it is not (yet) authenticated, the challenge or refusal is sent
        and None returned."""
        request = event.request
        from_ = request.from_
        hosts = [h for h in (from_.uri.host if from_ else None, request.uri.host) if h]
        result = await self.core.deps.gate.check(
            request, source_host=event.source[0], hosts=hosts, proxy=proxy,
            method=request.method,
        )  # fmt: skip
        if isinstance(result, AuthReply):
            self.core.reply(request, event.transaction, result.status, reason=result.reason,
                            headers=result.headers, transport=event.transport)  # fmt: skip
            return None
        return result

    # ---- SIP outside calls (subscriptions) ---------------------------------------------------
    def reply(
        self,
        request: Request,
        key: ServerKey | None,
        status: int,
        *,
        tag: str | None = None,
        reason: str | None = None,
        transport: str = "UDP",
        headers: list[tuple[str, str]] | None = None,
    ) -> Response:
        return self.core.reply(request, key, status, tag=tag, reason=reason,
                               transport=transport, headers=headers)  # fmt: skip

    def request(
        self, request: Request, target: tuple[str, int], transport: str
    ) -> asyncio.Future[Response | None]:
        return self.core.request(request, target, transport)

    # ---- acting -----------------------------------------------------------------------------
    async def ring_extension(self, call: Call, number: str, owner: RingOwner | None = None) -> None:
        """Ring `number` of the call's tenant under `owner` (default: connect the caller, or
        voicemail), after the extension-ring hooks had their say."""
        chosen = await self.core.hooks.ring_extension(call, number, owner or self.direct)
        if chosen is not None:
            await self.outbound.ring_extension(call, number, chosen)

    async def ring_hooks(self, call: Call, number: str, owner: RingOwner) -> RingOwner | None:
        """Only ask the extension-ring hooks about `number` (DND, forwarding): the owner to ring
        it with, or None when a hook handled it — a ring group asks member by member (with a
        `group_member` owner) before ringing several at once (`ring_targets`)."""
        return await self.core.hooks.ring_extension(call, number, owner)

    async def ring_targets(
        self, call: Call, targets: list[RingTarget], owner: RingOwner, ring_seconds: float
    ) -> list[tuple[RingTarget, SipSide]]:
        """Ring several extensions and outside numbers at once under one owner, with one RING
        deadline (no ring hooks here: ask `ring_hooks` first)."""
        return await self.outbound.ring_targets(call, targets, owner, ring_seconds)

    async def destination(self, call: Call, dialled: str, caller: str | None = None) -> Destination:
        """Where `dialled` leads for this call's tenant and caller (the router's answer);
        `caller` dials it instead of the call's caller (a forward is dialled by the extension
        that forwards: its routes and caller-ID choice). The features' route hooks may refuse
        it (outbound barring of the dialling extension: a `Reject`)."""
        async with self.core.deps.database.session() as session:
            tenant = await session.get(Tenant, call.tenant_id)
        if tenant is None:
            return Reject(404, "tenant no longer exists")
        plan = await self.plans.plan(tenant)
        routes, trunks = await self.plans.routing()
        request = CallRequest(dialled, caller or call.caller, self.core.now())
        destination = route(plan, request, routes, trunks)
        return await self.core.hooks.routed(call, request.caller, destination)

    async def go(
        self, call: Call, destination: Destination, owner: RingOwner | None = None
    ) -> None:
        """Send the call on to `destination` (an extension, the trunks, an app, a feature); a
        rejection goes to `owner` as a failure (default: the caller gets it)."""
        owner = owner or self.direct
        if isinstance(destination, ToExtension):
            await self.ring_extension(call, destination.number, owner)
        elif isinstance(destination, ToTrunks):
            call.pending_trunks = list(destination.trunks)
            call.dialled_number = destination.number
            call.caller_id = destination.caller_id
            await self.outbound.try_next_trunk(call, owner)
        elif isinstance(destination, ToApp):
            await self.apps.run_app(call, destination.app,
                                    extension=destination.argument or call.caller)  # fmt: skip
        elif isinstance(destination, ToFeature):
            ringer = self.core.hooks.ringers.get(destination.feature)
            if owner is not self.direct and ringer is not None:
                # a blind transfer to a ring group or to park: the feature acts for `owner`
                await ringer(call, destination.argument, owner)
            else:
                await self.feature(call, destination)
        else:
            failure = RingFailure(RingResult.DECLINED, destination.status, destination.reason)
            await owner.failed(call, failure)

    async def feature(self, call: Call, destination: ToFeature) -> None:
        """Hand the call to the feature serving `destination`."""
        handler = self.core.hooks.destinations.get(destination.feature)
        if handler is None:
            log.warning("call %s: no feature serves %s", call.call_id, destination.feature)
            await self.ending.reject(call, 501, f"{destination.feature} is not available")
            return
        await handler(call, destination.argument)

    async def voicemail(self, call: Call, extension: str, reason: str) -> bool:
        """Hand the call to `extension`'s mailbox (False when voicemail is not available)."""
        if not self.apps.voicemail_available():
            return False
        await self.apps.run_app(call, "voicemail", extension=extension, reason=reason)
        return True

    async def run_app(
        self, call: Call, app: str, *, extension: str | None, reason: str = ""
    ) -> None:
        await self.apps.run_app(call, app, extension=extension, reason=reason)

    async def reject(
        self, call: Call, status: int, reason: str, extra: tuple[tuple[str, str], ...] = ()
    ) -> None:
        await self.ending.reject(call, status, reason, extra=extra)

    # ---- feature deadlines ------------------------------------------------------------------
    def arm_timer(self, call: Call, name: str, seconds: float) -> float:
        """Arm the feature timer `name` of `call` on the B2BUA's clock (re-arming replaces
        it); `FeatureHooks.on_timer(name, ...)` gets the call when it passes. Returns the
        deadline (monotonic seconds). A call's end disarms all its timers."""
        return self.core.arm(call, TimerKind.FEATURE, seconds, name)

    def cancel_timer(self, call: Call, name: str) -> None:
        call.timers.cancel(TimerKind.FEATURE, name)
