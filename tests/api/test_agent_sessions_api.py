"""/api/v1/agents/{extension}/session and /api/v1/agents/sessions (SQLite and PostgreSQL):
log in to a campaign, ready, pause with a reason (the queue agent state follows), log out;
who may: an agent its own extension only, a supervisor and a tenant admin the tenant's, tenant
B nothing of A (404); a dialer call moves the session in-call then wrap-up, and ready is 409
`disposition-required` until the agent's disposition; the lead card of `GET /leads/{id}` for
an agent of the lead's campaign (recordings, dispositions, notes, answers) and the number
look-up of an inbound caller."""

from __future__ import annotations

from typing import Any

import pytest

from centrex.contact_center.agent_sessions import SessionFollower
from centrex.events import CallEvent, EventBus, LeadOffered
from tests.api.conftest import World
from tests.api.test_campaigns_api import _ok
from tests.api.test_dispositions_api import _world

S = "/api/v1/agents"


async def _put(world: World, who: str, ext: str, status: int = 200, **body: Any) -> Any:
    return await _ok(world, "PUT", f"{S}/{ext}/session", who, status, json=body)


async def test_login_ready_pause_logout(world: World) -> None:
    w = await _world(world)
    cid = w["campaign_id"]
    first = await _ok(world, "GET", f"{S}/301/session", "alice")
    assert (first["state"], first["campaigns"], first["since"]) == ("logged-out", [], None)
    assert (await _put(world, "alice", "301", 422, state="ready"))["error_id"] == (
        "agent-no-campaign")  # fmt: skip
    made = await _put(world, "alice", "301", campaigns=[cid], phone="browser", state="ready")
    assert made["campaigns"] == [{"id": cid, "name": "Zoe Spring"}]
    assert (made["state"], made["phone"], made["wrap_required"]) == ("ready", "browser", False)
    assert made["since"] == world.clock.utcnow().isoformat()
    world.clock.advance(42)
    read = await _ok(world, "GET", f"{S}/301/session", "alice")
    assert (read["state"], read["seconds_in_state"]) == ("ready", 42)
    refused = await _put(world, "alice", "301", 422, state="paused")
    assert refused["error_id"] == "agent-bad-pause-reason"
    refused = await _put(world, "alice", "301", 422, state="paused", reason="nap")
    assert refused["error_id"] == "agent-bad-pause-reason"
    paused = await _put(world, "alice", "301", state="paused", reason="2")
    assert (paused["state"], paused["reason"], paused["seconds_in_state"]) == ("paused", "lunch", 0)
    queue_state = await _ok(world, "GET", f"{S}/301/state", "alice")  # the phone's codes agree
    assert (queue_state["state"], queue_state["reason"]) == ("paused", "lunch")
    assert (await _put(world, "alice", "301", 422, state="busy"))["error_id"] == (
        "validation-failed")  # fmt: skip
    await _put(world, "alice", "301", 422, state="ready", phone="fax")
    gone = await _put(world, "alice", "301", state="logged-out")
    assert (gone["state"], gone["campaigns"]) == ("logged-out", [{"id": cid, "name": "Zoe Spring"}])
    assert (await _ok(world, "GET", f"{S}/301/state", "alice"))["state"] == "logged-out"
    # 302 (Bob) is no agent of the campaign; an unknown campaign is not found
    refused = await _put(world, "bob", "302", 422, campaigns=[cid], state="ready")
    assert refused["error_id"] == "agent-not-in-campaign"
    refused = await _put(world, "alice", "301", 404, campaigns=[999_999], state="ready")
    assert refused["error_id"] == "campaign-not-found"


async def test_who_may(world: World) -> None:
    w = await _world(world)
    await _put(world, "alice", "301", campaigns=[w["campaign_id"]], state="ready")
    for who, ext in (("alice", "302"), ("bob", "301")):  # an agent: its own extension only
        assert (await _ok(world, "GET", f"{S}/{ext}/session", who, 404))["error_id"] == (
            "extension-not-found")  # fmt: skip
        await _put(world, who, ext, 404, state="logged-out")
    assert await _ok(world, "GET", f"{S}/301/session", "bob", 404)
    await _ok(world, "GET", f"{S}/sessions", "alice", 403)
    for who in ("sonia", "admin_a"):
        floor = await _ok(world, "GET", f"{S}/sessions", who)
        assert [(s["extension"], s["state"]) for s in floor["items"]] == [("301", "ready")]
        assert floor["total"] == 1
    paused = await _put(world, "sonia", "301", state="paused", reason="break")
    assert paused["state"] == "paused"
    assert (await _ok(world, "GET", f"{S}/301/session", "alice"))["reason"] == "break"


