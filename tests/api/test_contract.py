"""The REST conventions (shared/DESIGN.md §5): authentication, problem+json, lists, creation,
bad input that writes nothing, Idempotency-Key, and the provider resources end to end."""

from __future__ import annotations

import io
from datetime import timedelta

from centrex.data.models import Cdr, Direction, Disposition
from tests.api.conftest import World

A = "a.example.com"


async def test_authentication_failures_are_401_problems(world: World) -> None:
    c = world.client
    for headers, error_id in [
        ({}, "unauthenticated"),
        ({"Authorization": "Bearer cx_not-a-token"}, "token-invalid"),
        ({"Authorization": "Basic Zm9vOmJhcg=="}, "token-invalid"),
    ]:
        response = await c.get("/api/v1/extensions", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["error_id"] == error_id
        assert {"type", "title", "status", "detail", "instance"} <= body.keys()
        assert body["instance"] == "/api/v1/extensions"


async def test_revoked_and_expired_tokens(world: World) -> None:
    c = world.client
    created = await c.post(
        "/api/v1/tokens",
        json={
            "role": "tenant-admin",
            "name": "ci",
            "expires_at": (world.clock.utcnow() + timedelta(hours=1)).isoformat(),
        },
        headers=world.auth("admin_a"),
    )
    assert created.status_code == 201
    assert created.headers["location"] == f"/api/v1/tokens/{created.json()['id']}"
    secret = created.json()["token"]
    bearer = {"Authorization": f"Bearer {secret}"}
    assert (await c.get("/api/v1/extensions", headers=bearer)).status_code == 200
    listed = await c.get("/api/v1/tokens", headers=world.auth("admin_a"))
    assert secret not in listed.text
    assert listed.json()["total"] >= 1
    world.clock.advance(3601)
    expired = await c.get("/api/v1/extensions", headers=bearer)
    assert expired.status_code == 401
    assert expired.json()["error_id"] == "token-expired"

    other = await c.post(
        "/api/v1/tokens", json={"role": "tenant-admin"}, headers=world.auth("admin_a")
    )
    bearer = {"Authorization": f"Bearer {other.json()['token']}"}
    revoke = await c.delete(f"/api/v1/tokens/{other.json()['id']}", headers=world.auth("admin_a"))
    assert revoke.status_code == 204
    revoked = await c.get("/api/v1/extensions", headers=bearer)
    assert revoked.status_code == 401
    assert revoked.json()["error_id"] == "token-revoked"
    # tenant B cannot see or revoke A's token
    assert (
        await c.delete(f"/api/v1/tokens/{other.json()['id']}", headers=world.auth("admin_b"))
    ).status_code == 404
    naive = await c.post(
        "/api/v1/tokens",
        json={"role": "tenant-admin", "expires_at": "2030-01-01T00:00:00"},
        headers=world.auth("admin_a"),
    )
    assert naive.status_code == 422
    assert naive.json()["field"] == "expires_at"
    control = await c.get(
        "/api/v1/cdrs", params={"search": "a\x00b"}, headers=world.auth("admin_a")
    )
    assert control.status_code == 422
    assert control.json()["field"] == "search"
    # nobody mints more reach than they have
    escalate = await c.post(
        "/api/v1/tokens", json={"role": "platform-admin"}, headers=world.auth("admin_a")
    )
    assert escalate.status_code == 403


async def test_create_list_get_update_delete_extension(world: World) -> None:
    c = world.client
    h = world.auth("admin_a")
    created = await c.post("/api/v1/extensions", json={"number": "101", "name": "Alice"}, headers=h)
    assert created.status_code == 201
    body = created.json()
    assert created.headers["location"] == f"/api/v1/extensions/{body['id']}"
    assert len(body["sip_password"]) == 20
    assert body["sip_username"] == "101"
    fetched = await c.get(created.headers["location"], headers=h)
    assert fetched.status_code == 200
    assert "sip_password" not in fetched.json()
    for number, name in [("102", "bob"), ("103", "Carol")]:
        await c.post(
            "/api/v1/extensions",
            json={"number": number, "name": name, "password": "secret-123"},
            headers=h,
        )
    page = await c.get("/api/v1/extensions?limit=2&offset=1&order=name&direction=desc", headers=h)
    assert page.json()["total"] == 3
    assert [x["name"] for x in page.json()["items"]] == ["bob", "Alice"]
    search = await c.get("/api/v1/extensions?search=ali", headers=h)
    assert [x["number"] for x in search.json()["items"]] == ["101"]
    bad_order = await c.get("/api/v1/extensions?order=secret", headers=h)
    assert bad_order.status_code == 422
    assert bad_order.json()["field"] == "order"
    bad_limit = await c.get("/api/v1/extensions?limit=0", headers=h)
    assert bad_limit.status_code == 422
    assert bad_limit.json()["field"] == "limit"
    updated = await c.patch(created.headers["location"], json={"name": "Alicia"}, headers=h)
    assert updated.status_code == 200
    assert updated.json()["name"] == "Alicia"
    taken = await c.post("/api/v1/extensions", json={"number": "101"}, headers=h)
    assert taken.status_code == 409
    assert taken.json()["error_id"] == "extension-number-taken"
    assert taken.json()["field"] == "number"
    assert (await c.delete(created.headers["location"], headers=h)).status_code == 204
    assert (await c.get(created.headers["location"], headers=h)).status_code == 404


async def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(world: World) -> None:
    c = world.client
    h = world.auth("admin_a")
    cases = [
        ({"number": 101}, 422, "number"),  # wrong type
        ({"name": "no number"}, 422, "number"),  # missing field
        ({"number": "101", "colour": "red"}, 422, "colour"),  # unknown field
        ({"number": "1234"}, 422, "number"),  # wrong length for a 3-digit tenant
        ({"number": "101", "user_id": "x"}, 422, "user_id"),
        ({"number": "101", "password": "short"}, 422, "password"),
    ]
    for body, status, field in cases:
        response = await c.post("/api/v1/extensions", json=body, headers=h)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"] == field, (body, response.json())
    broken = await c.post(
        "/api/v1/extensions",
        content=b'{"number": ',
        headers={**h, "content-type": "application/json"},
    )
    assert broken.status_code == 400
    assert broken.json()["error_id"] == "invalid-json"
    huge = await c.post(
        "/api/v1/extensions",
        content=b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}',
        headers={**h, "content-type": "application/json"},
    )
    assert huge.status_code == 413
    assert huge.json()["error_id"] == "body-too-large"
    assert (await c.get("/api/v1/extensions", headers=h)).json()["total"] == 0


