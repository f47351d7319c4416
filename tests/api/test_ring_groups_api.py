"""/api/v1/ring-groups (SQLite and PostgreSQL): create with members and fallback, read, PATCH
(members replaced, fallback cleared with null), delete; bad input is a 422 with an error_id
and writes nothing; and the five multi-tenant tests — another tenant's group is 404 for list,
get, update and delete, and another tenant's extension is refused as a member at create."""

from __future__ import annotations

from tests.api.conftest import World

GROUPS = "/api/v1/ring-groups"


async def _extensions(world: World, who: str, *numbers: str) -> None:
    for number in numbers:
        made = await world.client.post(
            "/api/v1/extensions", json={"number": number}, headers=world.auth(who)
        )
        assert made.status_code == 201, made.text


async def _group_of_a(world: World) -> str:
    await _extensions(world, "admin_a", "101", "102", "103")
    created = await world.client.post(
        GROUPS,
        json={
            "number": "600",
            "name": "sales",
            "strategy": "simultaneous",
            "members": [{"target": "101"}, {"target": "102"}, {"target": "0791234567"}],
            "fallback": "voicemail:103",
        },
        headers=world.auth("admin_a"),
    )
    assert created.status_code == 201, created.text
    return str(created.headers["location"])


async def test_create_read_patch_delete(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    url = await _group_of_a(world)
    body = (await c.get(url, headers=h)).json()
    assert body["number"] == "600"
    assert body["ring_seconds"] == 20
    assert body["members"] == [{"target": "101"}, {"target": "102"}, {"target": "+41791234567"}]
    assert body["fallback"] == "voicemail:103"
    changed = await c.patch(
        url,
        json={"strategy": "round-robin", "members": [{"target": "103"}], "fallback": None},
        headers=h,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["members"] == [{"target": "103"}]
    assert changed.json()["strategy"] == "round-robin"
    assert changed.json()["fallback"] is None
    listed = (await c.get(GROUPS, headers=h)).json()
    assert listed["total"] == 1
    assert (await c.delete(url, headers=h)).status_code == 204
    assert (await c.get(url, headers=h)).status_code == 404


async def test_bad_input_is_422_and_writes_nothing(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    await _extensions(world, "admin_a", "101")
    for body, error_id in (
        ({"number": "600", "members": [{"target": "109"}]}, "ring-group-member-unknown"),
        ({"number": "101", "members": [{"target": "101"}]}, "ring-group-number-taken"),
        (
            {"number": "600", "members": [{"target": "101"}, {"target": "101"}]},
            "ring-group-duplicate-member",
        ),
        (
            {"number": "600", "members": [{"target": "101"}], "fallback": "flow:nope"},
            "ring-group-fallback-unknown",
        ),
    ):
        refused = await c.post(GROUPS, json=body, headers=h)
        assert refused.status_code in (409, 422), refused.text
        assert refused.json()["error_id"] == error_id
    empty = await c.post(GROUPS, json={"number": "600", "members": []}, headers=h)
    assert empty.status_code == 422
    assert (await c.get(GROUPS, headers=h)).json()["total"] == 0


async def test_another_tenant_does_not_list_a_group(world: World) -> None:
    await _group_of_a(world)
    listed = await world.client.get(GROUPS, headers=world.auth("admin_b"))
    assert listed.json() == {"total": 0, "items": []}


async def test_another_tenant_cannot_read_a_group(world: World) -> None:
    url = await _group_of_a(world)
    assert (await world.client.get(url, headers=world.auth("admin_b"))).status_code == 404


async def test_another_tenant_cannot_update_a_group(world: World) -> None:
    url = await _group_of_a(world)
    patched = await world.client.patch(url, json={"name": "x"}, headers=world.auth("admin_b"))
    assert patched.status_code == 404
    body = (await world.client.get(url, headers=world.auth("admin_a"))).json()
    assert body["name"] == "sales"


async def test_another_tenant_cannot_delete_a_group(world: World) -> None:
    url = await _group_of_a(world)
    assert (await world.client.delete(url, headers=world.auth("admin_b"))).status_code == 404
    assert (await world.client.get(url, headers=world.auth("admin_a"))).status_code == 200


async def test_another_tenants_extension_is_refused_as_a_member(world: World) -> None:
    await _extensions(world, "admin_a", "101")
    await _extensions(world, "admin_b", "201")
    refused = await world.client.post(
        GROUPS,
        json={"number": "600", "members": [{"target": "101"}, {"target": "201"}]},
        headers=world.auth("admin_a"),
    )
    assert refused.status_code == 422
    assert refused.json()["error_id"] == "ring-group-member-unknown"
    assert (await world.client.get(GROUPS, headers=world.auth("admin_a"))).json()["total"] == 0
