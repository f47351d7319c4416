"""Conference numbers through the B2BUA (calls/features/conference.py) on the in-memory network:
a phone of the tenant dialling 800 and a carrier's call on a DID pointed at the room both run
the `conference` app with the room's number (call id and CDR id in the context, for the
recording); a phone of another tenant dialling 800 never reaches it (its tenant has no such
room: 404); without the app the caller gets 501."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from centrex.calls.features.conference import ConferenceRooms
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from centrex.provisioning import conferences as service
from centrex.provisioning import numbers as number_service
from tests.calls.harness import CENTREX, TENANT, FakeApps, Harness, make_harness

ROOM_DID = "+41215550177"


@contextlib.asynccontextmanager
async def world(url: str, apps: FakeApps) -> AsyncIterator[Harness]:
    async with make_harness(url, apps=apps, features=(ConferenceRooms(),)) as h:
        async with h.database.transaction() as session:
            scope = TenantScope(session, h.tenant_id, TENANT)
            await service.create_conference(scope, number="800", pin="1234")
            await number_service.assign_number(scope, ROOM_DID, now=h.clock.utcnow(),
                                               conference_number="800")  # fmt: skip
        yield h


async def test_dialling_the_room_and_its_did_run_the_conference_app(sqlite_url: str) -> None:
    apps = FakeApps(("conference",))
    async with world(sqlite_url, apps) as h:
        await h.register("101", "beta-201")
        call = h["101"].invite("800")
        await h.settle()
        assert 200 in call.statuses
        assert [(r.app, r.context.extension, r.context.caller) for r in apps.runs] == [
            ("conference", "800", "101")
        ]
        assert apps.runs[0].context.call_id == call.call_id
        assert apps.runs[0].context.cdr_id is not None
        inbound = h.carrier_a.invite(ROOM_DID, domain=CENTREX[0], from_user="+41797770000")
        await h.settle()
        assert 200 in inbound.statuses
        assert [(r.app, r.context.extension) for r in apps.runs[1:]] == [("conference", "800")]
        foreign = h["beta-201"].invite("800")  # beta has no room 800: not acme's
        await h.settle()
        assert foreign.status == 404
        assert len(apps.runs) == 2


async def test_without_the_app_the_caller_gets_501(sqlite_url: str) -> None:
    apps = FakeApps(("voicemail",))
    async with world(sqlite_url, apps) as h:
        await h.register("101")
        call = h["101"].invite("800")
        await h.settle()
        assert call.status == 501
        assert apps.runs == []


async def test_a_did_goes_to_one_destination_of_the_tenant(sqlite_url: str) -> None:
    async with (
        world(sqlite_url, FakeApps(("conference",))) as h,
        h.database.transaction() as session,
    ):
        scope = TenantScope(session, h.tenant_id, TENANT)
        with pytest.raises(ValidationFailed) as both:
            await number_service.assign_number(scope, "+41215550178", now=h.clock.utcnow(),
                                               extension_number="101",
                                               conference_number="800")  # fmt: skip
        assert both.value.error_id == "number-two-destinations"
