"""Call screening: block and allow lists, outbound barring (issue 12 item 5).

Theory of operation. The feature's admission hook (`FeatureHooks.on_admit`) sees every new
call with the router's destination before anything rings or any trunk is tried:

* A call from a trunk (direction inbound) is screened on its caller: the From user normalised
  to E.164 for the tenant's country, or *anonymous* when the carrier withholds it (From
  `anonymous`, host `anonymous.invalid`, `Privacy: id`; RFC 3323 §4.2, RFC 3325 §9.3). The
  tenant's inbound entries apply, tenant-wide ones and those of the extension the DID rings.
  A refused caller gets `603 Decline` with a Warning saying why (RFC 3261 §21.6.2: the callee
  does not want the call), or the callee's voicemail when the entry says `voicemail` and the
  tenant has the app (no extension, as for a DID to an IVR flow: 603).
* A call to the trunks (direction outbound) from an extension is checked against its barring
  class and premium permission (`screening_rules.barred`), then against the tenant's outbound
  entries (tenant-wide and the caller's own). A refused call is answered `403 Forbidden` with a
  Warning and nothing is sent to any carrier; its CDR closes as failed (`sip-403`), like every
  refusal of `Ending.reject`.
* The same check applies to the destinations features ask the call layer for (its route
  hook, `FeatureHooks.on_route`): a forward to an outside number is barred by the forwarding
  extension's class (no toll fraud through `*72`), a group's outside member or a transfer
  target by the tenant's lists and the dialling party's class — refused as a `Reject(403)`.
* Emergency calls (`ToTrunks.emergency`) are never screened or barred; internal calls between
  the tenant's extensions are not screened (the lists hold outside numbers).

The rows are read per screened call through the tenant's `TenantScope` (like the forwarding
settings): an entry of another tenant can never apply, and a change applies to the next call.
`CallerIdentity` (features/caller_id.py) runs the same admission hooks on a `*31` call's real
destination, so withholding the caller ID bars nothing less.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.call import Call
from centrex.calls.features import HANDLED, FeatureHooks, Handled
from centrex.calls.features.screening_rules import (
    ListKind,
    OutboundClass,
    Rule,
    ScreenAction,
    ScreenDirection,
    barred,
    caller_number,
    screen,
)
from centrex.calls.router import Destination, Reject, ToExtension, ToTrunks
from centrex.calls.ttl_cache import TtlCache
from centrex.data.db import Database
from centrex.data.models import Direction, Extension, ScreeningEntry, Tenant
from centrex.data.tenancy import TenantScope

log = logging.getLogger(__name__)

DECLINE, FORBIDDEN = 603, 403


async def load_rules(
    session: AsyncSession, tenant: Tenant, direction: ScreenDirection
) -> tuple[Rule, ...]:
    """The tenant's entries of `direction` as rules (extension scope by number)."""
    scope = TenantScope(session, tenant.id, tenant.domain)
    rows = await scope.list(ScreeningEntry, ScreeningEntry.direction == direction.value)
    ids = {r.extension_id for r in rows if r.extension_id is not None}
    numbers = (
        {e.id: e.number for e in await scope.list(Extension, Extension.id.in_(ids))} if ids else {}
    )
    rules = []
    for row in rows:
        if row.extension_id is not None and row.extension_id not in numbers:
            continue  # its extension is gone (the cascade will remove it)
        extension = numbers.get(row.extension_id) if row.extension_id is not None else None
        kind, action = ListKind(row.list_kind), ScreenAction(row.action)
        rules.append(Rule(kind, direction, row.pattern, extension, action))
    return tuple(rules)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What screening needs of one tenant, read in one go (and reused for `cache_seconds`)."""

    country: str
    inbound: tuple[Rule, ...]
    outbound: tuple[Rule, ...]
    barring: Mapping[str, tuple[OutboundClass, bool]]  # extension → (class, premium allowed)


class CallScreening:
    """The screening feature: one admission hook."""

    name = "screening"

    def __init__(
        self,
        database: Database,
        monotonic: Callable[[], float] | None = None,
        cache_seconds: float = 0.0,
    ) -> None:
        """`cache_seconds`: how long a tenant's rules are reused (`calls/ttl_cache.py`), on
        `monotonic` (default: the B2BUA's clock)."""
        self._database = database
        self._hooks: FeatureHooks | None = None
        self._monotonic = monotonic
        self._cache_seconds = cache_seconds
        self._snapshots: TtlCache[int, Snapshot | None] | None = None

    async def snapshot(self, tenant_id: int) -> Snapshot | None:
        """The tenant's rules and barring settings (None: the tenant is gone)."""
        if self._snapshots is None:
            clock = self._monotonic or self._require_hooks().actions.core.deps.clock.monotonic
            self._snapshots = TtlCache(clock, self._cache_seconds)
        return await self._snapshots.get(tenant_id, lambda: self._load(tenant_id))

    async def _load(self, tenant_id: int) -> Snapshot | None:
        async with self._database.session() as session:
            tenant = await session.get(Tenant, tenant_id)
            if tenant is None:
                return None
            scope = TenantScope(session, tenant.id, tenant.domain)
            barring = {
                e.number: (_outbound_class(e.outbound_class), bool(e.premium))
                for e in await scope.list(Extension)
            }
            return Snapshot(
                country=tenant.country,
                inbound=await load_rules(session, tenant, ScreenDirection.INBOUND),
                outbound=await load_rules(session, tenant, ScreenDirection.OUTBOUND),
                barring=barring,
            )

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        hooks.on_admit(self.name, self._admit)
        hooks.on_route(self.name, self._route)

    async def _admit(self, call: Call, destination: Destination) -> Destination | Handled:
        if call.direction is Direction.INBOUND:
            return await self._inbound(call, destination)
        if isinstance(destination, ToTrunks) and not destination.emergency:
            return await self._outbound(call, destination)
        return destination

    async def _inbound(self, call: Call, destination: Destination) -> Destination | Handled:
        snapshot = await self.snapshot(call.tenant_id)
        if snapshot is None or not snapshot.inbound:
            return destination
        rules = snapshot.inbound
        from_ = call.a.invite.from_
        number = caller_number(
            from_.uri.user if from_ is not None else None,
            from_.uri.host if from_ is not None else None,
            call.a.invite.headers.get("Privacy"),
            snapshot.country,
        )
        extension = destination.number if isinstance(destination, ToExtension) else None
        verdict = screen(rules, ScreenDirection.INBOUND, number, extension)
        if verdict.allowed:
            return destination
        hooks = self._require_hooks()
        log.info("call %s: inbound caller refused: %s", call.call_id, verdict.reason)
        wants_voicemail = verdict.action is ScreenAction.VOICEMAIL and extension is not None
        if wants_voicemail and await hooks.actions.voicemail(call, extension or "", "unavailable"):
            return HANDLED
        await hooks.actions.reject(call, DECLINE, verdict.reason)
        return HANDLED

    async def _outbound(self, call: Call, destination: ToTrunks) -> Destination | Handled:
        reason = await self._refusal(call, call.caller, destination.number)
        if reason is None:
            return destination
        await self._require_hooks().actions.reject(call, FORBIDDEN, reason)
        return HANDLED

    async def _route(self, call: Call, dialler: str, destination: Destination) -> Destination:
        """A forward, a transfer or a group's outside member leaving through the trunks is
        barred like a call the dialling extension places itself (no toll fraud by `*72`)."""
        if not isinstance(destination, ToTrunks) or destination.emergency:
            return destination
        reason = await self._refusal(call, dialler, destination.number)
        return destination if reason is None else Reject(FORBIDDEN, reason)

    async def _refusal(self, call: Call, dialler: str, number: str) -> str | None:
        """Why `dialler` (an extension of the call's tenant, or an outside party: then only
        the tenant-wide entries apply) may not call `number` out, or None."""
        snapshot = await self.snapshot(call.tenant_id)
        if snapshot is None:
            return None
        reason = None
        settings = snapshot.barring.get(dialler)
        if settings is not None:
            outbound, premium = settings
            reason = barred(outbound, premium, number, snapshot.country)
        if reason is None:
            verdict = screen(snapshot.outbound, ScreenDirection.OUTBOUND, number, dialler)
            reason = None if verdict.allowed else verdict.reason
        if reason is not None:
            log.info("call %s: %s may not call %s: %s", call.call_id, dialler, number, reason)
        return reason

    def _require_hooks(self) -> FeatureHooks:
        if self._hooks is None:
            raise RuntimeError("call screening is not attached to a call layer")
        return self._hooks


def _outbound_class(value: str | None) -> OutboundClass:
    """The stored class; anything unknown is read as the most restrictive (internal): a
    corrupted row must not open international calls."""
    try:
        return OutboundClass(value or OutboundClass.ALL.value)
    except ValueError:
        log.warning("unknown outbound class %r: treated as internal", value)
        return OutboundClass.INTERNAL
