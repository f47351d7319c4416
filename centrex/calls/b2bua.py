"""The back-to-back user agent: every call is the caller's side (A) plus outbound sides (B).

Theory of operation (RFC 3261 §13, §15, §9, RFC 3264, DESIGN.md §2):

1. An INVITE without To tag starts a call. A carrier is recognised by its source address; any
   other caller must answer a digest challenge (407) with its extension's credentials.
2. The pure router (`router.py`) decides the destination from a snapshot of the tenant's plan.
   Licence limits are checked; a CDR row is opened at once so no call escapes the records.
3. The caller's SDP offer is applied to a media leg A; each outbound side gets the offer
   rewritten to media leg B (`MediaEngine.offer_for`). An extension is rung on every registered
   contact in parallel (first 2xx wins, the others get CANCEL); trunks are tried one after the
   other, failing over on timeout, 408, 480 and 5xx (`router.should_fail_over`).
4. 180/183 are relayed to A (183 with the answer for early media); the 2xx is ACKed, the legs
   are bridged, and A gets its 200 with our SDP answer, retransmitted until A's ACK (RFC 6026:
   the transaction user owns 2xx retransmission).
5. In-dialog requests are relayed to the other side: BYE ends both, re-INVITE/UPDATE carry hold
   and resume (the SDP of each side is re-applied to its media leg), INFO is answered.
6. At the end both sides are released, the media legs freed, the licence slot returned and the
   CDR closed with disposition, cause and side.
7. An app that answered the caller (an IVR flow) may hand the call on through its
   `CallControl`: the target is rung with the same forking/failover code while the caller hears
   ringback, and bridged on answer (`transfer.py`). `call.alerting` covers both ringing phases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from centrex.calls import signalling as sig
from centrex.calls.app_host import AppContext, AppHost, TransferKind, TransferOutcome
from centrex.calls.call import Call, CallState, SipSide
from centrex.calls.call_media import CallMediaHost
from centrex.calls.cdr import CdrWriter, EndedLeg
from centrex.calls.hold import HOLD_OFFER_DIRECTION, HoldMusic, is_hold
from centrex.calls.limits import CallLimits
from centrex.calls.plans import load_routing, load_tenant_plan, tenant_of_number
from centrex.calls.recording import CallRecorder, Party
from centrex.calls.router import (
    CallRequest,
    Destination,
    OutboundRoutePlan,
    Reject,
    TenantPlan,
    ToApp,
    ToExtension,
    ToTrunks,
    TrunkRef,
    normalise_outbound,
    route,
    should_fail_over,
)
from centrex.calls.transfer import (
    AppTransfer,
    TransferControl,
    failure_outcome,
    play_ringback,
    resolve_target,
)
from centrex.calls.trunks import TrunkDirectory, TrunkInfo
from centrex.clock import Clock
from centrex.data.db import Database
from centrex.data.models import Direction, Disposition, HangupSide, Tenant
from centrex.events import CallEvent, Event
from centrex.media.channel import Channel
from centrex.media.engine import MediaEngine, NoCommonCodecError, PortPoolExhausted
from centrex.media.relay import BridgeError
from centrex.registrar import AuthFailureTracker, Directory, Registrar, RequestDispatcher
from centrex.sip.builders import build_cancel, generate_branch, generate_tag
from centrex.sip.dialog import Dialog
from centrex.sip.digest import AuthResult, DigestServer, authenticated_retry, find_credentials
from centrex.sip.errors import DigestError, SipError, SipParseError
from centrex.sip.events import Event as SipEvent
from centrex.sip.events import (
    RequestCancelled,
    RequestReceived,
    ResponseReceived,
    TransactionTimeout,
    TransportError,
)
from centrex.sip.matching import ClientKey, ServerKey
from centrex.sip.message import Request, Response
from centrex.sip.uri import unescape

log = logging.getLogger(__name__)

T1 = 0.5
T2 = 4.0


class SipSender(Protocol):
    """What the B2BUA needs from the transport driver (kept abstract: calls sit above it)."""

    def send_response(self, response: Response, transaction: ServerKey | None = None) -> None: ...

    def send_request(
        self, request: Request, target: tuple[str, int], transport: str = "UDP"
    ) -> ClientKey | None: ...


@dataclass(frozen=True, slots=True)
class CallSettings:
    """Timers and limits of the call layer."""

    ring_timeout: float = 60.0
    trunk_setup_timeout: float = 8.0
    plan_ttl: float = 2.0


@dataclass(slots=True)
class _Pending:
    """What a client transaction we started is for."""

    call: Call
    side: SipSide
    purpose: str  # invite, cancel, bye, reinvite, ack
    future: asyncio.Future[Response | None] | None = None


class B2BUA:
    """Owns every live call of the process."""

    def __init__(
        self,
        *,
        driver: SipSender,
        local: sig.LocalAddress,
        database: Database,
        directory: Directory,
        registrar: Registrar,
        digest: DigestServer,
        failures: AuthFailureTracker,
        engine: MediaEngine,
        trunks: TrunkDirectory,
        cdrs: CdrWriter,
        limits: CallLimits,
        clock: Clock,
        publish: Callable[[Event], None],
        settings: CallSettings | None = None,
        apps: AppHost | None = None,
        call_media: CallMediaHost | None = None,
    ) -> None:
        """`call_media` brings music on hold and call recording (None: neither)."""
        self._driver = driver
        self.apps = apps
        self._hold = HoldMusic(engine, call_media) if call_media is not None else None
        self._recorder = (
            CallRecorder(engine, call_media, clock.utcnow) if call_media is not None else None
        )
        self.local = local
        self._db = database
        self._directory = directory
        self._registrar = registrar
        self._digest = digest
        self._failures = failures
        self.engine = engine
        self._trunks = trunks
        self._cdrs = cdrs
        self.limits = limits
        self._clock = clock
        self._publish = publish
        self.settings = settings or CallSettings()
        self.calls: dict[str, Call] = {}
        self._dialogs: dict[tuple[str, str], tuple[Call, SipSide]] = {}
        self._pending: dict[ClientKey, _Pending] = {}
        self._by_server: dict[ServerKey, Call] = {}
        self._plans: dict[int, tuple[float, TenantPlan]] = {}
        self._number_tenants: dict[str, tuple[float, Tenant | None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._channels: dict[str, Channel] = {}
        self._tenants: dict[int, tuple[str, str]] = {}

    # ---- wiring ---------------------------------------------------------------------------
    def register(self, dispatcher: RequestDispatcher) -> None:
        """Route INVITE/ACK/BYE/UPDATE/INFO and every client-side event to this B2BUA."""
        for method, handler in (
            ("INVITE", self.on_invite),
            ("ACK", self.on_ack),
            ("BYE", self.on_bye),
            ("UPDATE", self.on_reinvite),
            ("INFO", self.on_info),
        ):
            dispatcher.register(method, handler)
        dispatcher.set_other(self.on_event)

    # ---- helpers ----------------------------------------------------------------------------
    def _now(self) -> datetime:
        return self._clock.utcnow()

    def _wall(self) -> float:
        return self._clock.utcnow().timestamp()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call task failed", exc_info=task.exception())

    def _reply(
        self,
        request: Request,
        key: ServerKey | None,
        status: int,
        *,
        tag: str | None = None,
        reason: str | None = None,
        sdp: bytes = b"",
        transport: str = "UDP",
        headers: list[tuple[str, str]] | None = None,
    ) -> Response:
        response = sig.respond(
            request,
            status,
            tag or generate_tag(),
            self.local,
            transport,
            reason=reason,
            sdp=sdp,
            headers=headers,
        )
        self._driver.send_response(response, key)
        return response

    def _send(
        self, call: Call, side: SipSide, request: Request, purpose: str, *, want: bool = False
    ) -> asyncio.Future[Response | None] | None:
        future: asyncio.Future[Response | None] | None = None
        if want:
            future = asyncio.get_running_loop().create_future()
        key = self._driver.send_request(request, side.target, side.transport)
        if key is not None:
            self._pending[key] = _Pending(call, side, purpose, future)
            if purpose == "invite":
                side.client_key = key
        elif future is not None:
            future.set_result(None)
        return future

    def _event(self, call: Call, state: str) -> None:
        self._publish(
            CallEvent(
                tenant_id=call.tenant_id,
                call_id=call.call_id,
                state=state,
                caller=call.caller,
                callee=call.callee,
                direction=call.direction.value,
            )
        )

    async def _plan(self, tenant: Tenant) -> TenantPlan:
        cached = self._plans.get(tenant.id)
        now = self._clock.monotonic()
        if cached is not None and now - cached[0] < self.settings.plan_ttl:
            return cached[1]
        async with self._db.session() as session:
            fresh = await session.get(Tenant, tenant.id)
            assert fresh is not None
            plan = await load_tenant_plan(session, fresh)
        self._plans[tenant.id] = (now, plan)
        return plan

    # ---- new calls --------------------------------------------------------------------------
    async def on_invite(self, event: RequestReceived) -> None:
        request = event.request
        to = request.to
        if to is not None and to.tag is not None:
            await self.on_reinvite(event)
            return
        try:
            await self._new_call(event)
        except (SipError, SipParseError, DigestError, ValueError) as exc:
            status = exc.status if isinstance(exc, SipError) else 400
            log.info("INVITE from %s refused: %s", event.source, exc)
            with contextlib.suppress(Exception):
                self._reply(request, event.transaction, status, transport=event.transport)

    async def _new_call(self, event: RequestReceived) -> None:
        request = event.request
        trunk = await self._trunks.by_source(event.source[0])
        if trunk is not None:
            await self._inbound_from_trunk(event, trunk)
            return
        found = await self._authenticate(event)
        if found is None:
            return
        tenant, caller = found
        plan = await self._plan(tenant)
        dialled = unescape(request.uri.user or "") if request.uri.user else ""
        routes, trunk_refs = await self._routing()
        destination = route(plan, CallRequest(dialled, caller, self._now()), routes, trunk_refs)
        direction = Direction.OUTBOUND if isinstance(destination, ToTrunks) else Direction.INTERNAL
        await self._start(event, tenant, plan, caller, dialled, destination, direction)

    async def _routing(self) -> tuple[tuple[OutboundRoutePlan, ...], tuple[TrunkRef, ...]]:
        async with self._db.session() as session:
            routes, _ = await load_routing(session)
        return routes, await self._trunks.refs()

    async def _authenticate(self, event: RequestReceived) -> tuple[Tenant, str] | None:
        """Digest-authenticate a device's INVITE (407); returns its tenant and extension."""
        request = event.request
        from_ = request.from_
        hosts = [h for h in (from_.uri.host if from_ else None, request.uri.host) if h]
        info = None
        for host in hosts:
            info = await self._directory.tenant_by_domain(host.strip("[]"))
            if info is not None:
                break
        if info is None:
            for value in request.headers.get_all("Proxy-Authorization"):
                with contextlib.suppress(DigestError, ValueError):
                    realm = find_credentials(request, "", proxy=True)
                    if realm is not None:
                        info = await self._directory.tenant_by_domain(realm.realm)
                _ = value
        if info is None:
            self._reply(request, event.transaction, 404, reason="Not Found (unknown domain)")
            return None
        now = self._wall()
        credentials = find_credentials(request, info.domain, proxy=True)
        if credentials is None:
            headers = self._digest.challenge_headers(info.domain, now, proxy=True)
            self._reply(request, event.transaction, 407, headers=headers)
            return None
        credential = await self._directory.credential(info.id, credentials.username)
        ha1 = credential.ha1(credentials.algorithm) if credential is not None else None
        result = (
            self._digest.verify(credentials, "INVITE", ha1, now, realm=info.domain)
            if ha1 is not None
            else AuthResult.BAD_RESPONSE
        )
        if result is AuthResult.BAD_RESPONSE or credential is None:
            self._failures.record_failure(
                event.source[0], now, f"bad INVITE credentials for {credentials.username!r}"
            )
            self._reply(request, event.transaction, 403)
            return None
        if result is not AuthResult.OK:
            stale = result is AuthResult.STALE
            headers = self._digest.challenge_headers(info.domain, now, stale=stale, proxy=True)
            self._reply(request, event.transaction, 407, headers=headers)
            return None
        async with self._db.session() as session:
            tenant = await session.get(Tenant, info.id)
        assert tenant is not None
        return tenant, credential.number

    async def _tenant_of_number(self, number: str) -> Tenant | None:
        """The tenant a DID belongs to, cached for `plan_ttl` like the tenant plans (a carrier
        burst must not cost one query per INVITE; a number moved to another tenant is seen
        after at most that long, as a changed plan is)."""
        now = self._clock.monotonic()
        cached = self._number_tenants.get(number)
        if cached is not None and now - cached[0] < self.settings.plan_ttl:
            return cached[1]
        async with self._db.session() as session:
            tenant = await tenant_of_number(session, number)
        if len(self._number_tenants) > 100_000:
            self._number_tenants.clear()
        self._number_tenants[number] = (now, tenant)
        return tenant

    async def _inbound_from_trunk(self, event: RequestReceived, trunk: TrunkInfo) -> None:
        request = event.request
        to = request.to
        user = request.uri.user or (to.uri.user if to is not None else None) or ""
        number = normalise_outbound(unescape(user), "CH") or unescape(user)
        tenant = await self._tenant_of_number(number)
        if tenant is None:
            self._reply(request, event.transaction, 404, reason="Not Found (number not in service)")
            return
        plan = await self._plan(tenant)
        from_ = request.from_
        caller = unescape(from_.uri.user or "anonymous") if from_ is not None else "anonymous"
        destination = route(
            plan, CallRequest(number, caller, self._now(), from_trunk=trunk.ref), (), ()
        )
        await self._start(event, tenant, plan, caller, number, destination, Direction.INBOUND)

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
        request = event.request
        if isinstance(destination, Reject):
            self._reply(
                request,
                event.transaction,
                destination.status,
                headers=[sig.warning_header(destination.reason)],
            )
            return
        if isinstance(destination, ToApp) and (
            self.apps is None or not self.apps.has(destination.app)
        ):
            unavailable = sig.warning_header(f"{destination.app} is not available")
            self._reply(request, event.transaction, 501, headers=[unavailable])
            return
        self._tenants[tenant.id] = (tenant.language.value, tenant.timezone)
        emergency = isinstance(destination, ToTrunks) and destination.emergency
        if not emergency:
            refusal = self.limits.acquire_tenant(tenant.id, tenant.max_calls)
            if refusal is not None:
                log.info("tenant %s: %s", tenant.domain, refusal.reason)
                self._reply(
                    request,
                    event.transaction,
                    503,
                    reason="Service Unavailable (licence limit)",
                    headers=[sig.warning_header(refusal.reason)],
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
            started_at=self._now(),
        )
        callee = destination.number if isinstance(destination, ToExtension | ToTrunks) else ""
        call = Call(
            call_id=request.call_id or generate_tag(),
            tenant_id=tenant.id,
            domain=tenant.domain,
            caller=caller,
            callee=callee,
            direction=direction,
            started_at=self._now(),
            a=a,
            licence_held=not emergency,
            emergency=emergency,
        )
        self.calls[call.call_id] = call
        self._dialogs[(call.call_id, a.local_tag)] = (call, a)
        if event.transaction is not None:
            self._by_server[event.transaction] = call
        call.cdr_id = await self._cdrs.start(
            tenant_id=tenant.id,
            call_id=call.call_id,
            caller=caller,
            callee=callee or dialled,
            direction=direction,
            started_at=call.started_at,
            extension=caller if direction is not Direction.INBOUND else callee,
        )
        self._event(call, "started")
        try:
            a.media = await self.engine.allocate()
            if not request.body:
                raise NoCommonCodecError("an INVITE without SDP offer is not supported")
            self.engine.set_remote(a.media, request.body, signalling_host=event.source[0])
        except (NoCommonCodecError, PortPoolExhausted, SipParseError, ValueError) as exc:
            status = 503 if isinstance(exc, PortPoolExhausted) else 488
            await self._fail(call, status, str(exc))
            return
        if isinstance(destination, ToApp):
            await self._run_app(call, destination.app, extension=destination.argument or caller)
        elif isinstance(destination, ToExtension):
            await self._ring_extension(call, destination.number)
        else:
            assert isinstance(destination, ToTrunks)
            call.pending_trunks = list(destination.trunks)
            call.dialled_number = destination.number
            call.caller_id = destination.caller_id
            await self._try_next_trunk(call)

    async def _ring_extension(self, call: Call, number: str) -> None:
        bindings = self._registrar.lookup(call.tenant_id, number)
        if not bindings:
            if call.transferring:
                self._transfer_failed(call, TransferOutcome.UNAVAILABLE)
                return
            if self._voicemail_available():
                await self._run_app(call, "voicemail", extension=number, reason="unavailable")
                return
            await self._fail(call, 480, f"extension {number} is not registered")
            return
        if not call.transferring:
            call.state = CallState.RINGING
        display = call.a.invite.from_.display_name if call.a.invite.from_ else None
        for index, binding in enumerate(bindings, start=len(call.forks) + 1):
            if call.state is CallState.ENDED:
                return  # the caller left while we were forking: ring no more phones
            media = await self.engine.allocate()
            assert call.a.media is not None
            offer = self.engine.offer_for(media, call.a.invite.body).serialize()
            invite = sig.invite_to(
                binding.contact,
                caller_uri=f"sip:{call.caller}@{call.domain}",
                caller_name=display,
                callee_uri=f"sip:{number}@{call.domain}",
                local=self.local,
                transport=binding.transport,
                sdp=offer,
            )
            await self._fork(call, invite, binding.source, binding.transport, f"{number}", media,
                             index, None)  # fmt: skip
        call.timers.append(
            asyncio.get_running_loop().call_later(
                self.settings.ring_timeout, lambda: self._spawn(self._ring_timeout(call))
            )
        )

    async def _fork(
        self,
        call: Call,
        invite: Request,
        target: tuple[str, int],
        transport: str,
        peer: str,
        media: object,
        index: int,
        trunk: TrunkInfo | None,
    ) -> SipSide:
        from_ = invite.from_
        side = SipSide(
            label=f"b{index}",
            invite=invite,
            target=target,
            transport=transport,
            local_tag=from_.tag if from_ is not None and from_.tag else generate_tag(),
            peer=peer,
            media=media,  # type: ignore[arg-type]
            trunk=trunk.ref if trunk is not None else None,
            started_at=self._now(),
        )
        call.forks.append(side)
        self._dialogs[(invite.call_id or "", side.local_tag)] = (call, side)
        if call.cdr_id is not None:
            side.cdr_leg_id = await self._cdrs.add_leg(
                call.cdr_id,
                tenant_id=call.tenant_id,
                leg_index=index,
                peer=peer,
                started_at=side.started_at or self._now(),
                trunk_id=trunk.ref.id if trunk is not None else None,
            )
        self._send(call, side, invite, "invite")
        return side

    async def _try_next_trunk(self, call: Call) -> None:
        while call.pending_trunks:
            ref = call.pending_trunks.pop(0)
            info = await self._trunks.get(ref.id)
            if info is None or not info.ref.enabled:
                continue
            if self.limits.acquire_trunk(ref.id, info.max_calls) is not None:
                continue
            media = await self.engine.allocate()
            offer = self.engine.offer_for(media, call.a.invite.body).serialize()
            port = f":{info.port}" if info.port else ""
            caller_user = call.caller_id or "anonymous"
            invite = sig.invite_to(
                f"sip:{call.dialled_number}@{info.host}{port}",
                caller_uri=f"sip:{caller_user}@{call.domain}",
                caller_name=None,
                callee_uri=f"sip:{call.dialled_number}@{info.host}{port}",
                local=self.local,
                transport=info.transport,
                sdp=offer,
                headers=[("P-Asserted-Identity", f"<sip:{caller_user}@{call.domain}>")],
            )
            target = (info.addresses[0] if info.addresses else info.host, info.port)
            side = await self._fork(
                call, invite, target, info.transport, info.ref.name, media, len(call.forks) + 1,
                info,
            )  # fmt: skip
            if not call.transferring:
                call.state = CallState.RINGING
            call.timers.append(
                asyncio.get_running_loop().call_later(
                    self.settings.trunk_setup_timeout,
                    lambda s=side: self._spawn(self._trunk_setup_timeout(call, s)),  # type: ignore[misc]
                )
            )
            return
        if call.transferring:
            self._transfer_failed(call, TransferOutcome.FAILED)
            return
        await self._fail(call, 503, "no trunk could take the call")

    async def _trunk_setup_timeout(self, call: Call, side: SipSide) -> None:
        """No provisional answer from a carrier in time: cancel it and fail over."""
        if not call.alerting or side.ended or side.last_response is not None:
            return
        self._cancel_side(call, side)
        await self._side_failed(call, side, 408)

    async def _ring_timeout(self, call: Call) -> None:
        if not call.alerting:
            return
        for side in list(call.forks):
            self._cancel_side(call, side)
        if call.transferring:
            self._transfer_failed(call, TransferOutcome.NO_ANSWER)
            return
        if call.direction is not Direction.OUTBOUND and self._voicemail_available():
            await self._run_app(call, "voicemail", extension=call.callee, reason="no-answer")
            return
        await self._fail(call, 480, "no answer", disposition=Disposition.NO_ANSWER)

    def _cancel_side(self, call: Call, side: SipSide) -> None:
        if side.ended:
            return
        side.ended = True
        if side.trunk is not None:
            self.limits.release_trunk(side.trunk.id)
        with contextlib.suppress(ValueError):
            self._send(call, side, build_cancel(side.invite), "cancel")
        if side.media is not None:
            self.engine.release(side.media)
            side.media = None

    # ---- responses to our requests ----------------------------------------------------------
    def on_event(self, event: SipEvent) -> None:
        if isinstance(event, ResponseReceived):
            self._spawn(self._on_response(event))
        elif isinstance(event, RequestCancelled):
            call = self._by_server.get(event.transaction)
            if call is not None:
                self._spawn(self._caller_cancelled(call))
        elif isinstance(event, TransactionTimeout | TransportError) and isinstance(
            event.transaction, ClientKey
        ):
            pending = self._pending.pop(event.transaction, None)
            if pending is not None:
                self._spawn(self._client_failed(pending))

    async def _client_failed(self, pending: _Pending) -> None:
        if pending.future is not None and not pending.future.done():
            pending.future.set_result(None)
        if pending.purpose == "invite" and pending.call.alerting:
            pending.side.ended = True
            await self._side_failed(pending.call, pending.side, 408)

    async def _on_response(self, event: ResponseReceived) -> None:
        response = event.response
        if event.transaction is None:
            await self._stray_2xx(response)
            return
        pending = self._pending.get(event.transaction)
        if pending is None:
            return
        if response.status >= 200:
            self._pending.pop(event.transaction, None)
        if pending.future is not None:
            if response.status >= 200 and not pending.future.done():
                pending.future.set_result(response)
            return
        if pending.purpose == "invite":
            await self._invite_response(pending.call, pending.side, response)

    async def _stray_2xx(self, response: Response) -> None:
        """A 2xx retransmission after the transaction ended: ACK again (§13.2.2.4)."""
        to = response.to
        from_ = response.from_
        if to is None or from_ is None or response.call_id is None or from_.tag is None:
            return
        found = self._dialogs.get((response.call_id, from_.tag))
        if found is None or found[1].dialog is None:
            return
        self._ack(found[0], found[1], response)

    def _ack(self, call: Call, side: SipSide, response: Response) -> None:
        if side.dialog is None:
            side.dialog = Dialog.from_uac(side.invite, response)
        cseq = side.invite.cseq
        ack = side.dialog.create_ack(cseq.number if cseq else 1, self.local.via(side.transport))
        self._send(call, side, ack, "ack")

    async def _invite_response(self, call: Call, side: SipSide, response: Response) -> None:
        status = response.status
        side.last_response = response
        if status < 200:
            if side.ended or not call.alerting or status == 100:
                return
            await self._provisional(call, side, response)
            return
        if status < 300:
            if side.ended or not call.alerting:
                # a late 2xx from a cancelled fork: confirm then end that dialog at once
                self._ack(call, side, response)
                await self._bye(call, side)
                return
            await self._answered(call, side, response)
            return
        if status in (401, 407) and side.trunk is not None and not side.auth_tried:
            info = await self._trunks.get(side.trunk.id)
            if info is not None and info.username and info.password is not None:
                side.auth_tried = True
                retry = authenticated_retry(
                    side.invite, response, info.username, info.password, generate_branch()
                )
                side.invite = retry
                self._send(call, side, retry, "invite")
                return
        side.ended = True
        if side.trunk is not None:
            self.limits.release_trunk(side.trunk.id)
        if side.media is not None:
            self.engine.release(side.media)
            side.media = None
        await self._side_failed(call, side, status)

    async def _provisional(self, call: Call, side: SipSide, response: Response) -> None:
        if call.transferring:
            return  # the caller is answered already and hears our ringback (transfer.py)
        sdp = b""
        if response.body and side.media is not None and call.a.media is not None:
            try:
                self.engine.set_remote(side.media, response.body, signalling_host=side.target[0])
                answer = self.engine.answer_for(call.a.media, call.a.invite.body, peer=side.media)
                sdp = answer.serialize()
                self.engine.bridge(call.a.media, side.media)  # early media
            except (NoCommonCodecError, SipParseError, ValueError):
                sdp = b""
        status = 183 if sdp else 180
        call.response_to_a = self._reply(
            call.a.invite, call.a.server_key, status, tag=call.a.local_tag, sdp=sdp,
            transport=call.a.transport,
        )  # fmt: skip
        if status == 180:
            self._event(call, "ringing")

    async def _answered(self, call: Call, side: SipSide, response: Response) -> None:
        if call.transferring:
            await self._transfer_answered(call, side, response)
            return
        call.state = CallState.ANSWERED
        call.b = side
        side.answered = True
        side.answered_at = call.answered_at = self._now()
        for timer in call.timers:
            timer.cancel()
        call.timers.clear()
        for other in call.forks:
            if other is not side:
                self._cancel_side(call, other)
        self._ack(call, side, response)
        sdp = b""
        try:
            assert side.media is not None
            assert call.a.media is not None
            self.engine.set_remote(side.media, response.body, signalling_host=side.target[0])
            answer = self.engine.answer_for(call.a.media, call.a.invite.body, peer=side.media)
            sdp = answer.serialize()
            if call.a.media.leg_id not in self.engine.bridges:
                self.engine.bridge(call.a.media, side.media)
        except (NoCommonCodecError, SipParseError, ValueError, AssertionError) as exc:
            log.warning("call %s: media negotiation failed: %s", call.call_id, exc)
            await self._bye(call, side)
            await self._fail(call, 488, "no common codec")
            return
        await self._answer_a(call, sdp, side.trunk.id if side.trunk else None)
        if self._recorder is not None and side.media is not None and call.a.media is not None:
            self._spawn(self._record(call, side))

    async def _record(self, call: Call, b: SipSide) -> None:
        """Start recording (or arm *1) per the settings of the call's extensions."""
        assert self._recorder is not None
        assert b.media is not None
        assert call.a.media is not None
        extensions = [
            number
            for number, internal in (
                (call.caller, call.direction is not Direction.INBOUND),
                (call.callee, call.direction is not Direction.OUTBOUND),
            )
            if internal and number
        ]
        parties = (Party(call.caller, call.a.media), Party(call.callee or b.peer, b.media))
        await self._recorder.answered(call.tenant_id, call.call_id, extensions, parties)

    def _retransmit_2xx(self, call: Call, ok: Response, interval: float) -> None:
        """RFC 3261 §13.3.1.4: resend the 2xx with T1 doubling to T2 until the ACK (64*T1)."""
        if interval > 64 * T1 or call.state is not CallState.ANSWERED:
            return

        def again() -> None:
            if call.ack_waiter is None:
                return
            self._driver.send_response(ok, call.a.server_key)
            self._retransmit_2xx(call, ok, min(interval * 2, T2))

        call.ack_waiter = asyncio.get_running_loop().call_later(interval, again)

    async def _side_failed(self, call: Call, side: SipSide, status: int) -> None:
        if side.cdr_leg_id is not None:
            await self._cdrs.end_leg(
                side.cdr_leg_id,
                ended_at=self._now(),
                disposition=Disposition(sig.disposition_for(status)),
                cause=f"sip-{status}",
            )
        if not call.alerting:
            return
        if side.trunk is not None:
            if should_fail_over(status) and call.pending_trunks:
                log.info("call %s: trunk %s answered %s, failing over", call.call_id,
                         side.trunk.name, status)  # fmt: skip
                await self._try_next_trunk(call)
                return
            if call.transferring:
                self._transfer_failed(call, TransferOutcome.FAILED)
                return
            await self._fail(call, status if status >= 300 else 503, f"carrier answered {status}")
            return
        statuses = [s.last_response.status for s in call.forks if s.last_response is not None]
        if all(f.ended for f in call.forks) and call.transferring:
            self._transfer_failed(call, failure_outcome(statuses))
            return
        if all(f.ended for f in call.forks) and self._voicemail_available():
            busy = any(code in (486, 600) for code in statuses)
            await self._run_app(
                call, "voicemail", extension=call.callee, reason="busy" if busy else "no-answer"
            )
            return
        if all(f.ended for f in call.forks):
            await self._fail(call, sig.caller_status([s for s in statuses if s >= 300]),
                             f"callee answered {status}")  # fmt: skip

    # ---- applications -----------------------------------------------------------------------
    def _voicemail_available(self) -> bool:
        return self.apps is not None and self.apps.has("voicemail")

    async def _run_app(
        self, call: Call, app: str, *, extension: str | None, reason: str = ""
    ) -> None:
        """Hand the caller's leg to an app; the app answers (200) and hangs up (BYE) through
        the channel's callbacks."""
        assert self.apps is not None
        media = call.a.media
        if media is None or call.state is CallState.ENDED:
            return
        call.state = CallState.RINGING
        language, timezone = self._tenants.get(call.tenant_id, ("en", "UTC"))
        from_ = call.a.invite.from_
        context = AppContext(
            tenant_id=call.tenant_id,
            caller=call.caller,
            caller_name=(from_.display_name or "") if from_ is not None else "",
            extension=extension,
            language=language,
            timezone=timezone,
            reason=reason,
        )

        async def answer() -> None:
            await self._app_answer(call)

        async def hangup() -> None:
            await self._app_hangup(call)

        async def transfer(kind: TransferKind, value: str) -> TransferOutcome:
            return await self._transfer(call, kind, value)

        channel = Channel(self.engine, media, on_answer=answer, on_hangup=hangup)
        self._channels[call.call_id] = channel
        apps = self.apps

        async def run() -> None:
            try:
                await apps.run(app, channel, context, TransferControl(transfer))
            except Exception:
                log.exception("app %s failed on call %s", app, call.call_id)
            finally:
                await channel.hangup()

        self._spawn(run())

    async def _app_answer(self, call: Call) -> None:
        if call.state is not CallState.RINGING or call.a.media is None:
            raise NoCommonCodecError("the call is gone")
        sdp = self.engine.answer_for(call.a.media, call.a.invite.body).serialize()
        call.state = CallState.ANSWERED
        call.answered_at = self._now()
        await self._answer_a(call, sdp, None)

    async def _answer_a(self, call: Call, sdp: bytes, trunk_id: int | None) -> None:
        """Send the 200 (with our SDP answer) to the caller, confirm its dialog, keep the 2xx
        retransmitted until the ACK (UDP), and record the answer on the CDR."""
        ok = self._reply(
            call.a.invite, call.a.server_key, 200, tag=call.a.local_tag, sdp=sdp,
            transport=call.a.transport,
        )  # fmt: skip
        call.response_to_a = ok
        call.a.dialog = Dialog.from_uas(call.a.invite, ok)
        call.a.answered = True
        if call.a.transport == "UDP":
            self._retransmit_2xx(call, ok, T1)
        if call.cdr_id is not None and call.answered_at is not None:
            await self._cdrs.answered(call.cdr_id, call.answered_at, trunk_id)
        self._event(call, "answered")

    async def _app_hangup(self, call: Call) -> None:
        if call.state is CallState.ENDED or (call.transfer is not None and call.transfer.connected):
            return  # ended, or handed on by the app: a bridged call now
        if call.state is CallState.ANSWERED:
            await self._bye(call, call.a)
            await self._finish(call, Disposition.ANSWERED, "app-hangup", HangupSide.SYSTEM)
        else:
            await self._fail(call, 480, "application ended before answering")

    # ---- an app's transfer (theory in transfer.py) ------------------------------------------
    async def _transfer(self, call: Call, kind: TransferKind, value: str) -> TransferOutcome:
        """`CallControl.transfer` of an app's call: ring `value`, bridge on answer."""
        if call.state is not CallState.ANSWERED or call.a.media is None or call.b is not None:
            return TransferOutcome.FAILED  # not answered by the app yet, or handed on already
        if call.transferring:
            return TransferOutcome.FAILED
        async with self._db.session() as session:
            tenant = await session.get(Tenant, call.tenant_id)
        if tenant is None:
            return TransferOutcome.FAILED
        plan = await self._plan(tenant)
        routes, trunk_refs = await self._routing()
        target = resolve_target(plan, kind, value, call.caller, self._now(), routes, trunk_refs)
        if isinstance(target, Reject):
            log.info("call %s: transfer to %s %s refused: %s", call.call_id, kind.value, value,
                     target.reason)  # fmt: skip
            return TransferOutcome.FAILED
        if call.state is not CallState.ANSWERED or call.a.media is None:
            return TransferOutcome.CALLER_GONE  # hung up while we looked the target up
        transfer = AppTransfer(kind, target.number)
        call.transfer = transfer
        transfer.ringback = play_ringback(self.engine, call.a.media, plan.country)
        if isinstance(target, ToExtension):
            await self._ring_extension(call, target.number)
        else:
            call.pending_trunks = list(target.trunks)
            call.dialled_number = target.number
            call.caller_id = target.caller_id
            await self._try_next_trunk(call)
        return await transfer.done

    def _transfer_failed(self, call: Call, outcome: TransferOutcome) -> None:
        """Nobody took the transfer: the caller stays with the app (voicemail, goodbye)."""
        for timer in call.timers:
            timer.cancel()
        call.timers.clear()
        for side in call.forks:
            self._cancel_side(call, side)
        call.pending_trunks = []
        if call.transfer is not None:
            log.info("call %s: transfer to %s ended %s", call.call_id, call.transfer.callee,
                     outcome.value)  # fmt: skip
            call.transfer.finish(outcome)

    async def _transfer_answered(self, call: Call, side: SipSide, response: Response) -> None:
        """The transfer's target answered: ACK it, CANCEL the other forks, bridge it with the
        caller's leg (the engine transcodes between G.711 laws), keep the CDR honest."""
        transfer = call.transfer
        assert transfer is not None
        for timer in call.timers:
            timer.cancel()
        call.timers.clear()
        for other in call.forks:
            if other is not side:
                self._cancel_side(call, other)
        self._ack(call, side, response)
        try:
            assert side.media is not None
            assert call.a.media is not None
            self.engine.set_remote(side.media, response.body, signalling_host=side.target[0])
            self.engine.bridge(call.a.media, side.media)
        except (NoCommonCodecError, SipParseError, ValueError, AssertionError, BridgeError) as exc:
            log.warning("call %s: transfer media failed: %s", call.call_id, exc)
            await self._bye(call, side)
            side.ended = True
            if side.trunk is not None:
                self.limits.release_trunk(side.trunk.id)
            if side.media is not None:
                self.engine.release(side.media)
                side.media = None
            self._transfer_failed(call, TransferOutcome.FAILED)
            return
        call.b = side
        side.answered = True
        side.answered_at = self._now()
        call.callee = transfer.callee
        if side.trunk is not None:
            call.direction = Direction.OUTBOUND
        transfer.finish(TransferOutcome.CONNECTED)  # ringback off: the relay takes A's stream
        if call.cdr_id is not None:
            await self._cdrs.transferred(
                call.cdr_id,
                callee=call.callee,
                direction=call.direction,
                trunk_id=side.trunk.id if side.trunk is not None else None,
            )
        self._event(call, "transferred")
        if self._recorder is not None and side.media is not None:
            self._spawn(self._record(call, side))

    # ---- ending -----------------------------------------------------------------------------
    async def _fail(
        self,
        call: Call,
        status: int,
        reason: str,
        disposition: Disposition | None = None,
    ) -> None:
        """End a call that was never answered, answering the caller with `status`."""
        if call.state is CallState.ENDED:
            return
        for side in call.forks:
            self._cancel_side(call, side)
        with contextlib.suppress(Exception):
            self._reply(
                call.a.invite, call.a.server_key, status, tag=call.a.local_tag,
                transport=call.a.transport, headers=[sig.warning_header(reason)],
            )  # fmt: skip
        await self._finish(
            call,
            disposition or Disposition(sig.disposition_for(status)),
            f"sip-{status}",
            HangupSide.CALLEE if status in (486, 600, 603) else HangupSide.SYSTEM,
        )

    async def _caller_cancelled(self, call: Call) -> None:
        if call.state is CallState.ANSWERED or call.state is CallState.ENDED:
            return
        for side in call.forks:
            self._cancel_side(call, side)
        with contextlib.suppress(Exception):
            self._reply(call.a.invite, call.a.server_key, 487, tag=call.a.local_tag,
                        transport=call.a.transport)  # fmt: skip
        await self._finish(call, Disposition.CANCELLED, "cancelled", HangupSide.CALLER)

    async def _bye(self, call: Call, side: SipSide) -> None:
        """Send BYE on `side`'s confirmed dialog (fire and forget; the far end may be gone)."""
        if side.dialog is None:
            return
        bye = side.dialog.create_request("BYE", self.local.via(side.transport))
        side.dialog.terminate()
        self._send(call, side, bye, "bye")

    async def _finish(
        self, call: Call, disposition: Disposition, cause: str, side: HangupSide
    ) -> None:
        if call.state is CallState.ENDED:
            return
        call.state = CallState.ENDED
        call.cancel_timers()
        for fork in call.forks:
            if fork is not call.b:
                self._cancel_side(call, fork)  # an app's transfer still ringing: CANCEL it
        if call.transfer is not None:
            call.transfer.finish(TransferOutcome.CALLER_GONE)
        channel = self._channels.pop(call.call_id, None)
        if channel is not None and not channel.closed:
            await channel.hangup()
        recording = self._recorder.stop(call.call_id) if self._recorder is not None else None
        for leg in (call.a, *call.forks):
            if leg.media is not None and self._hold is not None:
                self._hold.stop(leg.media)
            if leg.media is not None:
                self.engine.release(leg.media)
                leg.media = None
            if leg.trunk is not None and leg.answered:
                self.limits.release_trunk(leg.trunk.id)
        if call.licence_held:
            self.limits.release_tenant(call.tenant_id)
            call.licence_held = False
        self.calls.pop(call.call_id, None)
        for key in [k for k, v in self._dialogs.items() if v[0] is call]:
            del self._dialogs[key]
        if call.a.server_key is not None:
            self._by_server.pop(call.a.server_key, None)
        ended = self._now()
        b_leg = None
        if call.b is not None and call.b.cdr_leg_id is not None:
            b_leg = EndedLeg(call.b.cdr_leg_id, Disposition.ANSWERED, call.b.answered_at)
        if call.cdr_id is not None:
            await self._cdrs.end(
                call.cdr_id,
                ended_at=ended,
                disposition=disposition,
                cause=cause,
                side=side,
                trunk_id=call.b.trunk.id if call.b is not None and call.b.trunk else None,
                leg=b_leg,
            )
        elif b_leg is not None:
            await self._cdrs.end_leg(b_leg.leg_id, ended_at=ended, disposition=b_leg.disposition,
                                     cause=cause, answered_at=b_leg.answered_at)  # fmt: skip
        if recording is not None and self._recorder is not None:
            self._spawn(self._recorder.keep(recording, call.cdr_id))
        self._event(call, "ended")

    async def hangup(self, call_id: str, tenant_id: int) -> bool:
        """End a call from outside (API, inactivity): BYE both answered sides."""
        call = self.calls.get(call_id)
        if call is None or call.tenant_id != tenant_id:
            return False
        if call.state is CallState.ANSWERED:
            await self._bye(call, call.a)
            if call.b is not None:
                await self._bye(call, call.b)
            await self._finish(call, Disposition.ANSWERED, "hangup-by-admin", HangupSide.SYSTEM)
        else:
            await self._fail(call, 480, "ended by an administrator")
        return True

    # ---- in-dialog requests -----------------------------------------------------------------
    def _find(self, request: Request) -> tuple[Call, SipSide] | None:
        to = request.to
        if to is None or to.tag is None or request.call_id is None:
            return None
        return self._dialogs.get((request.call_id, to.tag))

    def on_ack(self, event: RequestReceived) -> None:
        found = self._find(event.request)
        if found is None:
            return
        call, side = found
        if side is call.a and call.ack_waiter is not None:
            call.ack_waiter.cancel()
            call.ack_waiter = None

    async def on_bye(self, event: RequestReceived) -> None:
        request = event.request
        found = self._find(request)
        if found is None:
            self._reply(request, event.transaction, 481, transport=event.transport)
            return
        call, side = found
        self._reply(request, event.transaction, 200, tag=side.local_tag, transport=event.transport)
        if side.dialog is not None:
            side.dialog.terminate()
        other = call.other(side)
        if other is not None:
            await self._bye(call, other)
        who = HangupSide.CALLER if side is call.a else HangupSide.CALLEE
        await self._finish(call, Disposition.ANSWERED, "bye", who)

    def on_info(self, event: RequestReceived) -> None:
        found = self._find(event.request)
        status = 200 if found is not None else 481
        tag = found[1].local_tag if found is not None else None
        self._reply(event.request, event.transaction, status, tag=tag, transport=event.transport)

    async def on_reinvite(self, event: RequestReceived) -> None:
        """Relay a re-INVITE/UPDATE (hold, resume, codec change) to the other side."""
        request = event.request
        found = self._find(request)
        if found is None:
            self._reply(request, event.transaction, 481, transport=event.transport)
            return
        call, side = found
        other = call.other(side)
        if side.dialog is not None:
            error = side.dialog.receive_request(request)
            if error is not None:
                self._reply(request, event.transaction, error.status, tag=side.local_tag)
                return
        if (
            other is None
            or other.dialog is None
            or side.media is None
            or other.media is None
            or not request.body
        ):
            # nothing to relay (no SDP, or not bridged yet): accept as is
            self._reply(request, event.transaction, 200, tag=side.local_tag,
                        transport=event.transport)  # fmt: skip
            return
        try:
            # RFC 3264 §8.4 hold: the held party gets a sendonly offer and music on hold
            holding = self._hold is not None and is_hold(request.body)
            self.engine.set_remote(side.media, request.body, signalling_host=event.source[0])
            direction = HOLD_OFFER_DIRECTION if holding else None
            offer = self.engine.offer_for(
                other.media, request.body, direction=direction
            ).serialize()
        except (NoCommonCodecError, SipParseError, ValueError):
            self._reply(request, event.transaction, 488, tag=side.local_tag)
            return
        if self._hold is not None and not holding:
            self._hold.stop(other.media)  # resume: the relay takes the stream back
        relayed = other.dialog.create_request(
            request.method,
            self.local.via(other.transport),
            contact=self.local.contact(other.transport),
            body=offer,
            content_type=sig.SDP,
        )
        future = self._send(call, other, relayed, "reinvite", want=True)
        answer = await future if future is not None else None
        if answer is None or answer.status >= 300:
            status = answer.status if answer is not None else 408
            self._reply(request, event.transaction, status, tag=side.local_tag)
            return
        if request.method == "INVITE":
            cseq = relayed.cseq
            ack = other.dialog.create_ack(
                cseq.number if cseq else 1, self.local.via(other.transport)
            )
            self._send(call, other, ack, "ack")
        try:
            self.engine.set_remote(other.media, answer.body, signalling_host=other.target[0])
            ours = self.engine.answer_for(side.media, request.body, peer=other.media).serialize()
        except (NoCommonCodecError, SipParseError, ValueError):
            self._reply(request, event.transaction, 488, tag=side.local_tag)
            return
        self._reply(request, event.transaction, 200, tag=side.local_tag, sdp=ours,
                    transport=side.transport)  # fmt: skip
        if holding and self._hold is not None and other.media is not None:
            await self._hold.start(call.tenant_id, other.media)

    async def close(self) -> None:
        """End every call (server shutdown): BYE answered ones, close their CDRs."""
        for call in list(self.calls.values()):
            with contextlib.suppress(Exception):
                await self.hangup(call.call_id, call.tenant_id)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5.0)

    # ---- read API ---------------------------------------------------------------------------
    def live_calls(self, tenant_id: int) -> list[dict[str, object]]:
        return [c.view() for c in self.calls.values() if c.tenant_id == tenant_id]
