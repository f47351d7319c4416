"""`forwarding`, `dnd` and `call_waiting` on /api/v1/extensions (SQLite and PostgreSQL): read,
PATCH set and clear (null), a destination the router would refuse is a 422 problem with an
error_id and changes nothing, another tenant's extension answers 404 and another tenant's
extension number is no destination."""

from __future__ import annotations

from tests.api.conftest import World


async def _extension(world: World, number: str, who: str = "admin_a") -> str:
    created = await world.client.post(
        "/api/v1/extensions", json={"number": number}, headers=world.auth(who)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["forwarding"] == {
        "always": None,
        "busy": None,
        "no_answer": None,
        "no_answer_seconds": 20,
        "unregistered": None,
    }
    assert (body["dnd"], body["call_waiting"]) == (False, True)
    return str(created.headers["location"])


async def test_patch_forwarding_dnd_and_call_waiting(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    url = await _extension(world, "101")
    await _extension(world, "102")
    changed = await c.patch(
        url,
        json={
            "forwarding": {"always": "102", "no_answer": "0791234567", "no_answer_seconds": 9},
            "dnd": True,
            "call_waiting": False,
        },
        headers=h,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["forwarding"]["always"] == "102"
    assert body["forwarding"]["no_answer"] == "+41791234567"
    assert body["forwarding"]["no_answer_seconds"] == 9
    assert (body["dnd"], body["call_waiting"]) == (True, False)
    kept = await c.patch(url, json={"forwarding": {"busy": "voicemail"}}, headers=h)
    assert kept.json()["forwarding"]["always"] == "102"
    cleared = await c.patch(url, json={"forwarding": {"always": None}, "dnd": False}, headers=h)
    assert cleared.json()["forwarding"]["always"] is None
    assert cleared.json()["forwarding"]["busy"] == "voicemail"
    assert (await c.get(url, headers=h)).json()["dnd"] is False


async def test_refused_destinations_are_422_and_change_nothing(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    url = await _extension(world, "101")
    await _extension(world, "201", who="admin_b")  # B's 201: no destination for A
    await c.patch(url, json={"forwarding": {"busy": "voicemail"}}, headers=h)
    for forwarding, error_id in (
        ({"always": "201"}, "forward-destination-unknown"),
        ({"always": "101"}, "forward-loop"),
        ({"busy": "not a number"}, "forward-destination-undialable"),
        ({"always": "flow:none"}, "forward-destination-unknown"),
        ({"no_answer": "voicemail", "no_answer_seconds": 999}, "forward-seconds-out-of-range"),
    ):
        bad = await c.patch(url, json={"forwarding": forwarding, "dnd": True}, headers=h)
        assert bad.status_code == 422, (forwarding, bad.text)
        assert bad.json()["error_id"] == error_id
    typo = await c.patch(url, json={"forwarding": {"allways": "102"}}, headers=h)
    assert typo.status_code == 422
    body = (await c.get(url, headers=h)).json()
    assert body["forwarding"]["busy"] == "voicemail"
    assert body["forwarding"]["always"] is None
    assert body["dnd"] is False  # the refused request wrote nothing at all


async def test_another_tenants_extension_is_404(world: World) -> None:
    c = world.client
    url = await _extension(world, "101")
    other = await c.patch(url, json={"dnd": True}, headers=world.auth("admin_b"))
    assert other.status_code == 404
    assert (await c.get(url, headers=world.auth("admin_b"))).status_code == 404
    assert (await c.get(url, headers=world.auth("admin_a"))).json()["dnd"] is False
