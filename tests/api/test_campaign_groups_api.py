"""`groups` of /api/v1/campaigns (SQLite and PostgreSQL): queue numbers of the tenant on create
and PATCH, shown beside `agents` in every campaign answer; another tenant's queue (even when A
names it by B's number) or an unknown one is 422 `campaign-group-unknown` with nothing
written; a campaign whose only assignment is a group starts, one with neither is 422
`campaign-without-agents`; B never reads, changes or points its own campaign at A's groups."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import World

C, Q = "/api/v1/campaigns", "/api/v1/queues"


async def _ok(world: World, method: str, path: str, who: str = "admin_a", status: int = 200,
              **kwargs: Any) -> Any:  # fmt: skip
    response = await world.client.request(method, path, headers=world.auth(who), **kwargs)
    assert response.status_code == status, (method, path, response.text)
    return response.json() if response.content and status != 204 else None


async def _setup(world: World) -> None:
    for who, numbers in (("admin_a", ("301", "302")), ("admin_b", ("401",))):
        for number in numbers:
            await _ok(world, "POST", "/api/v1/extensions", who, 201, json={"number": number})
    await _ok(world, "POST", Q, "admin_a", 201,
              json={"number": "501", "members": [{"extension": "301"}]})  # fmt: skip
    await _ok(world, "POST", Q, "admin_b", 201,
              json={"number": "601", "members": [{"extension": "401"}]})  # fmt: skip


async def test_groups_on_create_patch_and_start(world: World) -> None:
    await _setup(world)
    made = await _ok(world, "POST", C, status=201,
                     json={"name": "Zoe", "method": "predictive", "groups": ["501"],
                           "legal_rules": False})  # fmt: skip
    assert (made["agents"], made["groups"]) == ([], ["501"])
    cid = made["id"]
    assert (await _ok(world, "GET", f"{C}/{cid}"))["groups"] == ["501"]
    assert [c["groups"] for c in (await _ok(world, "GET", C))["items"]] == [["501"]]
    assert (await _ok(world, "POST", f"{C}/{cid}/start"))["status"] == "running"
    explained = await _ok(world, "GET", f"{C}/{cid}/explain")
    assert explained["agents"] == ["301"]  # the queue's member
    patched = await _ok(world, "PATCH", f"{C}/{cid}", json={"agents": ["302"]})
    assert (patched["agents"], patched["groups"]) == (["302"], ["501"])  # groups not given: kept
    patched = await _ok(world, "PATCH", f"{C}/{cid}", json={"groups": []})
    assert (patched["agents"], patched["groups"]) == (["302"], [])
    await _ok(world, "POST", f"{C}/{cid}/stop")
    await _ok(world, "PATCH", f"{C}/{cid}", json={"agents": []})
    refused = await _ok(world, "POST", f"{C}/{cid}/start", status=422)
    assert refused["error_id"] == "campaign-without-agents"


async def test_unknown_or_foreign_groups_are_422_and_nothing_is_written(world: World) -> None:
    await _setup(world)
    for groups in (["601"], ["599"], ["501", "601"]):
        bad = await _ok(world, "POST", C, status=422,
                        json={"name": "M", "method": "ratio", "groups": groups})  # fmt: skip
        assert bad["error_id"] == "campaign-group-unknown", bad
    assert (await _ok(world, "GET", C))["total"] == 0
    shape = await _ok(world, "POST", C, status=422,
                      json={"name": "M", "method": "ratio", "groups": ["5x1"]})  # fmt: skip
    assert shape["error_id"] != "campaign-group-unknown"  # not even a queue number
    own = await _ok(world, "POST", C, "admin_b", 201,
                    json={"name": "Own", "method": "preview", "groups": ["601"]})  # fmt: skip
    bad = await _ok(world, "PATCH", f"{C}/{own['id']}", "admin_b", 422,
                    json={"name": "Moved", "groups": ["501"]})  # fmt: skip
    assert bad["error_id"] == "campaign-group-unknown"
    kept = await _ok(world, "GET", f"{C}/{own['id']}", "admin_b")
    assert (kept["name"], kept["groups"]) == ("Own", ["601"])
    zoe = await _ok(world, "POST", C, status=201,
                    json={"name": "Zoe", "method": "predictive", "groups": ["501"]})  # fmt: skip
    for method, body in (("GET", None), ("PATCH", {"groups": ["601"]}), ("DELETE", None)):
        response = await world.client.request(method, f"{C}/{zoe['id']}", json=body,
                                              headers=world.auth("admin_b"))  # fmt: skip
        assert response.status_code == 404, response.text
        assert "501" not in response.text
    assert (await _ok(world, "GET", f"{C}/{zoe['id']}"))["groups"] == ["501"]
