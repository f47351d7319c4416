"""/api/v1/ring-groups with strategy `page` (SQLite and PostgreSQL): a paging group of the
tenant's extensions is created and read back; an outside member is refused (422
`ring-group-page-outside-member`) at create and when PATCH turns a group with an outside
member into a page group, and nothing is written; another tenant's extension stays unknown."""

from __future__ import annotations

from tests.api.conftest import World

GROUPS = "/api/v1/ring-groups"


async def test_a_page_group_of_extensions_and_the_refusal_of_outside_members(
    world: World,
) -> None:
    c, h = world.client, world.auth("admin_a")
    for number in ("101", "102"):
        made = await c.post("/api/v1/extensions", json={"number": number}, headers=h)
        assert made.status_code == 201, made.text
    page = {"number": "650", "strategy": "page", "members": [{"target": "101"},
                                                             {"target": "102"}]}  # fmt: skip
    created = await c.post(GROUPS, json=page, headers=h)
    assert created.status_code == 201, created.text
    assert created.json()["strategy"] == "page"
    outside = {**page, "number": "651", "members": [{"target": "101"}, {"target": "0791234567"}]}
    refused = await c.post(GROUPS, json=outside, headers=h)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error_id"] == "ring-group-page-outside-member"
    mixed = await c.post(GROUPS, json={**outside, "strategy": "simultaneous"}, headers=h)
    assert mixed.status_code == 201, mixed.text
    patched = await c.patch(mixed.headers["location"], json={"strategy": "page"}, headers=h)
    assert patched.status_code == 422, patched.text
    assert patched.json()["error_id"] == "ring-group-page-outside-member"
    assert (await c.get(mixed.headers["location"], headers=h)).json()["strategy"] == "simultaneous"
    assert (await c.get(GROUPS, headers=h)).json()["total"] == 2
    # another tenant's admin: A's extensions are unknown members there
    foreign = await c.post(GROUPS, json=page, headers=world.auth("admin_b"))
    assert foreign.status_code == 422, foreign.text
    assert foreign.json()["error_id"] == "ring-group-member-unknown"
