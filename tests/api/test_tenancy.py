"""Isolation: the five multi-tenant tests per resource (list, get, create-with-reference, update,
delete from another tenant → 404 and nothing leaked or changed), and the partner boundary."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import World

A = "a.example.com"


async def _make(world: World, resource: str) -> dict[str, Any]:
    """An object of `resource` in tenant A (created by A's admin)."""
    c = world.client
    bodies = {
        "users": {"name": "Zoe", "email": "zoe@a.example.com"},
        "extensions": {"number": "301", "name": "Zoe"},
        "numbers": {"e164": "+41215550100"},
    }
    response = await c.post(
        f"/api/v1/{resource}", json=bodies[resource], headers=world.auth("admin_a")
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


PATCHES = {
    "users": {"name": "Mallory"},
    "extensions": {"name": "Mallory"},
    "numbers": {"extension_id": None},
}


def _assert_not_found(response: Any) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["error_id"].endswith("not-found")
    assert "Zoe" not in response.text
    assert "301" not in response.text.replace(body["instance"], "")


@pytest.mark.parametrize("resource", ["users", "extensions", "numbers"])
async def test_list_from_another_tenant_hides_objects(world: World, resource: str) -> None:
    obj = await _make(world, resource)
    response = await world.client.get(f"/api/v1/{resource}", headers=world.auth("admin_b"))
    assert response.status_code == 200
    assert obj["id"] not in [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize("resource", ["users", "extensions", "numbers"])
async def test_get_from_another_tenant_is_404(world: World, resource: str) -> None:
    obj = await _make(world, resource)
    response = await world.client.get(
        f"/api/v1/{resource}/{obj['id']}", headers=world.auth("admin_b")
    )
    _assert_not_found(response)


@pytest.mark.parametrize("resource", ["users", "extensions", "numbers"])
async def test_update_from_another_tenant_is_404_and_changes_nothing(
    world: World, resource: str
) -> None:
    obj = await _make(world, resource)
    url = f"/api/v1/{resource}/{obj['id']}"
    response = await world.client.patch(url, json=PATCHES[resource], headers=world.auth("admin_b"))
    _assert_not_found(response)
    after = await world.client.get(url, headers=world.auth("admin_a"))
    assert after.json() == {
        **obj,
        **{k: after.json()[k] for k in after.json() if k not in obj},
    } or (after.json()["id"] == obj["id"] and after.json().get("name") == obj.get("name"))


@pytest.mark.parametrize("resource", ["users", "extensions", "numbers"])
async def test_delete_from_another_tenant_is_404_and_keeps_object(
    world: World, resource: str
) -> None:
    obj = await _make(world, resource)
    url = f"/api/v1/{resource}/{obj['id']}"
    _assert_not_found(await world.client.delete(url, headers=world.auth("admin_b")))
    assert (await world.client.get(url, headers=world.auth("admin_a"))).status_code == 200


@pytest.mark.parametrize(
    ("resource", "referencing"),
    [
        # tenant B creates something pointing at A's object: not found, nothing written
        ("users", lambda obj: ("/api/v1/extensions", {"number": "401", "user_id": obj["id"]})),
        (
            "extensions",
            lambda obj: ("/api/v1/numbers", {"e164": "+41215550199", "extension_id": obj["id"]}),
        ),
        (
            "numbers",
            lambda obj: ("/api/v1/numbers", {"e164": "+41215550198", "extension_id": 10**6}),
        ),
    ],
)
async def test_create_with_reference_to_another_tenant_is_404(
    world: World, resource: str, referencing: Any
) -> None:
    obj = await _make(world, resource)
    if resource == "numbers":  # a number routed to A's extension cannot be re-pointed from B
        ext = await _make(world, "extensions")
        path, body = "/api/v1/numbers", {"e164": "+41215550198", "extension_id": ext["id"]}
    else:
        path, body = referencing(obj)
    before = (await world.client.get(path, headers=world.auth("admin_b"))).json()["total"]
    response = await world.client.post(path, json=body, headers=world.auth("admin_b"))
    assert response.status_code == 404, response.text
    after = (await world.client.get(path, headers=world.auth("admin_b"))).json()["total"]
    assert after == before


async def test_contacts_of_another_tenant(world: World) -> None:
    c = world.client
    a = world.ids["a"]
    put = await c.put(
        f"/api/v1/tenants/{a}/contacts/it-admin",
        json={"name": "Ivan"},
        headers=world.auth("admin_a"),
    )
    assert put.status_code == 200
    assert (
        await c.get(f"/api/v1/tenants/{a}/contacts", headers=world.auth("admin_b"))
    ).status_code == 404
    other = await c.put(
        f"/api/v1/tenants/{a}/contacts/it-admin",
        json={"name": "Eve"},
        headers=world.auth("admin_b"),
    )
    assert other.status_code == 404
    assert (
        await c.delete(f"/api/v1/tenants/{a}/contacts/it-admin", headers=world.auth("admin_b"))
    ).status_code == 404
    mine = await c.get(f"/api/v1/tenants/{a}/contacts", headers=world.auth("admin_a"))
    assert mine.json()["items"] == [
        {"kind": "it-admin", "name": "Ivan", "email": None, "phone": None}
    ]


async def test_cdrs_and_live_state_of_another_tenant(world: World) -> None:
    from datetime import timedelta

    from centrex.data.models import Cdr, Direction, Disposition
    from centrex.events import RegistrationChanged

    now = world.clock.utcnow()
    async with world.database.transaction() as session:
        cdr = Cdr(
            tenant_id=world.ids["a"],
            call_id="x1",
            caller="101",
            callee="102",
            direction=Direction.INTERNAL,
            started_at=now - timedelta(minutes=5),
            disposition=Disposition.ANSWERED,
            billsec=30,
        )
        session.add(cdr)
        await session.flush()
        cdr_id = cdr.id
    world.registrations.apply(
        RegistrationChanged(
            tenant_id=world.ids["a"],
            aor="sip:101@a.example.com",
            contact="sip:101@127.0.0.1",
            expires=60,
        )
    )
    world.calls.calls[world.ids["a"]] = [
        {"call_id": "call-a", "caller": "101", "callee": "102", "state": "answered"}
    ]
    c = world.client
    b = world.auth("admin_b")
    assert (await c.get("/api/v1/cdrs", headers=b)).json() == {"total": 0, "items": []}
    assert (await c.get(f"/api/v1/cdrs/{cdr_id}", headers=b)).status_code == 404
    assert (await c.get("/api/v1/registrations", headers=b)).json()["total"] == 0
    assert (await c.get("/api/v1/calls", headers=b)).json()["total"] == 0
    assert (await c.delete("/api/v1/calls/call-a", headers=b)).status_code == 404
    assert world.calls.calls[world.ids["a"]]  # still live
    a = world.auth("admin_a")
    assert (await c.get("/api/v1/cdrs", headers=a)).json()["total"] == 1
    assert (await c.get("/api/v1/registrations", headers=a)).json()["total"] == 1
    assert (await c.delete("/api/v1/calls/call-a", headers=a)).status_code == 204


async def test_partner_sees_only_its_tenants(world: World) -> None:
    c = world.client
    a, b = world.ids["a"], world.ids["b"]
    listed = await c.get("/api/v1/tenants", headers=world.auth("p1"))
    assert [t["domain"] for t in listed.json()["items"]] == [A]
    assert (await c.get(f"/api/v1/tenants/{b}", headers=world.auth("p1"))).status_code == 404
    patch = await c.patch(
        f"/api/v1/tenants/{b}", json={"name": "Hijacked"}, headers=world.auth("p1")
    )
    assert patch.status_code == 404
    assert (
        await c.post(f"/api/v1/tenants/{b}/suspend", headers=world.auth("p1"))
    ).status_code == 404
    assert (await c.delete(f"/api/v1/tenants/{b}", headers=world.auth("p1"))).status_code == 404
    # acting inside another partner's tenant
    inside = await c.get("/api/v1/extensions", headers=world.auth("p1", "b.example.com"))
    assert inside.status_code == 404
    assert inside.json()["error_id"] == "tenant-not-found"
    # creating a tenant for another partner
    foreign = await c.post(
        "/api/v1/tenants",
        json={"name": "X", "domain": "x.example.com", "partner_id": world.ids["p2"]},
        headers=world.auth("p1"),
    )
    assert foreign.status_code == 404
    assert (
        await c.get(f"/api/v1/partners/{world.ids['p2']}", headers=world.auth("p1"))
    ).status_code == 404
    partners = await c.get("/api/v1/partners", headers=world.auth("p1"))
    assert [p["id"] for p in partners.json()["items"]] == [world.ids["p1"]]
    b_view = await c.get(f"/api/v1/tenants/{b}", headers=world.auth("root"))
    assert b_view.json()["name"] == "B"
    assert b_view.json()["status"] == "active"
    # and inside its own tenant a partner works normally
    own = await c.post("/api/v1/extensions", json={"number": "555"}, headers=world.auth("p1", A))
    assert own.status_code == 201
    assert (await c.get(f"/api/v1/tenants/{a}", headers=world.auth("p1"))).json()["extensions"] == 1


async def test_tenant_admin_cannot_name_another_tenant(world: World) -> None:
    response = await world.client.get(
        "/api/v1/extensions", headers=world.auth("admin_a", "b.example.com")
    )
    assert response.status_code == 404
    tokens = await world.client.post(
        "/api/v1/tokens",
        json={"role": "tenant-admin", "tenant": "b.example.com"},
        headers=world.auth("admin_a"),
    )
    assert tokens.status_code == 404
