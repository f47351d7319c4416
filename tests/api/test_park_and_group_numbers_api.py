"""Park settings on `PATCH /api/v1/tenants/{id}` (`park_number`, `park_slots`, `park_timeout`)
and DIDs routed to a ring group (`ring_group_id` on /api/v1/numbers): stored, shown, refused
with a problem naming the field, never across tenants; and `centrex tenant set-park`."""

from __future__ import annotations

from tests.api.conftest import World


async def test_park_settings_are_patched_checked_and_shown(world: World) -> None:
    c, w = world.client, world
    admin = w.auth("admin_a")
    a = w.ids["a"]
    shown = await c.get(f"/api/v1/tenants/{a}", headers=admin)
    assert (shown.json()["park_number"], shown.json()["park_slots"]) == ("700", "701-709")
    done = await c.patch(f"/api/v1/tenants/{a}", headers=admin,
                         json={"park_number": "800", "park_slots": "801-819", "park_timeout": 90})  # fmt: skip
    assert done.status_code == 200, done.text
    assert (done.json()["park_number"], done.json()["park_slots"], done.json()["park_timeout"]) == (
        "800", "801-819", 90,
    )  # fmt: skip
    made = await c.post("/api/v1/extensions", json={"number": "101"}, headers=admin)
    assert made.status_code == 201, made.text
    for body, status, field in (
        ({"park_slots": "819-801"}, 422, "park_slots"),
        ({"park_slots": "1-500"}, 422, "park_slots"),
        ({"park_timeout": 2}, 422, "park_timeout"),
        ({"park_number": "7a0"}, 422, "park_number"),
        ({"park_slots": "100-105"}, 409, "park_slots"),  # 101 is an extension
    ):  # fmt: skip
        refused = await c.patch(f"/api/v1/tenants/{a}", json=body, headers=admin)
        assert refused.status_code == status, (body, refused.text)
        assert field in refused.text
    other = await c.patch(f"/api/v1/tenants/{a}", json={"park_timeout": 30},
                          headers=w.auth("admin_b"))  # fmt: skip
    assert other.status_code == 404, other.text
    again = await c.get(f"/api/v1/tenants/{a}", headers=admin)
    assert (again.json()["park_slots"], again.json()["park_timeout"]) == ("801-819", 90)


async def test_a_number_routed_to_a_ring_group(world: World) -> None:
    c, w = world.client, world
    admin = w.auth("admin_a")
    assert (
        await c.post("/api/v1/extensions", json={"number": "101"}, headers=admin)
    ).status_code == 201
    group = await c.post("/api/v1/ring-groups", headers=admin, json={
        "number": "600", "strategy": "simultaneous", "members": [{"target": "101"}]})  # fmt: skip
    assert group.status_code == 201, group.text
    gid = group.json()["id"]
    routed = await c.post("/api/v1/numbers", json={"e164": "+41215550177", "ring_group_id": gid},
                          headers=admin)  # fmt: skip
    assert routed.status_code == 201, routed.text
    assert (routed.json()["ring_group"], routed.json()["extension"]) == ("600", None)
    both = await c.post("/api/v1/numbers", headers=admin,
                        json={"e164": "+41215550178", "ring_group_id": gid, "extension_id": 1})  # fmt: skip
    assert both.status_code == 422, both.text
    foreign = await c.post("/api/v1/numbers", json={"e164": "+41215550179", "ring_group_id": gid},
                           headers=w.auth("admin_b"))  # fmt: skip
    assert foreign.status_code == 404, foreign.text
    assert foreign.json()["error_id"] == "ring-group-not-found"
    back = await c.patch(f"/api/v1/numbers/{routed.json()['id']}", json={"ring_group_id": None},
                         headers=admin)  # fmt: skip
    assert back.status_code == 200, back.text
    assert back.json()["ring_group"] is None