@pytest.mark.parametrize("attacker", ["admin_b", "p2"])
async def test_tenant_b_never_reaches_a(world: World, attacker: str) -> None:
    w = await _world(world)
    await _put(world, "alice", "301", campaigns=[w["campaign_id"]], state="ready")
    headers = world.auth(attacker, "b.example.com" if attacker == "p2" else None)
    for method, path, body in (("GET", f"{S}/301/session", None),
                               ("PUT", f"{S}/301/session", {"state": "logged-out"}),
                               ("GET", f"{S}/302/session", None),
                               ("GET", f"/api/v1/leads/{w['alice_lead']}", None)):  # fmt: skip
        response = await world.client.request(method, path, headers=headers, json=body)
        assert response.status_code == 404, (method, path, response.text)
    # B's own extension 401 cannot log in to A's campaign either
    response = await world.client.put(f"{S}/401/session", headers=headers,
                                      json={"campaigns": [w["campaign_id"]], "state": "ready"})  # fmt: skip
    assert response.status_code == 404, response.text
    floor = await world.client.get(f"{S}/sessions", headers=headers)
    assert floor.status_code == 200
    assert floor.json() == {"total": 0, "items": []}
    assert (await _ok(world, "GET", f"{S}/301/session", "alice"))["state"] == "ready"


async def test_a_dialer_call_owes_a_disposition(world: World) -> None:
    w = await _world(world)
    cid, lead = w["campaign_id"], w["alice_lead"]
    await _put(world, "alice", "301", campaigns=[cid], state="ready")
    follower = SessionFollower(world.database, EventBus(), world.clock)
    a = world.ids["a"]
    # another tenant's event of the same extension number and call id changes nothing
    await follower.apply(LeadOffered(tenant_id=world.ids["b"], campaign="Zoe Spring",
                                     lead_id=lead, extension="301", call_id="c-1",
                                     state="connected"))  # fmt: skip
    assert (await _ok(world, "GET", f"{S}/301/session", "alice"))["state"] == "ready"
    await follower.apply(LeadOffered(tenant_id=a, campaign="Zoe Spring", lead_id=lead,
                                     extension="301", call_id="c-1", state="offered"))  # fmt: skip
    assert (await _ok(world, "GET", f"{S}/301/session", "alice"))["state"] == "ready"
    world.clock.advance(5)
    await follower.apply(LeadOffered(tenant_id=a, campaign="Zoe Spring", lead_id=lead,
                                     extension="301", call_id="c-1", state="connected"))  # fmt: skip
    busy = await _ok(world, "GET", f"{S}/301/session", "alice")
    assert {k: busy[k] for k in ("state", "lead_id", "campaign_id", "call_id")} == {
        "state": "in-call", "lead_id": lead, "campaign_id": cid, "call_id": "c-1"}  # fmt: skip
    await follower.apply(CallEvent(tenant_id=world.ids["b"], call_id="c-1", state="ended"))
    assert (await _ok(world, "GET", f"{S}/301/session", "alice"))["state"] == "in-call"
    await follower.apply(CallEvent(tenant_id=a, call_id="c-1", state="ended"))
    wrap = await _ok(world, "GET", f"{S}/301/session", "alice")
    assert (wrap["state"], wrap["wrap_required"], wrap["lead_id"]) == ("wrap-up", True, lead)
    refused = await _put(world, "alice", "301", 409, state="ready")
    assert refused["error_id"] == "disposition-required"
    await _put(world, "alice", "301", state="paused", reason="break")  # a pause is allowed
    await _ok(world, "POST", f"/api/v1/leads/{lead}/disposition", "alice",
              json={"disposition": "sale", "note": "two licences"})  # fmt: skip
    ready = await _put(world, "alice", "301", state="ready")
    assert (ready["state"], ready["wrap_required"]) == ("ready", False)


async def test_the_lead_card_for_agents(world: World) -> None:
    w = await _world(world)
    lead = w["alice_lead"]
    await _ok(world, "POST", f"/api/v1/leads/{lead}/disposition", "alice",
              json={"disposition": "callback", "note": "call at 5"})  # fmt: skip
    card = await _ok(world, "GET", f"/api/v1/leads/{lead}", "alice")
    assert [d["disposition"] for d in card["dispositions"]] == ["callback"]
    assert card["dispositions"][0]["extension"] == "301"
    assert (card["notes"], card["recordings"]) == ("call at 5", [])
    assert isinstance(card["answers"], dict)
    # the never-called lead of the campaign is readable too (an agent of the campaign)
    assert (await _ok(world, "GET", f"/api/v1/leads/{w['leads'][2]}", "alice"))["id"] == (
        w["leads"][2])  # fmt: skip
    assert (await _ok(world, "GET", f"/api/v1/leads/{lead}", "bob", 404))["error_id"] == (
        "lead-not-found")  # fmt: skip
    await _ok(world, "GET", f"/api/v1/leads/{lead}", "user_a", 403)
    assert (await _ok(world, "GET", f"/api/v1/leads/{lead}", "sonia"))["id"] == lead
    # an inbound caller's number, national form: the agent's campaigns' leads only
    number = card["number"]
    national = "0" + number[3:]
    found = await _ok(world, "GET", "/api/v1/leads", "alice", params={"number": national})
    assert [x["id"] for x in found["items"]] == [lead]
    assert (await _ok(world, "GET", "/api/v1/leads", "bob",
                      params={"number": national}))["total"] == 0  # fmt: skip
    await _ok(world, "GET", "/api/v1/leads", "alice", 403)  # the full search stays the admins'
