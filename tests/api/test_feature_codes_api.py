"""/api/v1/feature-codes and /api/v1/short-numbers (SQLite and PostgreSQL): the codes with
their defaults, a PATCH of several at once (a swap included) and `default`, all or nothing on
a bad or taken code (409/422 with error_id, nothing written), a plain user may read but not
change; short numbers created (201, E.164), listed, deleted, bad input refused; another
tenant's choices never shown."""

from __future__ import annotations

from tests.api.conftest import World

CODES, SHORT = "/api/v1/feature-codes", "/api/v1/short-numbers"


async def codes(world: World, who: str) -> dict[str, str]:
    listed = await world.client.get(CODES, headers=world.auth(who), params={"limit": 100})
    assert listed.status_code == 200, listed.text
    return {i["feature"]: i["code"] for i in listed.json()["items"]}


async def test_patch_swaps_resets_and_is_all_or_nothing(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    assert (await codes(world, "admin_a"))["dnd-on"] == "*78"
    swapped = await c.patch(CODES, headers=h, json={"dnd-on": "*79", "dnd-off": "*78"})
    assert swapped.status_code == 200, swapped.text
    after = await codes(world, "admin_a")
    assert (after["dnd-on"], after["dnd-off"]) == ("*79", "*78")
    assert (await codes(world, "admin_b"))["dnd-on"] == "*78"  # B keeps its defaults
    for body, status, error in (
        ({"dnd-on": "*8"}, 409, "feature-code-taken"),
        ({"dnd-on": "*77", "intercom": "80"}, 422, "feature-code-bad"),
        ({"no-such": "*5"}, 404, "feature-code-unknown"),
    ):
        refused = await c.patch(CODES, headers=h, json=body)
        assert refused.status_code == status, refused.text
        assert refused.json()["error_id"] == error
    assert await codes(world, "admin_a") == after  # nothing of the refused changes
    reset = await c.patch(CODES, headers=h, json={"dnd-on": "default", "dnd-off": "default"})
    assert reset.status_code == 200, reset.text
    assert not any(i["changed"] for i in reset.json()["items"])


async def test_a_plain_user_reads_but_does_not_change(world: World) -> None:
    assert (await codes(world, "user_a"))["intercom"] == "*80"
    refused = await world.client.patch(CODES, headers=world.auth("user_a"), json={"clir": "*5"})
    assert refused.status_code == 403, refused.text


async def test_short_numbers(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    made = await c.post(SHORT, headers=h, json={"number": "20", "target": "044 668 18 00"})
    assert made.status_code == 201, made.text
    assert made.json()["target"] == "+41446681800"
    assert made.headers["location"] == f"{SHORT}/20"
    again = await c.post(SHORT, headers=h, json={"number": "20", "target": "0446681801"})
    assert (again.status_code, again.json()["error_id"]) == (409, "short-number-exists")
    sos = await c.post(SHORT, headers=h, json={"number": "21", "target": "112"})
    assert (sos.status_code, sos.json()["error_id"]) == (422, "short-number-bad-target")
    assert (await c.get(SHORT, headers=h)).json()["total"] == 1
    assert (await c.get(SHORT, headers=world.auth("admin_b"))).json()["total"] == 0
    gone = await c.delete(f"{SHORT}/20", headers=world.auth("admin_b"))
    assert (gone.status_code, gone.json()["error_id"]) == (404, "short-number-not-found")
    assert (await c.delete(f"{SHORT}/20", headers=h)).status_code == 204
    assert (await c.get(SHORT, headers=h)).json()["total"] == 0
