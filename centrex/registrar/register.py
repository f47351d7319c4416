"""The per-tenant registrar: REGISTER processing (RFC 3261 §10.3) with digest authentication.

Theory of operation
-------------------
For each REGISTER (steps of §10.3):

1. *Tenant*: the domain of the To URI names the tenant; the digest realm is that domain.
   Fallback for phones that can only be given the server's IP address (documented in
   docs/registrar.md): when the To host is not a tenant domain, (a) the realm of an
   Authorization header that names a tenant domain wins, else (b) the To user must exist in
   exactly one tenant (username or extension number) - several give 485 Ambiguous, none 404.
   Unknown domain/user: 404 Not Found; suspended/deactivated/archived tenant: 403 Forbidden.
2. *Authentication* (§10.3 step 3, §22) is the shared `DigestGate` (`registrar/auth.py`):
   no credentials for our realm earn a 401 with one challenge per algorithm in the order of
   the device's or tenant's digest policy (default MD5, then SHA-256; qop=auth; stateless
   HMAC nonces); an expired nonce earns `stale=true`; an unknown nonce, replayed nc or an
   algorithm the policy does not allow earns a fresh challenge. Only a *wrong response* (or an
   unknown user answering a challenge) is a failure: 403 Forbidden, counted towards a ban.
3. *Authorization* (step 4): the authenticated user may only register its own AOR (its
   username or extension number).
4. Steps 5-8 are `Location.apply`; the answer lists every binding with its expiry.

Bindings are keyed by the extension number, so `lookup(tenant_id, number)` is what the B2BUA
calls to ring a user's phones. A binding made over WS/WSS (`Binding.is_websocket`: a browser)
lives only as long as its connection: `flow_closed` removes it, and a restart (which closed
every connection) drops the persisted ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ipaddress
import logging
from collections.abc import Callable
from typing import Any, Protocol

from centrex.events import Event as PlatformEvent
from centrex.events import RegistrationChanged
from centrex.logs import current_tenant
from centrex.registrar.auth import AuthReply, DigestGate, ExtraSecrets
from centrex.registrar.location import Binding, Change, Location, RegisterRequest
from centrex.registrar.security import AuthFailureTracker
from centrex.registrar.store import BindingStore, BindingWriter, Directory, TenantInfo
from centrex.sip.builders import build_response, generate_tag
from centrex.sip.digest import DigestServer, parse_credentials
from centrex.sip.errors import DigestError, SipError, SipParseError
from centrex.sip.events import RequestReceived
from centrex.sip.matching import ServerKey
from centrex.sip.message import Request, Response
from centrex.sip.uri import unescape

log = logging.getLogger(__name__)


class Respond(Protocol):
    """How the registrar answers: the driver's `send_response`."""

    def __call__(self, response: Response, transaction: ServerKey | None = None) -> None: ...


class WallClock(Protocol):
    """Epoch seconds (bindings and nonces must survive a restart, so not monotonic)."""

    def __call__(self) -> float: ...


