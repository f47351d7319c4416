"""Conference rooms (provisioning/conferences.py) on SQLite and PostgreSQL: create with the
defaults, every refused input with its error id (nothing written), the tenant's number space
(extension, ring group, short number, park number and slots), update and clear of PINs,
delete, and tenant isolation (B neither sees, reads, changes nor deletes A's room, and may use
the same number for its own)."""

from __future__ import annotations

import pytest

from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Tenant
from centrex.errors import CentrexError, Conflict, NotFound, ValidationFailed
from centrex.provisioning import conferences as service
from centrex.provisioning import extensions, ring_groups, tenants

A, B = "a.conf.test", "b.conf.test"


async def _world(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as session:
        for domain in (A, B):
            await tenants.create_tenant(session, now=clock.utcnow(), name=domain, domain=domain,
                                        extension_digits=3, max_calls=5)  # fmt: skip
        scope = await tenants.scope_for(session, A)
        await extensions.create_extension(scope, number="101", voicemail=False)
        await ring_groups.create_ring_group(scope, number="600", strategy="simultaneous",
                                            members=["101"])  # fmt: skip


async def _create(db: Database, domain: str = A, **kwargs: object) -> dict[str, object]:
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, domain)
        room = await service.create_conference(scope, **kwargs)  # type: ignore[arg-type]
        return service.conference_dict(room)


async def _numbers(db: Database, domain: str) -> list[str]:
    async with db.session() as session:
        scope = await tenants.scope_for(session, domain)
        return [r.number for r in await service.list_conferences(scope)]


async def test_create_with_defaults_and_options(db: Database, clock: ManualClock) -> None:
    await _world(db, clock)
    plain = await _create(db, number="800")
    assert {k: v for k, v in plain.items() if k != "id"} == {
        "number": "800", "name": "", "pin": None, "moderator_pin": None, "record": False,
        "max_members": service.DEFAULT_MAX_MEMBERS,
    }  # fmt: skip
    full = await _create(db, number="801", name=" Board ", pin="1234", moderator_pin="9999",
                         record=True, max_members=5)  # fmt: skip
    assert (full["name"], full["pin"], full["moderator_pin"], full["record"],
            full["max_members"]) == ("Board", "1234", "9999", True, 5)  # fmt: skip
    assert await _numbers(db, A) == ["800", "801"]


@pytest.mark.parametrize(
    ("kwargs", "error", "error_id"),
    [
        ({"number": "101"}, Conflict, "conference-number-taken"),  # an extension
        ({"number": "600"}, Conflict, "conference-number-taken"),  # a ring group
        ({"number": "700"}, Conflict, "conference-number-taken"),  # the park number
        ({"number": "705"}, Conflict, "conference-number-taken"),  # a park slot
        ({"number": "112"}, ValidationFailed, "conference-bad-number"),  # emergency
        ({"number": "8"}, ValidationFailed, "conference-bad-number"),
        ({"number": "8a0"}, ValidationFailed, "conference-bad-number"),
        ({"number": "800", "pin": "12"}, ValidationFailed, "conference-bad-pin"),
        ({"number": "800", "pin": "12x4"}, ValidationFailed, "conference-bad-pin"),
        ({"number": "800", "moderator_pin": "123456789"}, ValidationFailed,
         "conference-bad-pin"),
        ({"number": "800", "pin": "1234", "moderator_pin": "1234"}, ValidationFailed,
         "conference-same-pins"),
        ({"number": "800", "max_members": 1}, ValidationFailed, "conference-bad-max-members"),
        ({"number": "800", "max_members": 101}, ValidationFailed,
         "conference-bad-max-members"),
    ],
)  # fmt: skip
async def test_refused_input_writes_nothing(
    db: Database,
    clock: ManualClock,
    kwargs: dict[str, object],
    error: type[CentrexError],
    error_id: str,
) -> None:
    await _world(db, clock)
    with pytest.raises(error) as caught:
        await _create(db, **kwargs)
    assert caught.value.error_id == error_id
    assert await _numbers(db, A) == []


