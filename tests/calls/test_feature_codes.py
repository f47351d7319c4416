"""Feature codes per tenant and short numbers (calls/feature_codes.py, features/
short_numbers.py): the pure moves of `apply_overrides` (Hypothesis: nothing is lost or made
up), then through the B2BUA on the in-memory network — a tenant's own DND code works and the
default stops working, an app code moved, another tenant keeps the defaults; a short number
leaves through the trunks as its target (barring applies), is the tenant's own only."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.calls.feature_codes import (
    BY_NAME,
    CATALOG,
    CodeKind,
    apply_overrides,
    bad_code,
    conflicts,
    effective_codes,
)
from centrex.calls.features.dnd import DoNotDisturb
from centrex.calls.features.forward import Forwarder
from centrex.calls.features.screening import CallScreening
from centrex.calls.features.short_numbers import ShortNumbers
from centrex.data.db import Database
from centrex.data.models import Direction, Extension
from centrex.data.tenancy import TenantScope
from centrex.provisioning import feature_codes as service
from centrex.provisioning import screening
from tests.calls.harness import OTHER, TENANT, FakeApps, Harness, make_harness

NUMBERS = {"*78": ("dnd-code", "on"), "*79": ("dnd-code", "off"), "600": ("ring-group", "600")}
PREFIXES = {"*72": "forward-code", "**": "pickup"}
APPS = {"*43": "echo", "*97": "voicemail-menu"}


# ---- pure ----------------------------------------------------------------------------------
def test_an_override_moves_its_entry_and_nothing_else() -> None:
    numbers, prefixes, apps = apply_overrides(
        NUMBERS, PREFIXES, APPS, {"dnd-on": "*77", "directed-pickup": "#9", "echo-test": "#43"}
    )
    assert numbers == {"*77": ("dnd-code", "on"), "*79": ("dnd-code", "off"),
                       "600": ("ring-group", "600")}  # fmt: skip
    assert prefixes == {"*72": "forward-code", "#9": "pickup"}
    assert apps == {"#43": "echo", "*97": "voicemail-menu"}


def test_two_codes_may_swap_and_unknown_names_are_ignored() -> None:
    numbers, _, _ = apply_overrides(NUMBERS, {}, {}, {"dnd-on": "*79", "dnd-off": "*78",
                                                      "no-such": "*5"})  # fmt: skip
    assert numbers["*79"] == ("dnd-code", "on")
    assert numbers["*78"] == ("dnd-code", "off")


def test_code_forms_and_conflicts() -> None:
    assert bad_code("*77") is None
    assert bad_code("#1") is None
    for bad in ("77", "*", "*7a", "*123456789", ""):
        assert bad_code(bad) is not None, bad
    assert conflicts({}, "dnd-on", "*8") == "group-pickup"  # another feature's default
    assert conflicts({"intercom": "#5"}, "dnd-on", "#5") == "intercom"
    assert conflicts({"intercom": "#5"}, "dnd-on", "*80") is None  # intercom left *80
    assert effective_codes({"clir": "#31"})["clir"] == "#31"


@given(
    st.dictionaries(
        st.sampled_from([spec.name for spec in CATALOG]),
        st.from_regex(r"[*#][0-9]{1,3}", fullmatch=True),
    )
)
def test_overrides_never_lose_or_invent_an_entry(overrides: dict[str, str]) -> None:
    codes = effective_codes(overrides)
    if len(set(codes.values())) < len(codes):
        return  # provisioning refuses such choices (conflicts): not a plan
    numbers, prefixes, apps = apply_overrides(NUMBERS, PREFIXES, APPS, overrides)
    assert sorted(numbers.values()) == sorted(NUMBERS.values())
    assert sorted(prefixes.values()) == sorted(PREFIXES.values())
    assert sorted(apps.values()) == sorted(APPS.values())
    for name, code in overrides.items():
        spec = BY_NAME[name]
        table = {CodeKind.NUMBER: numbers, CodeKind.PREFIX: prefixes, CodeKind.APP: apps}
        source = {CodeKind.NUMBER: NUMBERS, CodeKind.PREFIX: PREFIXES, CodeKind.APP: APPS}
        if spec.default in source[spec.kind]:
            assert table[spec.kind][code] == source[spec.kind][spec.default]


# ---- through the B2BUA ---------------------------------------------------------------------
@contextlib.asynccontextmanager
async def world(url: str) -> AsyncIterator[Harness]:
    database = Database(url)
    features = (CallScreening(database), DoNotDisturb(Forwarder(database), database),
                ShortNumbers())  # fmt: skip
    try:
        async with make_harness(url, apps=FakeApps(("echo", "voicemail")),
                                features=features) as h:  # fmt: skip
            yield h
    finally:
        await database.dispose()


@pytest.fixture
async def ch(sqlite_url: str) -> AsyncIterator[Harness]:
    async with world(sqlite_url) as harness:
        yield harness


async def choose(h: Harness, changes: dict[str, str]) -> None:
    async with h.database.transaction() as session:
        await service.set_codes(TenantScope(session, h.tenant_id, TENANT), changes)


async def dnd_of(h: Harness, number: str) -> bool:
    async with h.database.session() as session:
        row = await TenantScope(session, h.tenant_id, TENANT).first(
            Extension, Extension.number == number
        )
        assert row is not None
        return bool(row.dnd)


async def test_the_tenants_own_dnd_code_works_and_the_default_stops(ch: Harness) -> None:
    h = ch
    await choose(h, {"dnd-on": "*77"})
    await h.register("101")
    old = h["101"].invite("*78")
    await h.settle()
    assert old.status == 484  # no longer a code: not a dialable number either
    assert not await dnd_of(h, "101")
    new = h["101"].invite("*77")
    await h.settle()
    assert await dnd_of(h, "101")
    assert new.status is not None


async def test_an_app_code_moves_and_another_tenant_keeps_the_default(ch: Harness) -> None:
    h = ch
    await choose(h, {"echo-test": "*143"})
    await h.register("101", "beta-102")
    moved = h["101"].invite("*143")
    await h.settle()
    assert [run.app for run in h.apps.runs] == ["echo"]  # type: ignore[union-attr]
    old = h["101"].invite("*43")
    await h.settle()
    assert old.status == 484
    beta = h["beta-102"].invite("*43", domain=OTHER)
    await h.settle()
    assert [run.app for run in h.apps.runs] == ["echo", "echo"]  # type: ignore[union-attr]
    assert moved.call_id != beta.call_id


async def short(h: Harness, number: str, target: str) -> None:
    async with h.database.transaction() as session:
        await service.add_short_number(TenantScope(session, h.tenant_id, TENANT),
                                       number=number, target=target)  # fmt: skip


async def test_a_short_number_leaves_through_the_trunks_as_its_target(ch: Harness) -> None:
    h = ch
    await short(h, "20", "0446681800")
    await h.register("101")
    call = h["101"].invite("20")
    await h.settle()
    assert len(h.carrier_a.incoming) == 1
    assert h.carrier_a.incoming[0].request.uri.user == "+41446681800"
    h.carrier_a.incoming[0].answer()
    await h.settle()
    assert call.status == 200
    call.bye()
    await h.settle()
    cdr = await h.cdr(call.call_id)
    assert (cdr.direction, cdr.callee) == (Direction.OUTBOUND, "+41446681800")


async def test_a_barred_extension_cannot_use_a_short_number(ch: Harness) -> None:
    h = ch
    await short(h, "20", "0446681800")
    async with h.database.transaction() as session:
        await screening.set_barring(TenantScope(session, h.tenant_id, TENANT), "101",
                                    outbound_class="internal")  # fmt: skip
    await h.register("101")
    call = h["101"].invite("20")
    await h.settle()
    assert call.status == 403
    assert h.carrier_a.incoming == []
    assert h.carrier_b.incoming == []


async def test_another_tenants_short_number_is_not_dialable(ch: Harness) -> None:
    h = ch
    await short(h, "20", "0446681800")
    await h.register("beta-102")
    call = h["beta-102"].invite("20", domain=OTHER)
    await h.settle()
    assert call.status == 484
    assert h.carrier_a.incoming == []
    assert h.carrier_b.incoming == []
