"""A DID routed straight to an ACD queue (`queue_id` on /api/v1/numbers): stored, shown, in the
routing plan as the queue's number (the router hands the call to the queue like a dialled 500),
refused across tenants and beside a second destination, and cleared when the queue goes."""

from __future__ import annotations

from sqlalchemy import select

from centrex.calls.plans import load_tenant_plan
from centrex.data.models import Tenant
from tests.api.conftest import World


async def _queue(world: World, who: str, number: str = "500") -> int:
    c = world.client
    made = await c.post("/api/v1/extensions", json={"number": "101"}, headers=world.auth(who))
    assert made.status_code == 201, made.text
    queue = await c.post("/api/v1/queues", headers=world.auth(who),
                         json={"number": number, "members": [{"extension": "101"}]})  # fmt: skip
    assert queue.status_code == 201, queue.text
    return int(queue.json()["id"])


async def _plan_dids(world: World) -> dict[str, str]:
    async with world.database.session() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.id == world.ids["a"]))
        assert tenant is not None
        return dict((await load_tenant_plan(session, tenant)).dids)


async def test_a_number_routed_to_a_queue(world: World) -> None:
    c, admin = world.client, world.auth("admin_a")
    qid = await _queue(world, "admin_a")
    routed = await c.post("/api/v1/numbers", json={"e164": "+41215550177", "queue_id": qid},
                          headers=admin)  # fmt: skip
    assert routed.status_code == 201, routed.text
    assert (routed.json()["queue_id"], routed.json()["extension"]) == (qid, None)
    assert (await _plan_dids(world))["+41215550177"] == "500"
    both = await c.post("/api/v1/numbers", headers=admin,
                        json={"e164": "+41215550178", "queue_id": qid, "extension_id": 1})  # fmt: skip
    assert both.status_code == 422, both.text
    assert both.json()["error_id"] == "number-two-destinations"
    number_id = routed.json()["id"]
    moved = await c.patch(f"/api/v1/numbers/{number_id}", json={"extension_id": 1},
                          headers=admin)  # fmt: skip
    assert (moved.json()["queue_id"], moved.json()["extension"]) == (None, "101")
    back = await c.patch(f"/api/v1/numbers/{number_id}", json={"queue_id": qid}, headers=admin)
    assert back.json()["queue_id"] == qid
    gone = await c.delete(f"/api/v1/queues/{qid}", headers=admin)
    assert gone.status_code == 204, gone.text
    after = await c.get(f"/api/v1/numbers/{number_id}", headers=admin)
    assert after.json()["queue_id"] is None  # ON DELETE SET NULL
    assert "+41215550177" not in await _plan_dids(world)


async def test_another_tenants_queue_is_not_found(world: World) -> None:
    c = world.client
    qid = await _queue(world, "admin_a")
    foreign = await c.post("/api/v1/numbers", json={"e164": "+41215550179", "queue_id": qid},
                           headers=world.auth("admin_b"))  # fmt: skip
    assert foreign.status_code == 404, foreign.text
    assert foreign.json()["error_id"] == "queue-not-found"
    listed = await c.get("/api/v1/numbers", headers=world.auth("admin_b"))
    assert listed.json()["items"] == []