class Registrar:
    """REGISTER handling, the location service, persistence and the sweep, for all tenants."""

    def __init__(
        self,
        *,
        location: Location,
        directory: Directory,
        store: BindingStore,
        writer: BindingWriter,
        digest: DigestServer,
        failures: AuthFailureTracker,
        clock: WallClock,
        publish: Callable[[PlatformEvent], None],
        respond: Respond | None = None,
        sweep_interval: float = 10.0,
        gate: DigestGate | None = None,
        extra_secrets: ExtraSecrets | None = None,
    ) -> None:
        self.location = location
        self.directory = directory
        self._store = store
        self.writer = writer
        self.digest = digest
        self.failures = failures
        # the digest gate shared with the call layer (one challenge/verify logic, auth.py)
        # (with the short-lived secrets, e.g. browsers' phone credentials, when given)
        self.gate = gate or DigestGate(directory, digest, failures, clock, extra_secrets)
        self._clock = clock
        self._publish = publish
        self._respond = respond
        self._sweep_interval = sweep_interval
        self._sweeper: asyncio.Task[None] | None = None
        self.outcomes: dict[int, int] = {}  # REGISTER answers by status code (monitoring)

    def attach(self, respond: Respond) -> None:
        """Connect the response path (the driver is built after the registrar)."""
        self._respond = respond

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Reload persisted bindings, start the write-behind flusher and the expiry sweep."""
        bindings = await self._store.load(self._clock())
        # a WebSocket binding's connection did not survive the restart: the browser must
        # register again over a new one (RFC 5626 §5.3), so those are dropped, not reloaded
        stale = [b for b in bindings if b.is_websocket]
        self.location.load(b for b in bindings if not b.is_websocket)
        if stale:
            self.writer.record([], stale)
        log.info("registrar: %d bindings reloaded", len(bindings) - len(stale))
        self.writer.start()
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        """Stop the sweep and write every pending change (a clean restart loses nothing)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        await self.writer.stop()

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_interval)
            self.sweep()

    def sweep(self) -> list[Binding]:
        """Remove expired bindings (persisted and announced); returns them."""
        gone = self.location.expire(self._clock())
        if gone:
            self._record(Change(removed=gone))
        return gone

    def flow_closed(self, transport: str, source: tuple[str, int]) -> list[Binding]:
        """The WebSocket connection `transport` from `source` closed: its bindings go (persisted
        and announced), so a call rings the browser's other devices instead of a dead flow."""
        gone = self.location.remove_flow(transport, source)
        if gone:
            log.info("registrar: %d binding(s) of closed %s flow %s:%s removed",
                     len(gone), transport, *source)  # fmt: skip
            self._record(Change(removed=gone))
        return gone

    # ---- read API for other layers ---------------------------------------------------------
    def lookup(self, tenant_id: int, user: str) -> list[Binding]:
        """Live bindings of extension `user` of a tenant, best first (the B2BUA rings these)."""
        return self.location.lookup(tenant_id, user, self._clock())

    def registrations(self, tenant_id: int) -> list[dict[str, Any]]:
        """Every live binding of a tenant as JSON-friendly dicts."""
        now = self._clock()
        items = [b.to_dict(now) for b in self.location.bindings(tenant_id) if b.expires_at > now]
        items.sort(key=lambda item: (str(item["user"]), str(item["contact"])))
        return items

    # ---- REGISTER --------------------------------------------------------------------------
    async def handle_register(self, event: RequestReceived) -> None:
        """Answer one REGISTER (never raises for anything the network sent)."""
        request = event.request
        token = current_tenant.set(current_tenant.get())  # restored below, whatever happens
        try:
            response = await self._register(event, self._clock())
        except SipError as exc:
            response = build_response(
                request, exc.status, exc.reason, to_tag=generate_tag(), headers=exc.headers
            )
        except (SipParseError, DigestError) as exc:
            response = build_response(request, 400, "Bad Request", to_tag=generate_tag())
            log.debug("bad REGISTER from %s: %s", event.source, exc)
        finally:
            current_tenant.reset(token)
        code = response.status
        self.outcomes[code] = self.outcomes.get(code, 0) + 1
        if self._respond is not None:
            self._respond(response, event.transaction)

    async def _register(self, event: RequestReceived, now: float) -> Response:
        request = event.request
        to = request.to
        if to is None or not to.uri.is_sip or to.uri.user is None:
            raise SipError(404, "Not Found")
        user = unescape(to.uri.user)
        tenant = await self._resolve_tenant(request, to.uri.host, user)
        current_tenant.set(tenant.domain)  # log lines of this REGISTER carry its tenant
        if tenant.blocked:
            raise SipError(403, "Forbidden (tenant suspended)")
        checked = await self.gate.check(
            request,
            source_host=event.source[0],
            hosts=[tenant.domain],
            proxy=False,
            method=request.method,
        )
        if isinstance(checked, AuthReply):
            return build_response(
                request,
                checked.status,
                checked.reason,
                to_tag=generate_tag(),
                headers=checked.headers,
            )
        credential = checked.credential
        if user not in (credential.username, credential.number):
            raise SipError(403, "Forbidden (not your address-of-record)")
        change = self.location.apply(
            RegisterRequest(
                tenant_id=tenant.id,
                user=credential.number,
                aor=f"sip:{credential.number}@{tenant.domain}",
                contacts=tuple(request.contact),
                expires_header=request.expires,
                call_id=request.call_id or "",
                cseq=request.cseq.number if request.cseq else 0,
                source=event.source,
                transport=event.transport,
                user_agent=request.headers.get("User-Agent") or "",
            ),
            now,
        )
        if not change.empty:
            self._record(change)
        bindings = self.location.lookup(tenant.id, credential.number, now)
        headers = [("Contact", b.contact_header(now)) for b in bindings]
        headers.append(("Date", email.utils.formatdate(now, usegmt=True)))
        return build_response(request, 200, "OK", to_tag=generate_tag(), headers=headers)

    async def _resolve_tenant(self, request: Request, host: str, user: str) -> TenantInfo:
        host = host.strip("[]").lower()
        tenant = await self.directory.tenant_by_domain(host)
        if tenant is not None:
            return tenant
        # Fallback (a): the realm a phone answered with names the tenant.
        for value in request.headers.get_all("Authorization"):
            with contextlib.suppress(DigestError):
                realm = parse_credentials(value).realm
                tenant = await self.directory.tenant_by_domain(realm)
                if tenant is not None:
                    return tenant
        if not _is_address(host):
            raise SipError(404, "Not Found (unknown domain)")
        # Fallback (b): the To host is an IP address: a user unique across tenants.
        ids = await self.directory.tenants_with_user(user)
        if len(ids) > 1:
            raise SipError(485, "Ambiguous (register to your tenant's domain)")
        if ids:
            found = await self.directory.tenant_by_id(ids[0])
            if found is not None:
                return found
        raise SipError(404, "Not Found")

    def _record(self, change: Change) -> None:
        self.writer.record(change.written, change.removed)
        now = self._clock()
        for binding in change.written:
            self._publish(_event(binding, binding.remaining(now)))
        for binding in change.removed:
            self._publish(_event(binding, 0))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _event(binding: Binding, expires: int) -> RegistrationChanged:
    return RegistrationChanged(
        tenant_id=binding.tenant_id,
        aor=binding.aor,
        contact=binding.contact,
        expires=expires,
        source=f"{binding.source[0]}:{binding.source[1]}",
        user_agent=binding.user_agent,
    )


class RegistrationView:
    """The registrar seen by the API: matches `centrex.api`'s `RegistrationSource` Protocol."""

    def __init__(self, registrar: Registrar) -> None:
        self._registrar = registrar

    async def list(self, tenant_id: int) -> list[dict[str, Any]]:
        """Live registrations of a tenant."""
        return self._registrar.registrations(tenant_id)
