"""A tenant's own park lot and time-out (calls/features/park_lot.py, provisioning/parking.py):
the range parser's refusals, the settings stored and their conflicts, and a call parked in the
tenant's own slot and rung back at the tenant's own deadline while another tenant keeps the
defaults; and a DID routed to a ring group ringing its members."""

from __future__ import annotations

from pathlib import Path

import pytest

from centrex.calls.features.park_lot import ParkLot, check_lot, lot_of, parse_slots
from centrex.calls.features.ring_group import RingGroups
from centrex.calls.leg import TimerKind
from centrex.data.db import Database
from centrex.data.models import Tenant
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning import numbers, parking, platform_views
from centrex.provisioning import tenants as tenant_service
from tests.calls.harness import DID, OTHER, TENANT, make_harness
from tests.calls.test_park import sipfrag_text, world
from tests.calls.test_ring_group import group
from tests.calls.test_transfer_refer import notifies, refer


def test_parse_slots_and_its_refusals() -> None:
    assert parse_slots("701-703") == ("701", "702", "703")
    assert parse_slots("0801-0802") == ("0801", "0802")
    assert parse_slots("77") == ("77",)
    for bad in ("709-701", "70-709", "701-", "7x1-709", "1-200", "100-300", "٧٠١-٧٠٩"):
        with pytest.raises(ValidationFailed):
            parse_slots(bad)
    with pytest.raises(ValidationFailed):
        check_lot("701", "701-709")  # the park number among its own slots
    assert check_lot("800", "801-802") == ParkLot("800", ("801", "802"))
    assert lot_of(None, None) == ParkLot()
    assert lot_of("800", "801-801") == ParkLot("800", ("801",))
    assert lot_of("801", "801-809") == ParkLot()  # a bad stored setting: the default


async def test_set_park_stores_checks_and_resets(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    async with make_harness(sqlite_url):  # provisions acme (101-103) and beta
        pass
    try:
        async with database.transaction() as session:
            acme = await tenant_service.get_tenant(session, TENANT)
            await parking.set_park(session, acme, number="800", slots="801-805", seconds=30)
            assert platform_views.park_view(acme) == {
                "park_number": "800", "park_slots": "801-805", "park_timeout": 30,
            }  # fmt: skip
            with pytest.raises(Conflict):  # 101 is an extension of acme
                await parking.set_park(session, acme, slots="100-105")
            with pytest.raises(ValidationFailed):
                await parking.set_park(session, acme, seconds=5)
            assert acme.park_slots == "801-805"  # unchanged by the refusals
            beta = await tenant_service.get_tenant(session, OTHER)
            await parking.set_park(session, beta, slots="101-101")  # acme's 101 is not beta's
            await parking.set_park(session, acme, reset=True)
            assert platform_views.park_view(acme)["park_number"] == "700"
            assert acme.park_timeout is None
    finally:
        await database.dispose()


async def test_a_tenants_own_lot_and_timeout_apply_to_its_calls(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with world(sqlite_url, tmp_path) as (h, park):
        async with h.database.transaction() as session:
            acme = await session.get(Tenant, h.tenant_id)
            assert acme is not None
            await parking.set_park(session, acme, number="800", slots="811-812", seconds=25)
        await h.register("101", "102", "103")
        caller, transferor = await h.call("102", "101")
        first = refer(transferor, "<sip:700@acme.test>")
        await h.settle()
        assert first.status == 202
        assert notifies(transferor)[-1][0] == 404  # 700 is not acme's park number any more
        assert park.parked_in(h.tenant_id, "701") is None
        second = refer(transferor, "<sip:800@acme.test>")
        await h.settle()
        assert second.status == 202
        assert b"parked in 811" in sipfrag_text(transferor)
        call = h.b2bua.calls[caller.call_id]
        assert park.parked_in(h.tenant_id, "811") is call
        parked_at = h.clock.monotonic()
        assert call.timers.deadline(TimerKind.FEATURE, "park") == parked_at + 25
        assert park.lot_of(h.other_tenant_id) == ParkLot()  # beta keeps the defaults
        assert park.timeout_of(h.other_tenant_id) == park.timeout
        retrieve = h["103"].invite("811")
        await h.settle()
        assert retrieve.status == 200
        assert call.b is not None
        assert call.b.peer == "103"


async def test_a_did_routed_to_a_ring_group_rings_its_members(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    feature = RingGroups(database, lambda: 0.0)
    try:
        async with make_harness(sqlite_url, features=(feature,)) as h:
            feature._monotonic = h.clock.monotonic
            await group(h, "simultaneous", ["102", "103"])
            async with h.database.transaction() as session:
                scope = tenant_service.scope_of(session, await tenant_service.get_tenant(
                    session, TENANT))  # fmt: skip
                routed = await numbers.assign_number(scope, DID, now=h.clock.utcnow(),
                                                     ring_group_number="600")  # fmt: skip
                assert (routed.extension_id, routed.ring_group_id) != (None, None)
                assert routed.extension_id is None
                with pytest.raises(NotFound):  # beta has no group 600
                    other = tenant_service.scope_of(session, await tenant_service.get_tenant(
                        session, OTHER))  # fmt: skip
                    await numbers.assign_number(other, "+41215550199", now=h.clock.utcnow(),
                                                ring_group_number="600")  # fmt: skip
                with pytest.raises(ValidationFailed):
                    await numbers.assign_number(scope, DID, now=h.clock.utcnow(),
                                                extension_number="101",
                                                ring_group_number="600")  # fmt: skip
            await h.register("101", "102", "103")
            call = h.carrier_a.invite(DID, domain="127.0.0.1", from_user="+41797770000")
            await h.settle(until=lambda: bool(h["102"].incoming) and bool(h["103"].incoming))
            await h.settle()
            assert h["101"].incoming == []  # the DID's old extension rings no more
            h["103"].incoming[0].answer()
            await h.settle()
            assert call.status == 200
            assert h["102"].incoming[0].cancelled
    finally:
        await database.dispose()
