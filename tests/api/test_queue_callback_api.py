"""The queue callback through /api/v1/queues (SQLite and PostgreSQL): `callback` is off by
default, set on create and PATCH with its attempts and retry delay, bad values are 422 and
change nothing; the statistics count callbacks requested, answered and failed, the wallboard
counts callback entries as waiting and labels them; another tenant cannot turn A's on."""

from __future__ import annotations

from datetime import timedelta

from centrex.data.models import QueueCall, QueueOutcome
from tests.api.conftest import World

QUEUES = "/api/v1/queues"


async def _queue_of_a(world: World, **extra: object) -> str:
    h = world.auth("admin_a")
    made = await world.client.post("/api/v1/extensions", json={"number": "102"}, headers=h)
    assert made.status_code == 201, made.text
    created = await world.client.post(
        QUEUES, json={"number": "500", "members": [{"extension": "102"}], **extra}, headers=h
    )
    assert created.status_code == 201, created.text
    return str(created.headers["location"])


async def test_callback_is_off_by_default_then_on_with_its_schedule(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    url = await _queue_of_a(world)
    body = (await c.get(url, headers=h)).json()
    assert (body["callback"], body["callback_attempts"], body["callback_retry_seconds"]) == (
        False, 3, 30,
    )  # fmt: skip
    changed = await c.patch(url, json={"callback": True, "callback_attempts": 5,
                                       "callback_retry_seconds": 120}, headers=h)  # fmt: skip
    assert changed.status_code == 200, changed.text
    got = changed.json()
    assert (got["callback"], got["callback_attempts"], got["callback_retry_seconds"]) == (
        True, 5, 120,
    )  # fmt: skip


async def test_bad_callback_values_are_refused_and_change_nothing(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    url = await _queue_of_a(world, callback=True)
    for patch in ({"callback_attempts": 0}, {"callback_attempts": 11},
                  {"callback_retry_seconds": 4}, {"callback": "yes please"}):  # fmt: skip
        refused = await c.patch(url, json=patch, headers=h)
        assert refused.status_code == 422, (patch, refused.text)
    body = (await c.get(url, headers=h)).json()
    assert (body["callback"], body["callback_attempts"], body["callback_retry_seconds"]) == (
        True, 3, 30,
    )  # fmt: skip


async def test_another_tenant_cannot_turn_callback_on(world: World) -> None:
    c = world.client
    url = await _queue_of_a(world)
    other = await c.patch(url, json={"callback": True}, headers=world.auth("admin_b"))
    assert other.status_code == 404
    assert (await c.get(url, headers=world.auth("admin_a"))).json()["callback"] is False


async def test_statistics_and_wallboard_count_callbacks(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    url = await _queue_of_a(world, callback=True)
    now = world.clock.utcnow()
    async with world.database.transaction() as session:
        for ago, outcome, callback, wait in (
            (300, QueueOutcome.ANSWERED, "answered", 200.0),
            (200, QueueOutcome.ABANDONED, "failed", 90.0),
            (100, QueueOutcome.WAITING, "requested", 0.0),
            (50, QueueOutcome.WAITING, None, 0.0),
            (40, QueueOutcome.ANSWERED, None, 5.0),
        ):
            session.add(QueueCall(tenant_id=world.ids["a"], queue_number="500",
                                  call_id=f"c{ago}", caller="101", callback=callback,
                                  callback_number="101" if callback else None,
                                  entered_at=now - timedelta(seconds=ago), outcome=outcome,
                                  wait_seconds=wait, agent="102" if wait > 100 else None,
                                  talk_seconds=10.0))  # fmt: skip
        session.add(QueueCall(tenant_id=world.ids["b"], queue_number="500", call_id="b1",
                              caller="201", callback="requested", entered_at=now,
                              outcome=QueueOutcome.WAITING))  # fmt: skip
    stats = (await c.get(f"{url}/stats", headers=h)).json()
    assert (stats["callbacks_requested"], stats["callbacks_answered"],
            stats["callbacks_failed"]) == (3, 1, 1)  # fmt: skip
    assert stats["max_wait_seconds"] == 200.0  # a callback's wait runs until it is connected
    board = (await c.get(f"{url}/wallboard", headers=h)).json()
    assert (board["waiting"], board["waiting_callbacks"]) == (2, 1)
