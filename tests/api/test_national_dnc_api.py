"""/api/v1/national-dnc (SQLite and PostgreSQL): the platform admin imports a list as a text
body (replace by default, `replace=false` adds), lists and deletes it; bad input is a problem
naming the field; partners and tenant admins get 403 and write nothing; and a tenant's explain
names the list that blocks one of its numbers without showing the list."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import World

V = "/api/v1/national-dnc"
CSV = {"Content-Type": "text/csv"}


async def _put(world: World, who: str, body: str, *, path: str = f"{V}/FR/Bloctel",
               replace: str | None = None, media: str = "text/csv") -> Any:  # fmt: skip
    params = {"replace": replace} if replace is not None else {}
    headers = {**world.auth(who), "Content-Type": media}
    return await world.client.put(path, content=body.encode(), params=params, headers=headers)


async def test_import_list_add_replace_and_delete(world: World) -> None:
    made = await _put(world, "root", "numero\n01 42 68 53 01\n+33142685302\n+41445550000\n")
    assert made.status_code == 200, made.text
    assert made.json() == {"list": "Bloctel", "country": "FR", "imported": 2, "duplicates": 0,
                           "rejected": [{"line": 4,
                                         "error": "a number of CH, not of FR: '+41445550000'"}],
                           "total": 2}  # fmt: skip
    added = await _put(world, "root", "+33142685302\n+33142685303\n", replace="false",
                       media="text/plain")  # fmt: skip
    assert (added.json()["imported"], added.json()["duplicates"], added.json()["total"]) == (
        1,
        1,
        3,
    )
    swapped = await _put(world, "root", "+33142685309\n")  # replace is the default
    assert swapped.json()["total"] == 1
    listed = await world.client.get(V, headers=world.auth("root"))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [(x["country"], x["name"], x["count"]) for x in items] == [("FR", "Bloctel", 1)]
    assert items[0]["imported_at"].startswith(world.clock.utcnow().date().isoformat())
    gone = await world.client.delete(f"{V}/fr/Bloctel", headers=world.auth("root"))
    assert gone.status_code == 204
    assert (await world.client.get(V, headers=world.auth("root"))).json()["total"] == 0
    again = await world.client.delete(f"{V}/FR/Bloctel", headers=world.auth("root"))
    assert again.status_code == 404
    assert again.json()["error_id"] == "national-dnc-not-found"


async def test_bad_input_is_a_problem(world: World) -> None:
    for path, body, media, status, error_id, field in [
        (f"{V}/XX/Bloctel", "+33142685301\n", "text/csv", 422, "national-dnc-bad-country",
         "country"),
        (f"{V}/FR/Bloctel", "+41445550000\nhello\n", "text/csv", 422, "national-dnc-no-number",
         "file"),
        (f"{V}/FR/Bloctel", "# nothing\n", "text/plain", 422, "national-dnc-file-empty", "file"),
        (f"{V}/FR/Bloctel", '{"a": 1}', "application/json", 415, "unsupported-media-type", None),
    ]:  # fmt: skip
        response = await _put(world, "root", body, path=path, media=media)
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert (response.json()["error_id"], response.json().get("field")) == (error_id, field)
    assert (await world.client.get(V, headers=world.auth("root"))).json()["total"] == 0


async def test_partners_and_tenant_admins_are_refused(world: World) -> None:
    assert (await _put(world, "root", "+33142685301\n")).status_code == 200
    for who in ("admin_a", "p1", "user_a"):
        for response in (
            await world.client.get(V, headers=world.auth(who)),
            await _put(world, who, "+33142685399\n"),
            await _put(world, who, "+33142685399\n", path=f"{V}/GB/TPS"),
            await world.client.delete(f"{V}/FR/Bloctel", headers=world.auth(who)),
        ):
            assert response.status_code == 403, (who, response.text)
            assert response.json()["error_id"] == "forbidden"
            assert "+33142685301" not in response.text
    listed = (await world.client.get(V, headers=world.auth("root"))).json()["items"]
    assert [(x["name"], x["count"]) for x in listed] == [("Bloctel", 1)]


async def test_a_tenant_sees_which_list_blocks_its_number(world: World) -> None:
    await _put(world, "root", "+33142685301\n")
    admin = world.auth("admin_a")
    made = await world.client.post("/api/v1/campaigns", json={"name": "Spring",
                                                              "method": "predictive"},
                                   headers=admin)  # fmt: skip
    assert made.status_code == 201, made.text
    explained = await world.client.get(f"/api/v1/campaigns/{made.json()['id']}/explain",
                                       params={"number": "+33142685301"}, headers=admin)  # fmt: skip
    assert explained.status_code == 200, explained.text
    assert explained.json()["dnc"] == {"tenant": False, "campaign": False,
                                       "national": "Bloctel", "blocked": True}  # fmt: skip
