"""`pickup_group` on /api/v1/extensions (SQLite and PostgreSQL): read, PATCH set and clear
(null or ""), a bad label is a 422 problem with its error_id and changes nothing, another
tenant's extension answers 404."""

from __future__ import annotations

from tests.api.conftest import World


async def _extension(world: World, number: str, who: str = "admin_a") -> str:
    created = await world.client.post(
        "/api/v1/extensions", json={"number": number}, headers=world.auth(who)
    )
    assert created.status_code == 201, created.text
    assert created.json()["pickup_group"] is None
    return str(created.headers["location"])


async def test_patch_pickup_group_set_and_cleared(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    url = await _extension(world, "101")
    changed = await c.patch(url, json={"pickup_group": "sales"}, headers=h)
    assert changed.status_code == 200, changed.text
    assert changed.json()["pickup_group"] == "sales"
    kept = await c.patch(url, json={"dnd": True}, headers=h)
    assert kept.json()["pickup_group"] == "sales"
    assert (await c.get(url, headers=h)).json()["pickup_group"] == "sales"
    cleared = await c.patch(url, json={"pickup_group": None}, headers=h)
    assert cleared.json()["pickup_group"] is None
    await c.patch(url, json={"pickup_group": "support"}, headers=h)
    empty = await c.patch(url, json={"pickup_group": ""}, headers=h)
    assert empty.json()["pickup_group"] is None


async def test_bad_label_is_422_and_changes_nothing(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    url = await _extension(world, "101")
    await c.patch(url, json={"pickup_group": "sales"}, headers=h)
    for label in ("two words", "-dash", "a;b"):
        bad = await c.patch(url, json={"pickup_group": label, "dnd": True}, headers=h)
        assert bad.status_code == 422, (label, bad.text)
        assert bad.json()["error_id"] == "bad-pickup-group"
    too_long = await c.patch(url, json={"pickup_group": "x" * 41}, headers=h)
    assert too_long.status_code == 422
    body = (await c.get(url, headers=h)).json()
    assert (body["pickup_group"], body["dnd"]) == ("sales", False)


async def test_another_tenants_extension_is_404(world: World) -> None:
    c = world.client
    url = await _extension(world, "101")
    other = await c.patch(url, json={"pickup_group": "sales"}, headers=world.auth("admin_b"))
    assert other.status_code == 404
    assert (await c.get(url, headers=world.auth("admin_a"))).json()["pickup_group"] is None
