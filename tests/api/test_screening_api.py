"""/api/v1/blocklist and /api/v1/allowlist (SQLite and PostgreSQL): create (201 + Location,
the pattern normalised), list, read, delete; bad input is a 422/409 with its error_id and
writes nothing; the multi-tenant tests — another tenant's entry is 404 for list, get and
delete, another tenant's extension is unknown at create; and the extension's barring fields
(`outbound_class`, `premium`) through PATCH /api/v1/extensions."""

from __future__ import annotations

import pytest

from tests.api.conftest import World

BLOCK, ALLOW = "/api/v1/blocklist", "/api/v1/allowlist"


async def _extension(world: World, who: str, number: str) -> int:
    made = await world.client.post(
        "/api/v1/extensions", json={"number": number}, headers=world.auth(who)
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def _entry_of_a(world: World, path: str = BLOCK) -> str:
    await _extension(world, "admin_a", "101")
    created = await world.client.post(
        path,
        json={
            "pattern": "079 777 00 00",
            "direction": "inbound",
            "extension": "101",
            "action": "voicemail",
        },
        headers=world.auth("admin_a"),
    )
    assert created.status_code == 201, created.text
    return str(created.headers["location"])


@pytest.mark.parametrize("path", [BLOCK, ALLOW])
async def test_create_read_list_delete(world: World, path: str) -> None:
    c, h = world.client, world.auth("admin_a")
    url = await _entry_of_a(world, path)
    assert url.startswith(path + "/")
    body = (await c.get(url, headers=h)).json()
    assert body["pattern"] == "+41797770000"
    assert body["list"] == ("block" if path == BLOCK else "allow")
    assert (body["direction"], body["extension"], body["action"]) == ("inbound", "101", "voicemail")
    prefix = await c.post(path, json={"pattern": "+3389*", "direction": "outbound"}, headers=h)
    assert prefix.status_code == 201, prefix.text
    assert (prefix.json()["extension"], prefix.json()["action"]) == (None, "reject")
    listed = (await c.get(path, headers=h)).json()
    assert [i["pattern"] for i in listed["items"]] == ["+41797770000", "+3389*"]
    other = ALLOW if path == BLOCK else BLOCK
    assert (await c.get(other, headers=h)).json()["total"] == 0
    assert (await c.get(url.replace(path, other), headers=h)).status_code == 404
    assert (await c.delete(url, headers=h)).status_code == 204
    assert (await c.get(url, headers=h)).status_code == 404


async def test_bad_input_is_refused_and_writes_nothing(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    await _extension(world, "admin_a", "101")
    for body, status, error_id in (
        ({"pattern": "hello", "direction": "inbound"}, 422, "screening-bad-pattern"),
        ({"pattern": "3389*", "direction": "inbound"}, 422, "screening-bad-pattern"),
        ({"pattern": "anonymous", "direction": "outbound"}, 422, "screening-bad-pattern"),
        ({"pattern": "+33*", "direction": "outbound", "action": "voicemail"}, 422,
         "screening-bad-action"),
        ({"pattern": "+33*", "direction": "inbound", "extension": "109"}, 422,
         "screening-extension-unknown"),
    ):  # fmt: skip
        refused = await c.post(BLOCK, json=body, headers=h)
        assert refused.status_code == status, refused.text
        assert refused.json()["error_id"] == error_id
    sideways = await c.post(BLOCK, json={"pattern": "+33*", "direction": "up"}, headers=h)
    assert sideways.status_code == 422
    assert (await c.get(BLOCK, headers=h)).json()["total"] == 0
    first = await c.post(BLOCK, json={"pattern": "+33*", "direction": "inbound"}, headers=h)
    assert first.status_code == 201
    again = await c.post(BLOCK, json={"pattern": "+33*", "direction": "inbound"}, headers=h)
    assert again.status_code == 409
    assert again.json()["error_id"] == "screening-entry-exists"
    assert (await c.get(BLOCK, headers=h)).json()["total"] == 1


async def test_a_plain_user_cannot_manage_the_lists(world: World) -> None:
    url = await _entry_of_a(world)
    assert (await world.client.get(BLOCK, headers=world.auth("user_a"))).status_code == 403
    assert (await world.client.delete(url, headers=world.auth("user_a"))).status_code == 403


async def test_another_tenant_does_not_list_an_entry(world: World) -> None:
    await _entry_of_a(world)
    listed = await world.client.get(BLOCK, headers=world.auth("admin_b"))
    assert listed.json() == {"total": 0, "items": []}


async def test_another_tenant_cannot_read_an_entry(world: World) -> None:
    url = await _entry_of_a(world)
    assert (await world.client.get(url, headers=world.auth("admin_b"))).status_code == 404


async def test_another_tenant_cannot_delete_an_entry(world: World) -> None:
    url = await _entry_of_a(world)
    assert (await world.client.delete(url, headers=world.auth("admin_b"))).status_code == 404
    assert (await world.client.get(url, headers=world.auth("admin_a"))).status_code == 200


async def test_another_tenants_extension_is_unknown(world: World) -> None:
    await _extension(world, "admin_a", "101")
    refused = await world.client.post(
        BLOCK, json={"pattern": "+33*", "direction": "inbound", "extension": "101"},
        headers=world.auth("admin_b"),
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["error_id"] == "screening-extension-unknown"
    assert (await world.client.get(BLOCK, headers=world.auth("admin_b"))).json()["total"] == 0


async def test_extension_barring_fields(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    ext = await _extension(world, "admin_a", "101")
    url = f"/api/v1/extensions/{ext}"
    body = (await c.get(url, headers=h)).json()
    assert (body["outbound_class"], body["premium"]) == ("all", False)
    patched = await c.patch(url, json={"outbound_class": "national", "premium": True}, headers=h)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["outbound_class"], patched.json()["premium"]) == ("national", True)
    bad = await c.patch(url, json={"outbound_class": "galactic"}, headers=h)
    assert bad.status_code == 422
    assert (await c.get(url, headers=h)).json()["outbound_class"] == "national"
    other = await c.patch(url, json={"outbound_class": "all"}, headers=world.auth("admin_b"))
    assert other.status_code == 404
    assert (await c.get(url, headers=h)).json()["outbound_class"] == "national"


async def test_a_caller_id_the_tenant_does_not_own_is_refused(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    ext = await _extension(world, "admin_a", "101")
    owned = await c.post("/api/v1/numbers", json={"e164": "+41215550100"}, headers=h)
    assert owned.status_code == 201, owned.text
    theirs = await c.post(
        "/api/v1/numbers", json={"e164": "+41215550200"}, headers=world.auth("admin_b")
    )
    assert theirs.status_code == 201, theirs.text
    url = f"/api/v1/extensions/{ext}"
    refused = await c.patch(url, json={"outbound_caller_id": "+41215550200"}, headers=h)
    assert refused.status_code == 422
    assert refused.json()["error_id"] == "caller-id-not-owned"
    assert (await c.get(url, headers=h)).json()["outbound_caller_id"] is None
    chosen = await c.patch(url, json={"outbound_caller_id": "+41215550100"}, headers=h)
    assert chosen.status_code == 200
    assert chosen.json()["outbound_caller_id"] == "+41215550100"
