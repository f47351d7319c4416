"""/api/v1/queues and /api/v1/agents (SQLite and PostgreSQL): create with members, read,
PATCH, delete, statistics; bad input is a 4xx with an error_id and writes nothing; agents'
states with pause reasons; and tenant isolation — B cannot list, read, change, delete A's
queue, read its statistics, use A's extensions, read or set A's agent states, nor join its own
agent to A's queue."""

from __future__ import annotations

from datetime import timedelta

from centrex.data.models import AgentEvent, QueueCall, QueueOutcome
from tests.api.conftest import World

QUEUES = "/api/v1/queues"


async def _extensions(world: World, who: str, *numbers: str) -> None:
    for number in numbers:
        made = await world.client.post(
            "/api/v1/extensions", json={"number": number}, headers=world.auth(who)
        )
        assert made.status_code == 201, made.text


async def _queue_of_a(world: World) -> str:
    await _extensions(world, "admin_a", "101", "102", "103")
    created = await world.client.post(
        QUEUES,
        json={"number": "500", "name": "support", "strategy": "skills",
              "members": [{"extension": "102", "level": 5}, {"extension": "103"}],
              "wrap_up_seconds": 15, "max_wait_seconds": 120, "fallback": "101",
              "announce_position": True, "service_level_seconds": 30, "min_level": 2},
        headers=world.auth("admin_a"),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    return str(created.headers["location"])


async def test_create_read_patch_delete(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    url = await _queue_of_a(world)
    body = (await c.get(url, headers=h)).json()
    assert body["number"] == "500"
    assert body["strategy"] == "skills"
    assert body["members"] == [{"extension": "102", "level": 5, "static": True},
                               {"extension": "103", "level": 1, "static": True}]  # fmt: skip
    assert (body["wrap_up_seconds"], body["max_wait_seconds"], body["ring_seconds"]) == (
        15,
        120,
        15,
    )
    assert (body["fallback"], body["announce_position"], body["min_level"]) == ("101", True, 2)
    changed = await c.patch(url, json={"strategy": "ring-all", "fallback": None,
                                       "members": [{"extension": "101"}]}, headers=h)  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["strategy"] == "ring-all"
    assert changed.json()["fallback"] is None
    assert [m["extension"] for m in changed.json()["members"]] == ["101"]
    assert (await c.get(QUEUES, headers=h)).json()["total"] == 1
    assert (await c.delete(url, headers=h)).status_code == 204
    assert (await c.get(url, headers=h)).status_code == 404


async def test_bad_input_is_refused_and_writes_nothing(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    await _extensions(world, "admin_a", "101")
    for body, error_id in (
        ({"number": "500", "members": [{"extension": "109"}]}, "queue-member-unknown"),
        ({"number": "101", "members": [{"extension": "101"}]}, "queue-number-taken"),
        ({"number": "500", "members": [{"extension": "101"}, {"extension": "101"}]},
         "queue-duplicate-member"),
        ({"number": "500", "members": [{"extension": "101"}], "fallback": "voicemail:101x"},
         "queue-fallback-unknown"),
        ({"number": "500", "members": [{"extension": "101"}], "fallback": "nowhere"},
         "queue-fallback-unknown"),
    ):  # fmt: skip
        refused = await c.post(QUEUES, json=body, headers=h)
        assert refused.status_code in (409, 422), refused.text
        assert refused.json()["error_id"] == error_id
    for body in (
        {"number": "500", "members": []},  # a queue with no members
        {"number": "500", "members": [{"extension": "101"}], "strategy": "random"},
        {"number": "500", "members": [{"extension": "101"}], "max_wait_seconds": 0},
    ):
        assert (await c.post(QUEUES, json=body, headers=h)).status_code == 422
    assert (await c.get(QUEUES, headers=h)).json()["total"] == 0


async def test_another_tenant_does_not_list_a_queue(world: World) -> None:
    await _queue_of_a(world)
    listed = await world.client.get(QUEUES, headers=world.auth("admin_b"))
    assert listed.json() == {"total": 0, "items": []}


async def test_another_tenant_cannot_read_a_queue_or_its_stats(world: World) -> None:
    url = await _queue_of_a(world)
    assert (await world.client.get(url, headers=world.auth("admin_b"))).status_code == 404
    stats = await world.client.get(f"{url}/stats", headers=world.auth("admin_b"))
    assert stats.status_code == 404


async def test_another_tenant_cannot_update_a_queue(world: World) -> None:
    url = await _queue_of_a(world)
    patched = await world.client.patch(url, json={"name": "x"}, headers=world.auth("admin_b"))
    assert patched.status_code == 404
    assert (await world.client.get(url, headers=world.auth("admin_a"))).json()["name"] == "support"


async def test_another_tenant_cannot_delete_a_queue(world: World) -> None:
    url = await _queue_of_a(world)
    assert (await world.client.delete(url, headers=world.auth("admin_b"))).status_code == 404
    assert (await world.client.get(url, headers=world.auth("admin_a"))).status_code == 200


async def test_another_tenants_extension_is_refused_as_a_member(world: World) -> None:
    await _extensions(world, "admin_a", "101")
    await _extensions(world, "admin_b", "201")
    refused = await world.client.post(
        QUEUES, json={"number": "500", "members": [{"extension": "101"}, {"extension": "201"}]},
        headers=world.auth("admin_a"),
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["error_id"] == "queue-member-unknown"


async def test_agent_states_with_pause_reasons(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    await _queue_of_a(world)
    state = await c.get("/api/v1/agents/102/state", headers=h)
    assert state.status_code == 200
    assert state.json()["state"] == "ready"  # a static member starts ready
    assert state.json()["queues"] == ["500"]
    reasons = (await c.get("/api/v1/agents/pause-reasons", headers=h)).json()
    assert reasons["total"] >= 3
    assert {"code": 2, "label": "lunch"} in reasons["items"]
    paused = await c.put("/api/v1/agents/102/state", json={"state": "paused", "reason": "2"},
                         headers=h)  # fmt: skip
    assert paused.status_code == 200, paused.text
    assert (paused.json()["state"], paused.json()["reason"]) == ("paused", "lunch")
    world.clock.advance(90)
    ready = await c.put("/api/v1/agents/102/state", json={"state": "ready"}, headers=h)
    assert ready.json()["state"] == "ready"
    bad = await c.put("/api/v1/agents/102/state", json={"state": "paused", "reason": "nap"},
                      headers=h)  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["error_id"] == "agent-bad-pause-reason"
    queue_id = (await c.get(QUEUES, headers=h)).json()["items"][0]["id"]
    stats = (await c.get(f"{QUEUES}/{queue_id}/stats", headers=h)).json()
    agent = next(a for a in stats["agents"] if a["extension"] == "102")
    assert agent["pause_seconds"] == {"lunch": 90.0}
    out = await c.put("/api/v1/agents/103/state", json={"state": "logged-out"}, headers=h)
    assert out.json()["state"] == "logged-out"
    joined = await c.put("/api/v1/agents/101/state", json={"state": "ready", "queue": "500"},
                         headers=h)  # fmt: skip
    assert joined.json()["queues"] == ["500"]
    members = (await c.get(f"{QUEUES}/{queue_id}", headers=h)).json()["members"]
    assert {"extension": "101", "level": 1, "static": False} in members
    gone = await c.put("/api/v1/agents/101/state", json={"state": "logged-out"}, headers=h)
    assert gone.json()["queues"] == []  # a dynamic member leaves at logout


async def test_another_tenant_cannot_reach_an_agent_or_join_a_queue(world: World) -> None:
    c = world.client
    await _queue_of_a(world)
    await _extensions(world, "admin_b", "201")
    hb = world.auth("admin_b")
    assert (await c.get("/api/v1/agents/102/state", headers=hb)).status_code == 404
    put = await c.put("/api/v1/agents/102/state", json={"state": "logged-out"}, headers=hb)
    assert put.status_code == 404
    join = await c.put("/api/v1/agents/201/state", json={"state": "ready", "queue": "500"},
                       headers=hb)  # fmt: skip
    assert join.status_code == 404
    assert join.json()["error_id"] == "queue-not-found"
    a_state = await c.get("/api/v1/agents/102/state", headers=world.auth("admin_a"))
    assert a_state.json()["state"] == "ready"


async def test_statistics_from_the_logs(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    url = await _queue_of_a(world)
    now = world.clock.utcnow()
    async with world.database.transaction() as session:
        for minutes, outcome, wait, agent, talk in (
            (1, QueueOutcome.ANSWERED, 10.0, "102", 100.0),
            (2, QueueOutcome.ANSWERED, 40.0, "103", 50.0),
            (3, QueueOutcome.ABANDONED, 25.0, None, 0.0),
        ):
            session.add(QueueCall(tenant_id=world.ids["a"], queue_number="500", call_id=f"c{minutes}",
                                  caller="101", entered_at=now + timedelta(minutes=minutes),
                                  outcome=outcome, wait_seconds=wait, agent=agent,
                                  talk_seconds=talk))  # fmt: skip
        session.add(AgentEvent(tenant_id=world.ids["a"], extension="102", kind="ring",
                               queue_number="500", started_at=now, seconds=4.0))  # fmt: skip
        session.add(QueueCall(tenant_id=world.ids["b"], queue_number="500", call_id="b1",
                              caller="201", entered_at=now, outcome=QueueOutcome.ANSWERED,
                              wait_seconds=1.0, agent="201"))  # fmt: skip
    stats = (await c.get(f"{url}/stats", headers=h)).json()
    assert (stats["offered"], stats["answered"], stats["abandoned"]) == (3, 2, 1)
    assert stats["answered_within_service_level_pct"] == round(100 / 3, 3)
    assert stats["avg_wait_seconds"] == 25.0
    assert stats["max_wait_seconds"] == 40.0
    assert stats["avg_talk_seconds"] == 75.0
    agents = {a["extension"]: a for a in stats["agents"]}
    assert set(agents) == {"102", "103"}  # B's 201 is not A's
    assert (agents["102"]["calls"], agents["102"]["ring_seconds"]) == (1, 4.0)
    since = (now + timedelta(minutes=2)).isoformat()
    window = (await c.get(f"{url}/stats", params={"since": since}, headers=h)).json()
    assert window["offered"] == 2
    bad = await c.get(f"{url}/stats", params={"since": since, "until": now.isoformat()},
                      headers=h)  # fmt: skip
    assert bad.status_code == 422


async def test_wallboard_now_and_not_for_another_tenant(world: World) -> None:
    c, h = world.client, world.auth("admin_a")
    url = await _queue_of_a(world)
    now = world.clock.utcnow()
    async with world.database.transaction() as session:
        for ago, outcome, agent in ((30, QueueOutcome.WAITING, None),
                                    (10, QueueOutcome.WAITING, None),
                                    (60, QueueOutcome.ANSWERED, "102")):  # fmt: skip
            session.add(QueueCall(tenant_id=world.ids["a"], queue_number="500", call_id=f"w{ago}",
                                  caller="101", entered_at=now - timedelta(seconds=ago),
                                  outcome=outcome, wait_seconds=5.0, agent=agent))  # fmt: skip
    await c.put("/api/v1/agents/103/state", json={"state": "paused", "reason": "1"}, headers=h)
    board = (await c.get(f"{url}/wallboard", headers=h)).json()
    assert (board["waiting"], board["longest_wait_seconds"]) == (2, 30.0)
    assert board["agents"] == [{"extension": "102", "state": "busy"},
                               {"extension": "103", "state": "paused"}]  # fmt: skip
    assert board["agents_by_state"]["busy"] == 1
    assert board["service_level_today_pct"] == 100.0
    other = await c.get(f"{url}/wallboard", headers=world.auth("admin_b"))
    assert other.status_code == 404
