"""`digest_policy` on /api/v1/tenants and /api/v1/extensions: read and PATCH, validated,
an extension's explicit null clears its override, another tenant's objects answer 404."""

from __future__ import annotations

from tests.api.conftest import World


async def test_tenant_digest_policy_read_and_patch(world: World) -> None:
    c = world.client
    h = world.auth("admin_a")
    url = f"/api/v1/tenants/{world.ids['a']}"
    assert (await c.get(url, headers=h)).json()["digest_policy"] == "compatible"
    changed = await c.patch(url, json={"digest_policy": "require-sha256"}, headers=h)
    assert changed.status_code == 200
    assert changed.json()["digest_policy"] == "require-sha256"
    assert (await c.get(url, headers=h)).json()["digest_policy"] == "require-sha256"
    # another PATCH without the field leaves it alone
    await c.patch(url, json={"name": "A renamed"}, headers=h)
    assert (await c.get(url, headers=h)).json()["digest_policy"] == "require-sha256"
    bad = await c.patch(url, json={"digest_policy": "sha1"}, headers=h)
    assert bad.status_code == 422
    other = await c.patch(url, json={"digest_policy": "compatible"}, headers=world.auth("admin_b"))
    assert other.status_code == 404
    assert (await c.get(url, headers=h)).json()["digest_policy"] == "require-sha256"


async def test_extension_digest_policy_override_and_clear(world: World) -> None:
    c = world.client
    h = world.auth("admin_a")
    created = await c.post("/api/v1/extensions", json={"number": "101"}, headers=h)
    assert created.status_code == 201
    assert created.json()["digest_policy"] is None
    url = created.headers["location"]
    changed = await c.patch(url, json={"digest_policy": "prefer-sha256"}, headers=h)
    assert changed.status_code == 200
    assert changed.json()["digest_policy"] == "prefer-sha256"
    kept = await c.patch(url, json={"name": "Alice"}, headers=h)
    assert kept.json()["digest_policy"] == "prefer-sha256"
    cleared = await c.patch(url, json={"digest_policy": None}, headers=h)
    assert cleared.json()["digest_policy"] is None
    assert (await c.patch(url, json={"digest_policy": "md5"}, headers=h)).status_code == 422
    foreign = await c.patch(
        url, json={"digest_policy": "compatible"}, headers=world.auth("admin_b")
    )
    assert foreign.status_code == 404
