"""Admission of new calls: who is calling, from which tenant, to where, and may they.

Theory of operation (RFC 3261 §8.2, §22.3; DESIGN.md §2 steps 1–3):

1. An INVITE without To tag starts a call. A carrier is recognised by its source address
   (`TrunkDirectory.by_source`) and its Request-URI (or To) user is the DID that picks the
   tenant. Any other caller is a device that must answer a digest challenge (407) with its
   extension's credentials (`registrar.DigestGate`, shared with REGISTER).
2. The pure router (`router.py`) decides the destination from a cached snapshot of the tenant's
   plan (`PlanCache`): an extension, an app, the trunks of an outbound route, or a rejection.
3. The licence is checked (emergency calls always pass), the call registered with its caller's
   leg A, a CDR row opened at once so no call escapes the records, and the caller's SDP offer
   applied to A's media leg; the features' admission hooks may refuse it or change where it
   goes (call screening). Then the call goes on through `CallActions.go`: to an app, to a
   call feature, to an extension's phones (after the features' extension-ring hooks) or to the
   trunks, under the `DirectCall` owner that decides what an answer or a failure means.
"""

from __future__ import annotations

import logging

from centrex.calls import signalling as sig
from centrex.calls.actions import CallActions
from centrex.calls.app_calls import AppCalls
from centrex.calls.call import Call, SipSide
from centrex.calls.connect import MIN_SE, too_brief
from centrex.calls.core import CallCore
from centrex.calls.ending import Ending
from centrex.calls.leg import LegState
from centrex.calls.outbound import Outbound
from centrex.calls.plans import PlanCache
from centrex.calls.router import (
    CallRequest,
    Destination,
    Reject,
    TenantPlan,
    ToApp,
    ToExtension,
    ToTrunks,
    normalise_outbound,
    route,
)
from centrex.calls.trunks import TrunkInfo
from centrex.data.models import Direction, Tenant
from centrex.events import CallEvent
from centrex.logs import set_log_context
from centrex.media.engine import NoCommonCodecError, PortPoolExhausted
from centrex.registrar import AuthReply
from centrex.sip.builders import generate_tag
from centrex.sip.errors import DigestError, SipError, SipParseError
from centrex.sip.events import RequestReceived
from centrex.sip.uri import unescape

log = logging.getLogger(__name__)


