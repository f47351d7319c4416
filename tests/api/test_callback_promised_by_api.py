"""Who promised a callback, stored and returned (SQLite and PostgreSQL, issue 16: the agent
desktop's notice names them): agent Alice (301) promises one for herself and one for anyone of
the campaign — both "Alice (301)"; plain user Ursula with extensions 303 and 304 promises one
for 304 — "Ursula (304)", the callback's extension; a tenant admin's token without a user and
the platform admin's are their roles. The list returns the same, and it is what the table
holds (the dialer reads it from there)."""

from __future__ import annotations

from sqlalchemy import select

from centrex.data.models import ScheduledCallback
from tests.api.conftest import World
from tests.api.test_agent_callbacks_api import CB, _body, _ext_id, _world
from tests.api.test_campaigns_api import _ok


async def test_the_promiser_is_stored_and_returned(world: World) -> None:
    ids = await _world(world)
    for number in ("303", "304"):
        await _ok(world, "PATCH", f"/api/v1/extensions/{await _ext_id(world, number)}",
                  json={"user_id": world.ids["user_a"]})  # fmt: skip
    made = {
        "mine": await _ok(world, "POST", CB, "alice", 201, json=_body(ids["spring"], "301")),
        "anyone": await _ok(world, "POST", CB, "alice", 201, json=_body(ids["autumn"])),
        "user": await _ok(world, "POST", CB, "user_a", 201, json=_body(ids["spring"], "304")),
        "admin": await _ok(world, "POST", CB, "admin_a", 201, json=_body(ids["spring"], "302")),
    }
    root = await world.client.post(CB, json=_body(ids["winter"]),
                                   headers=world.auth("root", "a.example.com"))  # fmt: skip
    assert root.status_code == 201, root.text
    made["root"] = root.json()
    expected = {"mine": "Alice (301)", "anyone": "Alice (301)", "user": "Ursula (304)",
                "admin": "tenant-admin", "root": "platform-admin"}  # fmt: skip
    assert {key: body["promised_by"] for key, body in made.items()} == expected
    by_id = {body["id"]: expected[key] for key, body in made.items()}
    listed = await _ok(world, "GET", CB)
    assert {item["id"]: item["promised_by"] for item in listed["items"]} == by_id
    async with world.database.transaction() as session:
        rows = (await session.execute(select(ScheduledCallback))).scalars().all()
        assert {row.id: row.promised_by for row in rows} == by_id
    # a plain user's own list says the same of its callback
    mine = await _ok(world, "GET", CB, "user_a")
    assert [item["promised_by"] for item in mine["items"]] == ["Ursula (304)"]