async def test_idempotency_key_replays_the_first_answer(world: World) -> None:
    c = world.client
    h = {**world.auth("admin_a"), "Idempotency-Key": "k-1"}
    first = await c.post("/api/v1/extensions", json={"number": "101"}, headers=h)
    second = await c.post("/api/v1/extensions", json={"number": "101"}, headers=h)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()  # the same generated password: the stored answer
    assert second.headers["location"] == first.headers["location"]
    assert second.headers.get("idempotent-replayed") == "true"
    assert (await c.get("/api/v1/extensions", headers=world.auth("admin_a"))).json()["total"] == 1
    reused = await c.post("/api/v1/extensions", json={"number": "102"}, headers=h)
    assert reused.status_code == 422
    assert reused.json()["field"] == "Idempotency-Key"
    # the same key from another principal is another request
    other = await c.post(
        "/api/v1/extensions",
        json={"number": "101"},
        headers={**world.auth("admin_b"), "Idempotency-Key": "k-1"},
    )
    assert other.status_code == 201
    assert other.json()["id"] != first.json()["id"]


async def test_idempotency_replay_needs_a_credential_that_still_works(world: World) -> None:
    c = world.client
    minted = await c.post(
        "/api/v1/tokens", json={"role": "tenant-admin"}, headers=world.auth("admin_a")
    )
    bearer = {"Authorization": f"Bearer {minted.json()['token']}", "Idempotency-Key": "k-tok"}
    first = await c.post("/api/v1/tokens", json={"role": "tenant-admin"}, headers=bearer)
    assert first.status_code == 201
    secret = first.json()["token"]
    revoked = await c.delete(f"/api/v1/tokens/{minted.json()['id']}", headers=world.auth("admin_a"))
    assert revoked.status_code == 204
    replay = await c.post("/api/v1/tokens", json={"role": "tenant-admin"}, headers=bearer)
    assert replay.status_code == 401
    assert replay.json()["error_id"] == "token-revoked"
    assert secret not in replay.text
    assert replay.headers.get("idempotent-replayed") is None


async def test_tenant_lifecycle_licence_and_contacts(world: World) -> None:
    c = world.client
    root = world.auth("root")
    created = await c.post(
        "/api/v1/tenants",
        json={
            "name": "Gamma",
            "domain": "gamma.example.com",
            "extension_digits": 4,
            "max_calls": 3,
            "language": "fr",
            "trial_days": 30,
        },
        headers=root,
    )
    assert created.status_code == 201, created.text
    tenant = created.json()
    assert tenant["status"] == "trial"
    assert tenant["language"] == "fr"
    url = created.headers["location"]
    suspended = await c.post(f"{url}/suspend", json={"reason": "unpaid"}, headers=root)
    assert suspended.json()["status"] == "suspended"
    assert (await c.post(f"{url}/activate", headers=root)).json()["status"] == "active"
    licence = await c.patch(url, json={"max_calls": 8, "storage_quota_mb": 5000}, headers=root)
    assert licence.json()["max_calls"] == 8
    assert licence.json()["storage_quota_mb"] == 5000
    contact = await c.put(
        f"{url}/contacts/firewall-admin",
        json={"name": "Fiona", "phone": "+41 21 555 01 01"},
        headers=root,
    )
    assert contact.status_code == 200
    dup = await c.post(
        "/api/v1/tenants", json={"name": "G2", "domain": "gamma.example.com"}, headers=root
    )
    assert dup.status_code == 409
    assert dup.json()["error_id"] == "domain-taken"
    assert (await c.delete(url, headers=root)).status_code == 204
    assert (await c.get(url, headers=root)).status_code == 404


