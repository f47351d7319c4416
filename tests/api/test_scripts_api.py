"""/api/v1/scripts, /api/v1/campaigns/{id}/script, /api/v1/leads/{id}/script and
/api/v1/leads/{id}/answers (SQLite and PostgreSQL): CRUD with 201 + Location; bad definitions
refused with 422 naming each problem and its error id (dangling branch, unknown field), a taken
name 409, nothing saved; `validate` answering every problem; a campaign bound and checked
against its leads' fields; a lead's script merged with its fields; answers stored, replaced,
removed and refused when not an option; who may: admin and supervisor edit, an agent reads and
answers only for leads of its campaigns (directly or through its agent group), a plain user
403; deleting a script unbinds its campaigns."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select

from centrex.contact_center.scripts import lead_answers
from centrex.data.models import CampaignScript, Extension, Lead, LeadAnswer, Role, Tenant
from centrex.data.tenancy import TenantScope
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import tokens as token_service
from centrex.provisioning import users as user_service
from tests.api.conftest import World
from tests.api.test_campaigns_api import _ok, _setup

S, C, L = "/api/v1/scripts", "/api/v1/campaigns", "/api/v1/leads"

SCRIPT: dict[str, Any] = {
    "start": "intro",
    "fields": ["Company"],
    "pages": [
        {"id": "intro", "title": "Hello {first_name}", "text": "Bonjour {first_name} de {Company}",
         "questions": [{"id": "interested", "label": "Interested, {name}?", "type": "choice",
                        "options": ["yes", "no"], "branches": {"yes": "offer", "no": "bye"}}],
         "next": "offer"},
        {"id": "offer", "title": "Offer", "text": "{{20%}} off for {postal_code}",
         "questions": [{"id": "budget", "label": "Budget?", "type": "text"},
                       {"id": "callback", "label": "Call back?", "type": "yesno"}]},
        {"id": "bye", "title": "Goodbye", "text": "Merci"},
    ],
    "objections": [{"id": "price", "label": "Too expensive",
                    "rebuttal": "{Company} saves money with us"}],
}  # fmt: skip


def dangling() -> dict[str, Any]:
    broken = copy.deepcopy(SCRIPT)
    broken["pages"][0]["questions"][0]["branches"]["no"] = "byebye"
    broken["pages"][1]["next"] = "bye"  # still reached: the dangling branch is the one problem
    return broken


async def _staff(world: World, campaign_id: int) -> None:
    """Agent Alice owns 301 (the campaign's agent), agent Bob 302 (not), agent Carla 303 (a
    member of queue 600, the campaign's agent group), supervisor Sonia."""
    now = world.clock.utcnow()
    async with world.database.transaction() as session:
        scope = tenant_service.scope_of(session, await session.get_one(Tenant, world.ids["a"]))
        for key, role, number in (("alice", "agent", "301"), ("bob", "agent", "302"),
                                  ("carla", "agent", "303"), ("sonia", "supervisor", None)):  # fmt: skip
            user = await user_service.create_user(scope, name=key.title(), role=role,
                                                  email=f"{key}@a.example.com")  # fmt: skip
            if number == "301":
                ext = await scope.first(Extension, Extension.number == "301")
                assert ext is not None
                ext.user_id = user.id
            elif number is not None:
                await extension_service.create_extension(scope, number=number, user_id=user.id,
                                                         voicemail=False)  # fmt: skip
            made = await token_service.create_token(session, role=Role(role), now=now,
                                                    tenant_id=world.ids["a"], user_id=user.id)  # fmt: skip
            world.tokens[key] = made.secret
    await _ok(world, "POST", "/api/v1/queues", status=201,
              json={"number": "600", "name": "Carla team", "members": [{"extension": "303"}]})  # fmt: skip
    await _ok(world, "PATCH", f"{C}/{campaign_id}", json={"groups": ["600"]})


async def _leads(world: World, campaign_id: int) -> dict[str, int]:
    found = (await _ok(world, "GET", L, params={"campaign_id": campaign_id}))["items"]
    return {item["name"]: item["id"] for item in found}


async def _count(world: World, model: Any) -> int:
    async with world.database.transaction() as session:
        return len((await session.scalars(select(model))).all())


async def test_crud_and_bad_input(world: World) -> None:
    response = await world.client.post(S, headers=world.auth("admin_a"),
                                       json={"name": "Spring", "definition": SCRIPT})  # fmt: skip
    assert response.status_code == 201, response.text
    made = response.json()
    assert response.headers["Location"] == f"{S}/{made['id']}"
    assert {k: made[k] for k in ("name", "definition", "campaigns")} == {
        "name": "Spring", "definition": SCRIPT, "campaigns": []}  # fmt: skip
    sid = made["id"]
    assert (await _ok(world, "GET", f"{S}/{sid}"))["definition"] == SCRIPT
    # a dangling branch: 422 naming the page and question, nothing saved
    refused = await _ok(world, "POST", S, status=422,
                        json={"name": "Broken", "definition": dangling()})  # fmt: skip
    assert refused["error_id"] == "script-branch-dangling"
    assert refused["field"] == "definition.pages.intro.questions.interested"
    assert refused["errors"] == [{
        "field": "definition.pages.intro.questions.interested",
        "message": "page 'intro', question 'interested': the answer 'no' branches to 'byebye', "
                   "which is not a page of the script",
        "type": "script-branch-dangling"}]  # fmt: skip
    assert "byebye" in refused["detail"]
    # an unknown merge field
    unknown = copy.deepcopy(SCRIPT)
    unknown["pages"][2]["text"] = "Merci {city}"
    refused = await _ok(
        world, "POST", S, status=422, json={"name": "Unknown", "definition": unknown}
    )
    assert refused["error_id"] == "script-field-unknown"
    assert "{city}" in refused["errors"][0]["message"]
    # the same name twice: 409
    taken = await _ok(world, "POST", S, status=409, json={"name": " Spring ", "definition": SCRIPT})
    assert taken["error_id"] == "script-name-taken"
    listed = await _ok(world, "GET", S)
    assert (listed["total"], [s["name"] for s in listed["items"]]) == (1, ["Spring"])
    # an update refused changes nothing; a good one renames and replaces
    refused = await _ok(world, "PUT", f"{S}/{sid}", status=422,
                        json={"name": "Renamed", "definition": dangling()})  # fmt: skip
    assert refused["error_id"] == "script-branch-dangling"
    kept = await _ok(world, "GET", f"{S}/{sid}")
    assert (kept["name"], kept["definition"]) == ("Spring", SCRIPT)
    other = await _ok(world, "POST", S, status=201, json={"name": "Other", "definition": SCRIPT})
    assert (await _ok(world, "PUT", f"{S}/{sid}", status=409,
                      json={"name": "Other"}))["error_id"] == "script-name-taken"  # fmt: skip
    world.clock.advance(60)
    smaller = {"start": "bye", "pages": [SCRIPT["pages"][2]]}
    renamed = await _ok(world, "PUT", f"{S}/{sid}", json={"name": "Summer", "definition": smaller})
    assert (renamed["name"], renamed["definition"]) == ("Summer", smaller)
    assert renamed["updated_at"] > renamed["created_at"]
    await _ok(world, "POST", S, status=422, json={"name": "X", "definition": SCRIPT, "extra": 1})
    await _ok(world, "DELETE", f"{S}/{other['id']}", status=204)
    assert (await _ok(world, "GET", f"{S}/{other['id']}", status=404))["error_id"] == (
        "script-not-found")  # fmt: skip
    assert [s["name"] for s in (await _ok(world, "GET", S))["items"]] == ["Summer"]


async def test_validate_answers_every_problem(world: World) -> None:
    assert await _ok(world, "POST", f"{S}/validate", json=SCRIPT) == {"valid": True, "errors": []}
    broken = dangling()
    broken["pages"].append({"id": "lost", "title": "Nobody reaches me"})
    checked = await _ok(world, "POST", f"{S}/validate", json=broken)
    assert checked == {"valid": False, "errors": [
        {"page": "intro", "question": "interested", "error": "script-branch-dangling",
         "message": "page 'intro', question 'interested': the answer 'no' branches to "
                    "'byebye', which is not a page of the script"},
        {"page": "lost", "question": None, "error": "script-page-unreachable",
         "message": "page 'lost': no path from the start page 'intro' reaches it"},
    ]}  # fmt: skip
    assert await _count(world, CampaignScript) == 0


async def test_campaign_binding_merged_script_and_answers(world: World) -> None:
    cid = (await _setup(world))["campaign"]["id"]
    leads = await _leads(world, cid)
    sid = (await _ok(world, "POST", S, status=201, json={"name": "Spring", "definition": SCRIPT}))[
        "id"
    ]
    # a lead of a campaign without a script
    none = await _ok(world, "GET", f"{L}/{leads['Zoe Lead']}/script", status=404)
    assert none["error_id"] == "lead-script-none"
    assert await _ok(world, "GET", f"{C}/{cid}/script") == {"campaign_id": cid, "script_id": None,
                                                             "name": None}  # fmt: skip
    # a script using a field the campaign's leads lack is refused for that campaign
    city = copy.deepcopy(SCRIPT)
    city["fields"] = ["Company", "city"]
    city["pages"][2]["text"] = "Merci {city}"
    city_id = (await _ok(world, "POST", S, status=201, json={"name": "City", "definition": city}))[
        "id"
    ]
    refused = await _ok(world, "PUT", f"{C}/{cid}/script", status=422, json={"script_id": city_id})
    assert refused["error_id"] == "script-field-unknown"
    assert "{city}" in refused["detail"]
    assert "'Zoe Spring'" in refused["detail"]
    bound = await _ok(world, "PUT", f"{C}/{cid}/script", json={"script_id": sid})
    assert bound == {"campaign_id": cid, "script_id": sid, "name": "Spring"}
    assert (await _ok(world, "GET", f"{S}/{sid}"))["campaigns"] == [cid]
    # bound now: an edit is checked against the campaign's leads too
    refused = await _ok(world, "PUT", f"{S}/{sid}", status=422, json={"definition": city})
    assert refused["error_id"] == "script-field-unknown"
    checked = await _ok(world, "POST", f"{S}/validate", params={"script_id": sid}, json=city)
    assert [e["error"] for e in checked["errors"]] == ["script-field-unknown"]
    # the lead's script, merged with its fields
    got = await _ok(world, "GET", f"{L}/{leads['Zoe Lead']}/script")
    assert (got["script_id"], got["name"], got["start"]) == (sid, "Spring", "intro")
    assert got["pages"][0] == {
        "id": "intro", "title": "Hello Zoe", "text": "Bonjour Zoe de Zoe AG", "next": "offer",
        "questions": [{"id": "interested", "label": "Interested, Zoe Lead?", "type": "choice",
                       "options": ["yes", "no"], "branches": {"yes": "offer", "no": "bye"}}]}  # fmt: skip
    assert got["pages"][1]["text"] == "{20%} off for 8001"
    assert got["pages"][1]["questions"][1]["options"] == ["yes", "no"]
    assert got["objections"] == [{"id": "price", "label": "Too expensive",
                                  "rebuttal": "Zoe AG saves money with us"}]  # fmt: skip
    assert got["answers"] == {}
    bern = await _ok(world, "GET", f"{L}/{leads['Bern']}/script")
    assert bern["pages"][0]["text"] == "Bonjour Bern de Bären"
    # answers: stored, replaced, removed; a bad one refused with nothing stored
    path = f"{L}/{leads['Zoe Lead']}/answers"
    saved = await _ok(world, "PUT", path, json={"answers": {"interested": "yes", "budget": "5k"}})
    assert saved == {"lead_id": leads["Zoe Lead"], "answers": {"interested": "yes", "budget": "5k"}}
    saved = await _ok(world, "PUT", path, json={"answers": {"interested": "no", "callback": "yes"}})
    assert saved["answers"] == {"interested": "no", "budget": "5k", "callback": "yes"}
    assert (await _ok(world, "PUT", path, json={"answers": {"budget": ""}}))["answers"] == {
        "interested": "no", "callback": "yes"}  # fmt: skip
    for answers, error in (({"interested": "maybe", "budget": "9k"}, "answer-bad-value"),
                           ({"callback": "oui"}, "answer-bad-value"),
                           ({"budget": "1k", "nope": "x"}, "answer-question-unknown")):  # fmt: skip
        refused = await _ok(world, "PUT", path, status=422, json={"answers": answers})
        assert refused["error_id"] == error, answers
    assert (await _ok(world, "GET", f"{L}/{leads['Zoe Lead']}/script"))["answers"] == {
        "interested": "no", "callback": "yes"}  # fmt: skip
    async with world.database.transaction() as session:
        scope = TenantScope(session, world.ids["a"], "a.example.com")
        assert await lead_answers(scope, leads["Zoe Lead"]) == {"interested": "no",
                                                                "callback": "yes"}  # fmt: skip
        other = TenantScope(session, world.ids["b"], "b.example.com")
        assert await lead_answers(other, leads["Zoe Lead"]) == {}
    # unbinding, then a deleted script unbinds its campaigns (answers stay with the lead)
    await _ok(world, "PUT", f"{C}/{cid}/script", json={"script_id": None})
    assert (await _ok(world, "GET", f"{C}/{cid}/script"))["script_id"] is None
    await _ok(world, "PUT", f"{C}/{cid}/script", json={"script_id": sid})
    await _ok(world, "DELETE", f"{S}/{sid}", status=204)
    assert (await _ok(world, "GET", f"{C}/{cid}/script"))["script_id"] is None
    assert await _count(world, CampaignScript) == 0
    assert await _count(world, LeadAnswer) == 2
    assert (await _ok(world, "PUT", f"{C}/{cid}/script", status=404,
                      json={"script_id": sid}))["error_id"] == "script-not-found"  # fmt: skip


async def test_who_may(world: World) -> None:
    cid = (await _setup(world))["campaign"]["id"]
    leads = await _leads(world, cid)
    await _staff(world, cid)
    lead = leads["Zoe Lead"]
    # the supervisor edits scripts and binds them
    sid = (await _ok(world, "POST", S, "sonia", 201, json={"name": "Sup", "definition": SCRIPT}))[
        "id"
    ]
    await _ok(world, "PUT", f"{C}/{cid}/script", "sonia", json={"script_id": sid})
    # agents: Alice (direct agent) and Carla (agent group member) read and answer; Bob is 404
    for who in ("alice", "carla"):
        assert (await _ok(world, "GET", f"{L}/{lead}/script", who))["script_id"] == sid
    stored = await _ok(world, "PUT", f"{L}/{lead}/answers", "alice",
                       json={"answers": {"budget": "Alice's"}})  # fmt: skip
    assert stored["answers"] == {"budget": "Alice's"}
    async with world.database.transaction() as session:
        row = (await session.scalars(select(LeadAnswer))).one()
        ext = (
            await session.scalars(select(Extension).where(Extension.id == row.extension_id))
        ).one()
        assert ext.number == "301"
    for method, path, body in (("GET", f"{L}/{lead}/script", None),
                               ("PUT", f"{L}/{lead}/answers", {"answers": {"budget": "Bob"}})):  # fmt: skip
        refused = await _ok(world, method, path, "bob", 404, json=body)
        assert refused["error_id"] == "lead-not-found"
    # agents never edit scripts; a plain user reaches nothing
    for who in ("alice", "user_a"):
        await _ok(world, "GET", S, who, 403)
        await _ok(world, "POST", S, who, 403, json={"name": "Mine", "definition": SCRIPT})
        await _ok(world, "PUT", f"{C}/{cid}/script", who, 403, json={"script_id": None})
        await _ok(world, "DELETE", f"{S}/{sid}", who, 403)
    await _ok(world, "GET", f"{L}/{lead}/script", "user_a", 403)
    # tenant B: A's script, campaign and lead are not found
    attacks: list[tuple[str, str, dict[str, Any] | None]] = [("GET", f"{S}/{sid}", None),
                               ("PUT", f"{S}/{sid}", {"name": "Mallory"}),
                               ("DELETE", f"{S}/{sid}", None),
                               ("PUT", f"{C}/{cid}/script", {"script_id": None}),
                               ("GET", f"{L}/{lead}/script", None),
                               ("PUT", f"{L}/{lead}/answers", {"answers": {"budget": "B"}})]  # fmt: skip
    for method, path, body in attacks:
        await _ok(world, method, path, "admin_b", 404, json=body)
    assert (await _ok(world, "GET", S, "admin_b"))["total"] == 0
    assert (await _ok(world, "GET", f"{S}/{sid}"))["name"] == "Sup"
    async with world.database.transaction() as session:
        assert (await session.scalars(select(LeadAnswer.value))).all() == ["Alice's"]
        assert (await session.get_one(Lead, lead)).custom == {"Company": "Zoe AG"}
