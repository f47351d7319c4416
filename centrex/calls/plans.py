"""Snapshots of the database that the pure router decides on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.feature_codes import apply_overrides
from centrex.calls.features import FeatureHooks, PlanPart
from centrex.calls.router import OutboundRoutePlan, TenantPlan, TrunkRef
from centrex.calls.trunks import TrunkDirectory
from centrex.data.db import Database
from centrex.data.models import (
    CallerIdRule,
    CallQueue,
    Conference,
    Extension,
    FeatureCodeChoice,
    FlowBinding,
    Number,
    OutboundRoute,
    OutboundRouteTrunk,
    RingGroup,
    Tenant,
    Trunk,
)
from centrex.data.tenancy import TenantScope

MAX_CACHED_NUMBERS = 100_000
DEFAULT_FEATURE_CODES = {"*43": "echo", "*44": "speaking-clock", "*97": "voicemail-menu"}


async def load_tenant_plan(session: AsyncSession, tenant: Tenant) -> TenantPlan:
    """What routing needs about one tenant, read through its scope."""
    scope = TenantScope(session, tenant.id, tenant.domain)
    extensions = await scope.list(Extension)
    by_id = {e.id: e.number for e in extensions}
    numbers = await scope.list(Number)
    dids = {n.e164: by_id[n.extension_id] for n in numbers if n.extension_id in by_id}
    groups = {g.id: g.number for g in await scope.list(RingGroup)}
    # a DID routed to a ring group carries the group's number (the router hands it to the
    # ring-group feature like a dialled 600)
    dids.update({n.e164: groups[n.ring_group_id] for n in numbers if n.ring_group_id in groups})
    rooms = {c.id: c.number for c in await scope.list(Conference)}  # ...and to a room alike
    dids.update({n.e164: rooms[n.conference_id] for n in numbers if n.conference_id in rooms})
    queues = {q.id: q.number for q in await scope.list(CallQueue)}  # ...and to a queue alike
    dids.update({n.e164: queues[n.queue_id] for n in numbers if n.queue_id in queues})
    caller_ids = {e.number: e.outbound_caller_id for e in extensions if e.outbound_caller_id}
    rules = sorted(((r.prefix, r.number) for r in await scope.list(CallerIdRule)),
                   key=lambda rule: -len(rule[0]))  # fmt: skip
    bindings = await scope.list(FlowBinding)
    e164_by_id = {n.id: n.e164 for n in numbers}
    return TenantPlan(
        tenant_id=tenant.id,
        domain=tenant.domain,
        country=tenant.country,
        extension_digits=tenant.extension_digits,
        status=tenant.status.value,
        extensions=frozenset(by_id.values()),
        numbers=frozenset(n.e164 for n in numbers),
        dids=dids,
        caller_ids=caller_ids,
        caller_id_rules=tuple(rules),
        main_number=tenant.main_number or (min(n.e164 for n in numbers) if numbers else None),
        feature_codes=DEFAULT_FEATURE_CODES,
        flow_extensions=frozenset(
            by_id[b.extension_id] for b in bindings if b.extension_id in by_id
        ),
        flow_numbers=frozenset(
            e164_by_id[b.number_id] for b in bindings if b.number_id in e164_by_id
        ),
    )


async def _code_choices(session: AsyncSession, tenant: Tenant) -> dict[str, str]:
    """The feature codes the tenant changed (calls/feature_codes.py applies them)."""
    rows = await TenantScope(session, tenant.id, tenant.domain).list(FeatureCodeChoice)
    return {row.feature: row.code for row in rows}


def trunk_ref(trunk: Trunk) -> TrunkRef:
    return TrunkRef(trunk.id, trunk.name, trunk.priority, trunk.enabled)


async def load_routing(
    session: AsyncSession,
) -> tuple[tuple[OutboundRoutePlan, ...], tuple[TrunkRef, ...]]:
    """The provider's outbound routes (by prefix, each with its trunks in failover order) and
    all trunks, in two queries (the call layer reads the provider's data itself: provisioning
    sits above it)."""
    trunks = {t.id: t for t in (await session.scalars(select(Trunk))).all()}
    routes = (await session.scalars(select(OutboundRoute).order_by(OutboundRoute.prefix))).all()
    links = (
        await session.execute(
            select(OutboundRouteTrunk.route_id, OutboundRouteTrunk.trunk_id).order_by(
                OutboundRouteTrunk.route_id, OutboundRouteTrunk.position
            )
        )
    ).all()
    members: dict[int, list[TrunkRef]] = {}
    for route_id, trunk_id in links:
        trunk = trunks.get(trunk_id)
        if trunk is not None:
            members.setdefault(route_id, []).append(trunk_ref(trunk))
    plans = tuple(OutboundRoutePlan(r.prefix, tuple(members.get(r.id, ()))) for r in routes)
    return plans, tuple(trunk_ref(t) for t in trunks.values())


async def tenant_of_number(session: AsyncSession, e164: str) -> Tenant | None:
    """The tenant a DID is assigned to (the entry point of an inbound trunk call)."""
    stmt = select(Tenant).join(Number, Number.tenant_id == Tenant.id).where(Number.e164 == e164)
    return (await session.scalars(stmt)).first()


class PlanCache:
    """Tenant plans, the DID → tenant map and the provider's routing, each cached for `ttl`
    seconds: a burst of INVITEs must not cost a query each, and a changed plan is seen after at
    most `ttl` (the route cache setting)."""

    def __init__(
        self,
        database: Database,
        trunks: TrunkDirectory,
        monotonic: Callable[[], float],
        ttl: float,
        features: FeatureHooks | None = None,
    ) -> None:
        """`features` add the numbers and prefixes they serve to every tenant's plan."""
        self._features = features
        self._db = database
        self._trunks = trunks
        self._monotonic = monotonic
        self._ttl = ttl
        self._plans: dict[int, tuple[float, TenantPlan]] = {}
        self._numbers: dict[str, tuple[float, Tenant | None]] = {}

    async def plan(self, tenant: Tenant) -> TenantPlan:
        """The tenant's routing plan (reloaded, with a fresh tenant row, after `ttl`)."""
        cached = self._plans.get(tenant.id)
        now = self._monotonic()
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        async with self._db.session() as session:
            fresh = await session.get(Tenant, tenant.id)
            if fresh is None:
                raise LookupError(f"tenant {tenant.id} no longer exists")
            plan = await load_tenant_plan(session, fresh)
            part = PlanPart()
            if self._features is not None:
                part = await self._features.plan_parts(session, fresh)
            numbers, prefixes, apps = apply_overrides(
                part.numbers, part.prefixes, plan.feature_codes, await _code_choices(session, fresh)
            )
            plan = replace(
                plan, feature_numbers=numbers, feature_prefixes=prefixes, feature_codes=apps
            )
        self._plans[tenant.id] = (now, plan)
        return plan

    async def tenant_of_number(self, number: str) -> Tenant | None:
        now = self._monotonic()
        cached = self._numbers.get(number)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        async with self._db.session() as session:
            tenant = await tenant_of_number(session, number)
        if len(self._numbers) > MAX_CACHED_NUMBERS:
            self._numbers.clear()
        self._numbers[number] = (now, tenant)
        return tenant

    async def routing(self) -> tuple[tuple[OutboundRoutePlan, ...], tuple[TrunkRef, ...]]:
        async with self._db.session() as session:
            routes, _ = await load_routing(session)
        return routes, await self._trunks.refs()