async def test_provider_resources_numbers_trunks_routes_partners(world: World) -> None:
    c = world.client
    root = world.auth("root")
    partner = await c.post(
        "/api/v1/partners", json={"name": "Resell AG", "email": "x@resell.ch"}, headers=root
    )
    assert partner.status_code == 201
    assert (
        await c.patch(partner.headers["location"], json={"phone": "+41 44 000 00 00"}, headers=root)
    ).status_code == 200
    number_range = await c.post(
        "/api/v1/number-ranges",
        json={"first": "+41215550100", "last": "+41215550109"},
        headers=root,
    )
    assert number_range.status_code == 201
    assert number_range.json()["size"] == 10
    ext = await c.post("/api/v1/extensions", json={"number": "101"}, headers=world.auth("admin_a"))
    number = await c.post(
        "/api/v1/numbers",
        json={"e164": "+41215550105", "extension_id": ext.json()["id"]},
        headers=world.auth("admin_a"),
    )
    assert number.status_code == 201
    assert number.json()["extension"] == "101"
    assert number.json()["state"] == "assigned"
    taken = await c.post(
        "/api/v1/numbers", json={"e164": "+41215550105"}, headers=world.auth("admin_b")
    )
    assert taken.status_code == 409
    in_use = await c.delete(number_range.headers["location"], headers=root)
    assert in_use.status_code == 409
    assert in_use.json()["error_id"] == "range-in-use"
    assert (
        await c.delete(number.headers["location"], headers=world.auth("admin_a"))
    ).status_code == 204
    numbers = await c.get("/api/v1/numbers", headers=world.auth("admin_a"))
    assert numbers.json()["total"] == 0
    trunk = await c.post(
        "/api/v1/trunks",
        json={
            "name": "carrier-a",
            "host": "sip.carrier.example",
            "username": "u",
            "password": "p",
            "register": True,
        },
        headers=root,
    )
    assert trunk.status_code == 201
    assert trunk.json()["has_password"]
    assert trunk.json()["register"]
    assert "password" not in trunk.json()
    patched = await c.patch(trunk.headers["location"], json={"priority": 2}, headers=root)
    assert patched.json()["priority"] == 2
    route = await c.post(
        "/api/v1/outbound-routes",
        json={"name": "all", "prefix": "", "trunks": ["carrier-a"]},
        headers=root,
    )
    assert route.status_code == 201
    assert route.json()["trunks"] == ["carrier-a"]
    unknown = await c.post(
        "/api/v1/outbound-routes", json={"name": "x", "trunks": ["nope"]}, headers=root
    )
    assert unknown.status_code == 404
    assert (await c.delete(route.headers["location"], headers=root)).status_code == 204
    assert (await c.delete(trunk.headers["location"], headers=root)).status_code == 204


async def test_cdr_filters_and_exports(world: World) -> None:
    from openpyxl import load_workbook

    now = world.clock.utcnow()
    async with world.database.transaction() as session:
        for index, (direction, disposition, ext) in enumerate(
            [
                (Direction.INBOUND, Disposition.ANSWERED, "101"),
                (Direction.OUTBOUND, Disposition.BUSY, "102"),
                (Direction.OUTBOUND, Disposition.ANSWERED, "101"),
            ]
        ):
            session.add(
                Cdr(
                    tenant_id=world.ids["a"],
                    call_id=f"c{index}",
                    caller=ext,
                    callee="+41215550000",
                    direction=direction,
                    disposition=disposition,
                    extension=ext,
                    started_at=now - timedelta(days=index),
                    billsec=10 * index,
                )
            )
    c = world.client
    h = world.auth("admin_a")
    everything = await c.get("/api/v1/cdrs", headers=h)
    assert everything.json()["total"] == 3
    assert [x["call_id"] for x in everything.json()["items"]] == ["c0", "c1", "c2"]
    outbound = await c.get("/api/v1/cdrs?call_direction=outbound&disposition=answered", headers=h)
    assert [x["call_id"] for x in outbound.json()["items"]] == ["c2"]
    by_ext = await c.get("/api/v1/cdrs", params={"extension": "102"}, headers=h)
    assert [x["call_id"] for x in by_ext.json()["items"]] == ["c1"]
    since = (now - timedelta(hours=36)).isoformat()
    recent = await c.get("/api/v1/cdrs", params={"since": since}, headers=h)
    assert recent.json()["total"] == 2
    bad = await c.get("/api/v1/cdrs?call_direction=sideways", headers=h)
    assert bad.status_code == 422
    assert bad.json()["field"] == "call_direction"
    csv = await c.get("/api/v1/cdrs/export?format=csv&extension=101", headers=h)
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("id,call_id,caller")
    assert len(lines) == 3
    xlsx = await c.get("/api/v1/cdrs/export?format=xlsx", headers=h)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "call_id", "caller")
    assert len(rows) == 4
