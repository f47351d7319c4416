"""/api/v1/callbacks (SQLite and PostgreSQL): a personal and a campaign-wide callback promised
in the lead's local time (Zurich), listed by due time, filtered, cancelled; a callback in the
past refused with the lead's zone and time; a plain user sees and promises only its own
extension's; and five multi-tenant checks: B's list shows none of A's, B's filter on A's
campaign 404, B's callback into A's campaign or on A's lead refused, B deletes A's → 404."""

from __future__ import annotations

from tests.api.conftest import World
from tests.api.test_campaigns_api import _ok, _setup

CB = "/api/v1/callbacks"


async def _world(world: World) -> int:
    cid: int = (await _setup(world))["campaign"]["id"]
    await _ok(world, "PATCH", f"/api/v1/extensions/{await _ext_id(world, '301')}",
              json={"user_id": world.ids["user_a"]})  # fmt: skip
    await _ok(world, "POST", "/api/v1/extensions", "admin_a", 201, json={"number": "302"})
    return cid


async def _ext_id(world: World, number: str) -> int:
    items = (await _ok(world, "GET", "/api/v1/extensions"))["items"]
    return int(next(e["id"] for e in items if e["number"] == number))


async def test_promise_list_and_cancel(world: World) -> None:
    cid = await _world(world)  # the clock: 2026-01-01 00:00 UTC, 01:00 in Zurich
    personal = await _ok(world, "POST", CB, status=201,
                         json={"campaign_id": cid, "number": "044 555 00 01",
                               "at": "2026-01-05 10:00", "extension": "301",
                               "note": "after the holidays"})  # fmt: skip
    assert {k: personal[k] for k in ("number", "extension", "scope", "due_at", "local_time",
                                     "zone", "status", "attempts")} == {
        "number": "+41445550001", "extension": "301", "scope": "personal",
        "due_at": "2026-01-05T09:00:00Z", "local_time": "2026-01-05T10:00",
        "zone": "Europe/Zurich", "status": "scheduled", "attempts": 0,
    }  # fmt: skip
    wide = await _ok(world, "POST", CB, status=201,
                     json={"campaign_id": cid, "number": "+41315550002",
                           "at": "2026-01-02T09:30"})  # fmt: skip
    assert (wide["scope"], wide["extension"]) == ("campaign", None)
    listed = await _ok(world, "GET", CB)
    assert [c["id"] for c in listed["items"]] == [wide["id"], personal["id"]]  # by due time
    assert (await _ok(world, "GET", CB, params={"status": "done"}))["total"] == 0
    await _ok(world, "DELETE", f"{CB}/{wide['id']}", status=204)
    assert [c["id"] for c in (await _ok(world, "GET", CB))["items"]] == [personal["id"]]
    await _ok(world, "DELETE", f"{CB}/{wide['id']}", status=404)


async def test_bad_callbacks_are_refused(world: World) -> None:
    cid = await _world(world)
    past = await _ok(world, "POST", CB, status=422,
                     json={"campaign_id": cid, "number": "+41445550001",
                           "at": "2026-01-01T00:30"})  # fmt: skip
    assert past["error_id"] == "callback-in-the-past"
    assert "it is 2026-01-01 01:00 there now" in past["detail"]
    cases = [
        ({"number": "+41445550001", "at": "2026-13-01 10:00"}, "callback-bad-time"),
        ({"number": "+41445550001", "at": "2026-03-29T02:30"}, "callback-bad-time"),  # DST gap
        ({"number": "+41445550001", "at": "2026-02-01T10:00", "extension": "999"},
         "callback-agent-unknown"),
        ({"at": "2026-02-01T10:00"}, "callback-no-lead"),
    ]  # fmt: skip
    for body, error in cases:
        answer = await _ok(world, "POST", CB, status=422, json={"campaign_id": cid, **body})
        assert answer["error_id"] == error, body
    missing = await _ok(world, "POST", CB, status=404,
                        json={"campaign_id": cid, "number": "+41445550077",
                              "at": "2026-02-01T10:00"})  # fmt: skip
    assert missing["error_id"] == "lead-not-found"
    assert (await _ok(world, "GET", CB))["total"] == 0


async def test_a_user_has_only_its_own(world: World) -> None:
    cid = await _world(world)
    body = {"campaign_id": cid, "number": "+41445550001", "at": "2026-01-05T10:00"}
    own = await _ok(world, "POST", CB, "user_a", 201, json={**body, "extension": "301"})
    other = await _ok(world, "POST", CB, status=201, json={**body, "extension": "302"})
    await _ok(world, "POST", CB, "user_a", 403, json={**body, "extension": "302"})
    await _ok(world, "POST", CB, "user_a", 403, json=body)  # campaign-wide: admins only
    assert [c["id"] for c in (await _ok(world, "GET", CB, "user_a"))["items"]] == [own["id"]]
    await _ok(world, "DELETE", f"{CB}/{other['id']}", "user_a", 404)
    await _ok(world, "DELETE", f"{CB}/{own['id']}", "user_a", 204)


async def test_tenant_b_cannot_reach_a(world: World) -> None:
    cid = await _world(world)
    made = await _ok(world, "POST", CB, status=201,
                     json={"campaign_id": cid, "number": "+41445550001",
                           "at": "2026-01-05T10:00", "note": "Zoe"})  # fmt: skip
    assert (await _ok(world, "GET", CB, "admin_b"))["total"] == 0
    await _ok(world, "GET", CB, "admin_b", 404, params={"campaign_id": cid})
    into = await _ok(world, "POST", CB, "admin_b", 404,
                     json={"campaign_id": cid, "lead_id": made["lead_id"],
                           "at": "2026-01-05T10:00"})  # fmt: skip
    assert into["error_id"] == "campaign-not-found"
    await _ok(world, "DELETE", f"{CB}/{made['id']}", "admin_b", 404)
    assert (await _ok(world, "GET", CB))["total"] == 1
