"""`PATCH /api/v1/extensions/{id}` with `srtp` (issue 14 item 3): set and shown by GET and the
list, a bad value 422 with nothing written, another tenant's extension 404 and untouched."""

from __future__ import annotations

from tests.api.conftest import World


async def _extension(world: World, who: str, number: str) -> int:
    made = await world.client.post(
        "/api/v1/extensions", json={"number": number, "voicemail": False}, headers=world.auth(who)
    )
    assert made.status_code == 201, made.text
    assert made.json()["srtp"] == "optional"
    return int(made.json()["id"])


async def test_srtp_set_shown_and_validated(world: World) -> None:
    ext = await _extension(world, "admin_a", "102")
    url = f"/api/v1/extensions/{ext}"
    patched = await world.client.patch(
        url, json={"srtp": "required"}, headers=world.auth("admin_a")
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["srtp"] == "required"
    shown = await world.client.get(url, headers=world.auth("admin_a"))
    assert shown.json()["srtp"] == "required"
    listed = await world.client.get("/api/v1/extensions", headers=world.auth("admin_a"))
    assert {e["number"]: e["srtp"] for e in listed.json()["items"]}["102"] == "required"
    bad = await world.client.patch(url, json={"srtp": "always"}, headers=world.auth("admin_a"))
    assert bad.status_code == 422
    again = await world.client.get(url, headers=world.auth("admin_a"))
    assert again.json()["srtp"] == "required"


async def test_another_tenants_extension_is_404(world: World) -> None:
    ext = await _extension(world, "admin_a", "103")
    url = f"/api/v1/extensions/{ext}"
    attack = await world.client.patch(url, json={"srtp": "off"}, headers=world.auth("admin_b"))
    assert attack.status_code == 404
    shown = await world.client.get(url, headers=world.auth("admin_a"))
    assert shown.json()["srtp"] == "optional"


async def test_the_portal_extensions_page_shows_the_policy(world: World) -> None:
    from tests.api.test_portal_pages import _login

    ext = await _extension(world, "admin_a", "104")
    await world.client.patch(
        f"/api/v1/extensions/{ext}", json={"srtp": "required"}, headers=world.auth("admin_a")
    )
    await _login(world)  # the user's language: English
    page = await world.client.get("/tenant/extensions")
    assert page.status_code == 200
    assert "SRTP (media encryption)" in page.text
    row = page.text.split('data-extension="104"')[1].split("</tr>")[0]
    assert 'class="srtp">required</td>' in row