async def test_a_number_twice_and_the_taken_message_names_the_user(
    db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    await _create(db, number="800")
    with pytest.raises(Conflict) as twice:
        await _create(db, number="800")
    assert twice.value.error_id == "conference-exists"
    with pytest.raises(Conflict) as taken:
        await _create(db, number="600")
    assert "ring group" in str(taken.value)


async def test_update_clear_pins_and_delete(db: Database, clock: ManualClock) -> None:
    await _world(db, clock)
    created = await _create(db, number="800", pin="1234", moderator_pin="9999")
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, A)
        room = await service.get_conference_by_id(scope, int(str(created["id"])))
        await service.update_conference(scope, room, number="810", max_members=3, record=True,
                                        clear_pin=True)  # fmt: skip
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, A)
        room = await service.get_conference(scope, "810")
        assert (room.pin, room.moderator_pin, room.max_members, room.record) == (
            None, "9999", 3, True,
        )  # fmt: skip
        with pytest.raises(ValidationFailed) as same:
            await service.update_conference(scope, room, pin="9999")
        assert same.value.error_id == "conference-same-pins"
        with pytest.raises(Conflict):
            await service.update_conference(scope, room, number="101")
        await service.update_conference(scope, room, number="810")  # its own number: fine
        await service.delete_conference(scope, room)
    assert await _numbers(db, A) == []


async def test_another_tenant_cannot_reach_the_room_but_may_reuse_the_number(
    db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    created = await _create(db, number="800", pin="1234")
    room_id = int(str(created["id"]))
    async with db.transaction() as session:
        scope_b = await tenants.scope_for(session, B)
        assert await service.list_conferences(scope_b) == []
        with pytest.raises(NotFound):
            await service.get_conference_by_id(scope_b, room_id)
        with pytest.raises(NotFound):
            await service.get_conference(scope_b, "800")
    own = await _create(db, B, number="800")  # B's own 800: another room
    assert own["id"] != room_id
    assert own["pin"] is None
    assert await _numbers(db, A) == ["800"]
    async with db.session() as session:
        scope_a = await tenants.scope_for(session, A)
        assert (await service.get_conference(scope_a, "800")).pin == "1234"


async def test_a_rooms_number_is_refused_to_everything_else_of_the_tenant(
    db: Database, clock: ManualClock
) -> None:
    """The number space is shared both ways: extension, ring group, short number, park number
    and queue may not take a room's number, and a room may not take a queue's."""
    from centrex.provisioning import feature_codes, parking, queues

    await _world(db, clock)
    await _create(db, number="800")
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, A)
        await queues.create_queue(scope, number="500", strategy="ring-all", members=["101"])
    attempts = {
        "extension": lambda scope: extensions.create_extension(scope, number="800",
                                                               voicemail=False),
        "ring group": lambda scope: ring_groups.create_ring_group(
            scope, number="800", strategy="simultaneous", members=["101"]),
        "short number": lambda scope: feature_codes.add_short_number(
            scope, number="800", target="+41215550100"),
        "queue": lambda scope: queues.create_queue(scope, number="800", strategy="ring-all",
                                                   members=["101"]),
        "room": lambda scope: service.create_conference(scope, number="500"),
    }  # fmt: skip
    refused = []
    for what, attempt in attempts.items():
        async with db.transaction() as session:
            scope = await tenants.scope_for(session, A)
            with pytest.raises(Conflict):
                await attempt(scope)
            refused.append(what)
    assert refused == list(attempts)
    async with db.transaction() as session:
        row = await session.get(Tenant, (await tenants.scope_for(session, A)).tenant_id)
        assert row is not None
        with pytest.raises(Conflict) as park:
            await parking.set_park(session, row, number="800", slots="801-809")
        assert "conference room" in str(park.value)
    async with db.session() as session:
        scope_b = await tenants.scope_for(session, B)
        assert await service.list_conferences(scope_b) == []
    async with db.transaction() as session:  # B's own number space is B's: its 800 is free
        scope_b = await tenants.scope_for(session, B)
        await extensions.create_extension(scope_b, number="800", voicemail=False)


async def test_an_ivr_transfer_to_a_room_must_name_one_of_the_tenants_rooms(
    db: Database, clock: ManualClock
) -> None:
    from centrex.provisioning import flows

    await _world(db, clock)
    await _create(db, B, number="850")  # B's room: unknown to A's flows

    def graph(number: str) -> dict[str, object]:
        return {"start": "room", "nodes": [
            {"id": "room", "type": "transfer", "target": {"kind": "conference", "value": number}},
        ]}  # fmt: skip

    await _create(db, number="800")
    async with db.session() as session:
        scope = await tenants.scope_for(session, A)
        assert await flows.validate(scope, graph("800")) == []
        issues = await flows.validate(scope, graph("850"))
    assert [(i.node, i.error_id) for i in issues] == [("room", "flow-unknown-conference")]
