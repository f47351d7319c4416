"""POST /api/v1/extensions creates the extension's mailbox (issue 11, defect 4).

The PIN appears once, in the 201 answer, and works with the phone menu's check; `"voicemail":
false` opts out. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re

from centrex.data.models import VoicemailBox
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import voicemail as vm
from centrex.provisioning.tenants import scope_for
from tests.api.conftest import World

A = "a.example.com"


async def _pin_works(world: World, number: str, pin: str) -> bool:
    async with world.database.session() as session:
        box = await vm.mailbox_for_extension(await scope_for(session, A), number)
        assert box is not None
        return vm.verify_pin(box, pin)


async def test_create_answers_the_pin_once_and_the_mailbox_exists(world: World) -> None:
    c = world.client
    h = world.auth("admin_a")
    created = await c.post(
        "/api/v1/extensions", json={"number": "101", "email": "alice@a.example.com"}, headers=h
    )
    assert created.status_code == 201
    pin = created.json()["voicemail_pin"]
    assert len(pin) == 6
    assert pin.isdigit()
    assert await _pin_works(world, "101", pin)
    boxes = (await c.get("/api/v1/voicemail/boxes", headers=h)).json()
    assert [(b["extension"], b["enabled"], b["email_enabled"]) for b in boxes["items"]] == [
        ("101", True, True)
    ]
    fetched = await c.get(created.headers["location"], headers=h)
    assert "voicemail_pin" not in fetched.json()
    listed = await c.get("/api/v1/extensions", headers=h)
    assert pin not in listed.text
    box_id = boxes["items"][0]["id"]
    assert pin not in (await c.get(f"/api/v1/voicemail/boxes/{box_id}", headers=h)).text
    # the other tenant sees neither the extension nor its mailbox
    other = world.auth("admin_b")
    assert (await c.get("/api/v1/voicemail/boxes", headers=other)).json()["total"] == 0
    assert (await c.get(f"/api/v1/voicemail/boxes/{box_id}", headers=other)).status_code == 404


async def test_voicemail_false_creates_no_mailbox(world: World) -> None:
    c = world.client
    h = world.auth("admin_a")
    created = await c.post(
        "/api/v1/extensions", json={"number": "101", "voicemail": False}, headers=h
    )
    assert created.status_code == 201
    assert created.json()["voicemail_pin"] is None
    assert (await c.get("/api/v1/voicemail/boxes", headers=h)).json()["total"] == 0
    # the REST way to add one later still works
    box = await c.post(
        "/api/v1/voicemail/boxes", json={"extension": "101", "pin": "4321"}, headers=h
    )
    assert box.status_code == 201
    assert await _pin_works(world, "101", "4321")


async def test_bad_voicemail_field_is_a_422_and_writes_nothing(world: World) -> None:
    c = world.client
    h = world.auth("admin_a")
    bad = await c.post(
        "/api/v1/extensions", json={"number": "101", "voicemail": "maybe"}, headers=h
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "voicemail"
    assert (await c.get("/api/v1/extensions", headers=h)).json()["total"] == 0
    assert (await c.get("/api/v1/voicemail/boxes", headers=h)).json()["total"] == 0


async def test_deleting_the_extension_deletes_its_mailbox(world: World) -> None:
    c = world.client
    h = world.auth("admin_a")
    created = await c.post("/api/v1/extensions", json={"number": "101"}, headers=h)
    box_id = (await c.get("/api/v1/voicemail/boxes", headers=h)).json()["items"][0]["id"]
    assert (await c.delete(created.headers["location"], headers=h)).status_code == 204
    assert (await c.get(f"/api/v1/voicemail/boxes/{box_id}", headers=h)).status_code == 404
    again = await c.post("/api/v1/extensions", json={"number": "101"}, headers=h)
    assert again.status_code == 201
    assert await _pin_works(world, "101", again.json()["voicemail_pin"])


async def test_portal_shows_the_pin_once_and_delete_takes_the_mailbox(world: World) -> None:
    from tests.api.test_portal_pages import _login

    csrf = await _login(world)
    c = world.client
    page = await c.post(
        "/tenant/extensions",
        data={"csrf": csrf, "number": "101", "name": "Alice", "email": "alice@a.example.com"},
    )
    assert page.status_code == 200
    shown = re.search(r"PIN [^0-9<]*([0-9]{6})", page.text)
    assert shown is not None, page.text
    assert await _pin_works(world, "101", shown.group(1))
    assert shown.group(1) not in (await c.get("/tenant/extensions")).text
    async with world.database.session() as session:
        ext = await extension_service.get_extension(await scope_for(session, A), "101")
    await c.post(f"/tenant/extensions/{ext.id}/delete", data={"csrf": csrf})
    async with world.database.session() as session:
        assert await vm.mailbox_for_extension(await scope_for(session, A), "101") is None
        assert await (await scope_for(session, A)).count(VoicemailBox) == 0