class Admission:
    """Turns an initial INVITE into a call, or answers why not."""

    def __init__(
        self,
        core: CallCore,
        plans: PlanCache,
        outbound: Outbound,
        ending: Ending,
        apps: AppCalls,
        actions: CallActions,
    ) -> None:
        self.core = core
        self.plans = plans
        self.outbound = outbound
        self.ending = ending
        self.apps = apps
        self.actions = actions

    async def on_new_invite(self, event: RequestReceived) -> None:
        """An initial INVITE; any error is answered (never raised into the dispatcher)."""
        try:
            await self._new_call(event)
        except (SipError, SipParseError, DigestError, ValueError) as exc:
            status = exc.status if isinstance(exc, SipError) else 400
            log.info("INVITE from %s refused: %s", event.source, exc)
            try:
                self.core.reply(event.request, event.transaction, status,
                                transport=event.transport)  # fmt: skip
            except SipError as again:  # the transaction is gone already
                log.info("INVITE from %s: %s not sent: %s", event.source, status, again)

    async def _new_call(self, event: RequestReceived) -> None:
        core = self.core
        request = event.request
        if too_brief(request):
            core.reply(request, event.transaction, 422, reason="Session Interval Too Small",
                       headers=[("Min-SE", str(MIN_SE))], transport=event.transport)  # fmt: skip
            return
        trunk = await core.deps.trunks.by_source(event.source[0])
        if trunk is not None:
            await self._inbound_from_trunk(event, trunk)
            return
        from_ = request.from_
        hosts = [h for h in (from_.uri.host if from_ else None, request.uri.host) if h]
        result = await core.deps.gate.check(
            request, source_host=event.source[0], hosts=hosts, proxy=True, method="INVITE"
        )
        if isinstance(result, AuthReply):
            core.reply(request, event.transaction, result.status, reason=result.reason,
                       headers=result.headers, transport=event.transport)  # fmt: skip
            return
        async with core.deps.database.session() as session:
            tenant = await session.get(Tenant, result.tenant.id)
        if tenant is None:
            core.reply(request, event.transaction, 404, reason="Not Found (unknown domain)")
            return
        set_log_context(tenant=tenant.domain, call_id=request.call_id or "-")
        caller = result.credential.number
        replaces = core.hooks.replaces
        if replaces is not None and request.headers.get("Replaces") is not None:
            await replaces(event, tenant.id, caller)  # RFC 3891: joins a dialog, no new call
            return
        plan = await self.plans.plan(tenant)
        dialled = unescape(request.uri.user) if request.uri.user else ""
        routes, trunk_refs = await self.plans.routing()
        destination = route(plan, CallRequest(dialled, caller, core.now()), routes, trunk_refs)
        direction = Direction.OUTBOUND if isinstance(destination, ToTrunks) else Direction.INTERNAL
        await self._start(event, tenant, plan, caller, dialled, destination, direction)

    async def _inbound_from_trunk(self, event: RequestReceived, trunk: TrunkInfo) -> None:
        request = event.request
        to = request.to
        user = request.uri.user or (to.uri.user if to is not None else None) or ""
        number = normalise_outbound(unescape(user), "CH") or unescape(user)
        tenant = await self.plans.tenant_of_number(number)
        if tenant is None:
            self.core.reply(request, event.transaction, 404,
                            reason="Not Found (number not in service)")  # fmt: skip
            return
        set_log_context(tenant=tenant.domain, call_id=request.call_id or "-")
        plan = await self.plans.plan(tenant)
        from_ = request.from_
        caller = unescape(from_.uri.user or "anonymous") if from_ is not None else "anonymous"
        destination = route(
            plan, CallRequest(number, caller, self.core.now(), from_trunk=trunk.ref), (), ()
        )
        await self._start(event, tenant, plan, caller, number, destination, Direction.INBOUND)

    def _refuse(self, event: RequestReceived, destination: Destination) -> bool:
        """Answer a call that cannot start (a rejection, an app the tenant lacks)."""
        request = event.request
        if isinstance(destination, Reject):
            log.info("call %s refused: %s %s", request.call_id, destination.status,
                     destination.reason)  # fmt: skip
            self.core.reply(request, event.transaction, destination.status,
                            headers=[sig.warning_header(destination.reason)])  # fmt: skip
            return True
        if isinstance(destination, ToApp) and not self.apps.available(destination.app):
            unavailable = sig.warning_header(f"{destination.app} is not available")
            self.core.reply(request, event.transaction, 501, headers=[unavailable])
            return True
        return False

    async def _start(
        self,
        event: RequestReceived,
        tenant: Tenant,
        plan: TenantPlan,
        caller: str,
        dialled: str,
        destination: Destination,
        direction: Direction,
    ) -> None:
        core = self.core
        request = event.request
        log.debug("call %s: %s -> %s: %s", request.call_id, caller, dialled, destination)
        if self._refuse(event, destination):
            return
        core.tenants[tenant.id] = (tenant.language.value, tenant.timezone)
        emergency = isinstance(destination, ToTrunks) and destination.emergency
        if not emergency:
            refusal = core.deps.limits.acquire_tenant(tenant.id, tenant.max_calls)
            if refusal is not None:
                log.info("tenant %s: %s", tenant.domain, refusal.reason)
                core.reply(request, event.transaction, 503,
                           reason="Service Unavailable (licence limit)",
                           headers=[sig.warning_header(refusal.reason)])  # fmt: skip
                core.deps.publish(
                    CallEvent(
                        tenant_id=tenant.id,
                        call_id=request.call_id or "",
                        state="refused",
                        caller=caller,
                        callee=dialled,
                        direction=direction.value,
                        reason="licence",
                    )
                )
                return
        a = SipSide(
            label="a",
            invite=request,
            target=event.source,
            transport=event.transport,
            local_tag=generate_tag(),
            peer=caller,
            server_key=event.transaction,
            started_at=core.now(),
            state=LegState.INCOMING,
        )
        callee = destination.number if isinstance(destination, ToExtension | ToTrunks) else ""
        call = Call(
            call_id=request.call_id or generate_tag(),
            tenant_id=tenant.id,
            domain=tenant.domain,
            caller=caller,
            callee=callee,
            direction=direction,
            started_at=core.now(),
            a=a,
            licence_held=not emergency,
            emergency=emergency,
        )
        core.register(call)
        call.cdr_id = await core.deps.cdrs.start(
            tenant_id=tenant.id,
            call_id=call.call_id,
            caller=caller,
            callee=callee or dialled,
            direction=direction,
            started_at=call.started_at,
            extension=caller if direction is not Direction.INBOUND else callee,
        )
        core.event(call, "started")
        try:
            own = caller if direction is not Direction.INBOUND else None  # SRTP policy: sdes.py
            srtp = await core.deps.directory.srtp_policy(tenant.id, own) if own else None
            a.media = await core.engine.allocate(srtp_policy=srtp)
            if not request.body:
                raise NoCommonCodecError("an INVITE without SDP offer is not supported")
            core.engine.set_remote(a.media, request.body, signalling_host=event.source[0])
        except (NoCommonCodecError, PortPoolExhausted, SipParseError, ValueError) as exc:
            status = 503 if isinstance(exc, PortPoolExhausted) else 488
            await self.ending.reject(call, status, str(exc))
            return
        admitted = await core.hooks.admit(call, destination)  # screening may refuse it here
        if admitted is not None:
            await self.actions.go(call, admitted)
