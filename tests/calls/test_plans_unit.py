"""The call layer's caches of the database (calls/plans.py `PlanCache`, calls/trunks.py
`TrunkDirectory`), on the ManualClock: a change is invisible for less than the TTL and seen at
exactly the TTL, per tenant and per DID (a miss is cached too), the DID cache stays bounded,
features contribute their numbers (first one wins, a broken one is skipped), and trunks are
recognised by address only while enabled, with passwords decrypted or refused loudly.

And `CallLimits` (calls/limits.py) against a model under random acquire/release sequences."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls import plans as plans_module
from centrex.calls.features import FeatureHooks, PlanContributor, PlanPart
from centrex.calls.limits import CallLimits
from centrex.calls.plans import PlanCache
from centrex.calls.trunks import TrunkDirectory
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Tenant, TenantStatus, Trunk
from centrex.data.secrets_box import SecretBox
from centrex.provisioning import extensions, numbers, tenants, trunks
from tests.calls.harness import CARRIER_A, CARRIER_B, OTHER, TENANT, _provision

TTL = 2.0


@dataclass
class World:
    database: Database
    clock: ManualClock
    acme: int
    beta: int
    trunk_ids: dict[str, int]

    async def tenant(self, tenant_id: int) -> Tenant:
        async with self.database.session() as session:
            row = await session.get(Tenant, tenant_id)
            assert row is not None
            return row

    async def add_extension(self, domain: str, number: str) -> None:
        async with self.database.transaction() as session:
            scope = await tenants.scope_for(session, domain)
            await extensions.create_extension(scope, number=number, password="secret-pass-9")

    async def assign(self, domain: str, e164: str) -> None:
        async with self.database.transaction() as session:
            scope = await tenants.scope_for(session, domain)
            await numbers.assign_number(scope, e164, now=self.clock.utcnow())


@pytest.fixture
async def world(sqlite_url: str) -> AsyncIterator[World]:
    database = Database(sqlite_url)
    clock = ManualClock()
    acme, beta, trunk_ids = await _provision(database, clock, 4)
    try:
        yield World(database, clock, acme, beta, trunk_ids)
    finally:
        await database.dispose()


def _cache(world: World, hooks: FeatureHooks | None = None) -> PlanCache:
    directory = TrunkDirectory(world.database, SecretBox("k"), world.clock.monotonic)
    return PlanCache(world.database, directory, world.clock.monotonic, TTL, hooks)


async def test_a_tenants_plan_is_reloaded_at_exactly_the_ttl(world: World) -> None:
    cache = _cache(world)
    acme = await world.tenant(world.acme)
    first = await cache.plan(acme)
    assert first.extensions == frozenset({"101", "102", "103"})
    await world.add_extension(TENANT, "104")
    world.clock.advance(TTL - 0.001)
    assert await cache.plan(acme) is first  # cached: the new extension is not seen yet
    world.clock.advance(0.001)
    fresh = await cache.plan(acme)
    assert fresh is not first
    assert "104" in fresh.extensions


async def test_a_reload_reads_a_fresh_tenant_row_not_the_one_passed_in(world: World) -> None:
    cache = _cache(world)
    stale = await world.tenant(world.acme)
    assert (await cache.plan(stale)).status == "active"
    async with world.database.transaction() as session:
        row = await tenants.get_tenant(session, TENANT)
        await tenants.set_status(session, row, TenantStatus.SUSPENDED, now=world.clock.utcnow())
    world.clock.advance(TTL)
    assert (await cache.plan(stale)).status == "suspended"  # the caller's row still says active


async def test_each_tenant_has_its_own_deadline(world: World) -> None:
    cache = _cache(world)
    beta_plan = await cache.plan(await world.tenant(world.beta))
    world.clock.advance(1.5)
    acme_plan = await cache.plan(await world.tenant(world.acme))
    await world.add_extension(TENANT, "104")
    await world.add_extension(OTHER, "202")
    world.clock.advance(0.5)  # beta's entry is 2.0 s old, acme's 0.5 s
    assert "202" in (await cache.plan(await world.tenant(world.beta))).extensions
    assert await cache.plan(await world.tenant(world.acme)) is acme_plan
    world.clock.advance(1.5)
    assert "104" in (await cache.plan(await world.tenant(world.acme))).extensions
    assert "104" not in beta_plan.extensions
    assert "202" not in acme_plan.extensions


async def test_a_tenant_that_is_gone_is_a_lookup_error_after_the_ttl(world: World) -> None:
    now = world.clock.utcnow()
    async with world.database.transaction() as session:
        gamma = await tenants.create_tenant(
            session, now=now, name="Gamma", domain="gamma.test", extension_digits=3, max_calls=1
        )
    cache = _cache(world)
    assert (await cache.plan(gamma)).extensions == frozenset()
    async with world.database.transaction() as session:
        await session.delete(await session.get(Tenant, gamma.id))
    world.clock.advance(TTL)
    with pytest.raises(LookupError, match="no longer exists"):
        await cache.plan(gamma)


async def test_the_did_map_caches_hits_and_misses_for_the_ttl(world: World) -> None:
    cache = _cache(world)
    acme_did = "+41215550100"
    new_did = "+41215550177"
    found = await cache.tenant_of_number(acme_did)
    assert found is not None
    assert found.id == world.acme
    assert await cache.tenant_of_number(new_did) is None
    await world.assign(OTHER, new_did)
    world.clock.advance(TTL - 0.01)
    assert await cache.tenant_of_number(new_did) is None  # the miss is cached as well
    world.clock.advance(0.01)
    found = await cache.tenant_of_number(new_did)
    assert found is not None
    assert found.id == world.beta  # assigned to beta: never acme


async def test_the_did_cache_is_bounded(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plans_module, "MAX_CACHED_NUMBERS", 2)
    cache = _cache(world)
    late = "+41215550188"
    assert await cache.tenant_of_number(late) is None
    await world.assign(TENANT, late)
    for other in ("+41215550191", "+41215550192"):
        await cache.tenant_of_number(other)
    assert await cache.tenant_of_number(late) is None  # 3 entries: still within the bound
    await cache.tenant_of_number("+41215550193")  # over the bound: the cache starts afresh
    found = await cache.tenant_of_number(late)
    assert found is not None  # re-read at once, with no TTL passed
    assert found.id == world.acme


async def test_features_contribute_numbers_first_one_wins_and_a_broken_one_is_skipped(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    hooks = FeatureHooks()
    asked: list[tuple[str, int, str]] = []

    def contributor(name: str, part: PlanPart) -> PlanContributor:
        async def contribute(session: AsyncSession, tenant: Tenant) -> PlanPart:
            asked.append((name, tenant.id, tenant.status.value))
            return part

        return contribute

    async def broken(session: AsyncSession, tenant: Tenant) -> PlanPart:
        raise RuntimeError("feature bug")

    hooks.contribute("groups", contributor("groups", PlanPart({"600": ("groups", "600")})))
    hooks.contribute("broken", broken)
    hooks.contribute("park", contributor("park", PlanPart(
        {"600": ("park", "x"), "700": ("park", "")}, {"**": "park"},
    )))  # fmt: skip
    cache = _cache(world, hooks)
    with caplog.at_level(logging.ERROR, logger="centrex.calls.features"):
        plan = await cache.plan(await world.tenant(world.acme))
    assert dict(plan.feature_numbers) == {"600": ("groups", "600"), "700": ("park", "")}
    assert dict(plan.feature_prefixes) == {"**": "park"}
    assert any("broken failed to contribute" in r.getMessage() for r in caplog.records)
    assert asked == [("groups", world.acme, "active"), ("park", world.acme, "active")]
    await cache.plan(await world.tenant(world.acme))
    assert len(asked) == 2  # cached: the features are not asked again within the TTL
    world.clock.advance(TTL)
    with caplog.at_level(logging.ERROR, logger="centrex.calls.features"):
        await cache.plan(await world.tenant(world.beta))
    assert asked[-1] == ("park", world.beta, "active")


async def test_routing_lists_routes_with_their_trunks_in_failover_order(world: World) -> None:
    routes, refs = await _cache(world).routing()
    assert [(r.prefix, [t.name for t in r.trunks]) for r in routes] == [
        ("41", ["carrier-a", "carrier-b"])
    ]
    assert {r.name: r.priority for r in refs} == {"carrier-a": 1, "carrier-b": 2}


# ---- TrunkDirectory -------------------------------------------------------------------------


async def _set_trunk(world: World, name: str, **values: object) -> None:
    async with world.database.transaction() as session:
        row = (await session.scalars(select(Trunk).where(Trunk.name == name))).one()
        for key, value in values.items():
            setattr(row, key, value)


async def test_a_disabled_trunk_stops_being_a_carrier_at_the_ttl(world: World) -> None:
    directory = TrunkDirectory(world.database, SecretBox("k"), world.clock.monotonic, TTL)
    info = await directory.by_source(CARRIER_B[0])
    assert info is not None
    assert (info.ref.name, info.host, info.port, info.transport) == (
        "carrier-b", CARRIER_B[0], CARRIER_B[1], "UDP",
    )  # fmt: skip
    assert info.addresses == (CARRIER_B[0],)
    await _set_trunk(world, "carrier-b", enabled=False)
    world.clock.advance(TTL - 0.01)
    assert await directory.by_source(CARRIER_B[0]) is not None
    world.clock.advance(0.01)
    assert await directory.by_source(CARRIER_B[0]) is None
    by_id = await directory.get(world.trunk_ids["carrier-b"])
    assert by_id is not None
    assert by_id.ref.enabled is False  # still known by id (a CDR may name it)
    assert await directory.by_source(CARRIER_A[0]) is not None


async def test_invalidate_reloads_at_once(world: World) -> None:
    directory = TrunkDirectory(world.database, SecretBox("k"), world.clock.monotonic, TTL)
    assert await directory.by_source(CARRIER_A[0]) is not None
    await _set_trunk(world, "carrier-a", enabled=False)
    assert await directory.by_source(CARRIER_A[0]) is not None
    directory.invalidate()
    assert await directory.by_source(CARRIER_A[0]) is None


async def test_trunk_passwords_are_decrypted_or_refused_loudly(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    async with world.database.transaction() as session:
        await trunks.create_trunk(
            session, SecretBox("k"), name="carrier-c", host="127.0.0.4", username="acme",
            password="trunk-secret-1",
        )  # fmt: skip
    right = TrunkDirectory(world.database, SecretBox("k"), world.clock.monotonic)
    info = await right.by_source("127.0.0.4")
    assert info is not None
    assert (info.username, info.password) == ("acme", "trunk-secret-1")
    wrong = TrunkDirectory(world.database, SecretBox("another key"), world.clock.monotonic)
    with caplog.at_level(logging.ERROR, logger="centrex.calls.trunks"):
        info = await wrong.by_source("127.0.0.4")
    assert info is not None
    assert info.password is None  # never garbage sent as a password
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "trunk carrier-c: stored password cannot be decrypted"
    ]


async def test_a_trunk_host_that_does_not_resolve_matches_no_source(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await _set_trunk(world, "carrier-b", host="no such host")
    directory = TrunkDirectory(world.database, SecretBox("k"), world.clock.monotonic)
    with caplog.at_level(logging.WARNING, logger="centrex.calls.trunks"):
        assert await directory.by_source(CARRIER_B[0]) is None
    info = await directory.get(world.trunk_ids["carrier-b"])
    assert info is not None
    assert info.addresses == ()
    assert "trunk host no such host does not resolve" in caplog.text


# ---- CallLimits -----------------------------------------------------------------------------

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["acquire_tenant", "release_tenant", "acquire_trunk", "release_trunk"]),
        st.integers(1, 3),  # which tenant / trunk
        st.one_of(st.none(), st.integers(0, 3)),  # its limit (None: a trunk without one)
    ),
    max_size=60,
)


@given(OPERATIONS)
def test_limits_follow_a_model_of_counters(operations: list[tuple[str, int, int | None]]) -> None:
    """Counts never go below zero or above the limit, a refusal changes no count and is
    counted for its tenant, and each tenant and trunk is counted on its own."""
    limits = CallLimits()
    tenants_model: Counter[int] = Counter()
    trunks_model: Counter[int] = Counter()
    refused: Counter[int] = Counter()
    for operation, key, limit in operations:
        if operation == "acquire_tenant":
            cap = 0 if limit is None else limit
            refusal = limits.acquire_tenant(key, cap)
            if tenants_model[key] >= cap:
                assert refusal is not None
                assert (refusal.scope, refusal.limit) == ("tenant", cap)
                refused[key] += 1
            else:
                assert refusal is None
                tenants_model[key] += 1
        elif operation == "release_tenant":
            limits.release_tenant(key)
            tenants_model[key] = max(0, tenants_model[key] - 1)
        elif operation == "acquire_trunk":
            refusal = limits.acquire_trunk(key, limit)
            if limit is not None and trunks_model[key] >= limit:
                assert refusal is not None
                assert (refusal.scope, refusal.limit) == ("trunk", limit)
            else:
                assert refusal is None
                trunks_model[key] += 1
        else:
            limits.release_trunk(key)
            trunks_model[key] = max(0, trunks_model[key] - 1)
        for n in (1, 2, 3):
            assert limits.tenant_calls(n) == tenants_model[n]
            assert limits.trunk_calls(n) == trunks_model[n]
            assert limits.refused[n] == refused[n]
