"""/api/v1/dispositions and /api/v1/leads/{id}/disposition (SQLite and PostgreSQL): the list
(system codes first), a tenant code created (201 + Location), refused as a duplicate or a
system code (409) or a bad code (422), deleted (system 409, unknown 404); a lead dispositioned
with the lead's JSON in the answer (as `GET /leads/{id}`), its effects (do-not-call → the DNC
list, answering-machine → due again) and the campaign stats counting it; who may: tenant admin
and supervisor anything, an agent only its own last call (another agent's lead 404), a plain
user 403; and tenant B never reads or changes A's codes or leads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from centrex.data.models import Extension, Lead, LeadAttempt, Role, Tenant
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import tokens as token_service
from centrex.provisioning import users as user_service
from tests.api.conftest import World
from tests.api.test_campaigns_api import _ok, _setup

DISP, LEADS = "/api/v1/dispositions", "/api/v1/leads"
SYSTEM_CODES = ["sale", "not-interested", "wrong-number", "do-not-call", "callback",
                "answering-machine"]  # fmt: skip


async def _staff(world: World) -> None:
    """Agents Alice (extension 301) and Bob (302), supervisor Sonia, each with a token."""
    now = world.clock.utcnow()
    async with world.database.transaction() as session:
        scope = tenant_service.scope_of(session, await session.get_one(Tenant, world.ids["a"]))
        for key, name, role, number in (("alice", "Alice", "agent", "301"),
                                        ("bob", "Bob", "agent", "302"),
                                        ("sonia", "Sonia", "supervisor", None)):  # fmt: skip
            user = await user_service.create_user(scope, name=name, role=role,
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


async def _world(world: World) -> dict[str, Any]:
    """A's campaign with three leads: the first one's last call was Alice's, the second one's
    Bob's, the third was never called."""
    cid = (await _setup(world))["campaign"]["id"]
    await _staff(world)
    found = (await _ok(world, "GET", LEADS, params={"campaign_id": cid}))["items"]
    leads = sorted(item["id"] for item in found)
    now = world.clock.utcnow()
    async with world.database.transaction() as session:
        rows = await session.execute(select(Extension.number, Extension.id)
                                     .where(Extension.tenant_id == world.ids["a"]))  # fmt: skip
        exts = {number: ext_id for number, ext_id in rows.all()}
        for lead_id, number in ((leads[0], "301"), (leads[1], "302")):
            lead = await session.get_one(Lead, lead_id)
            lead.attempts = 1
            session.add(LeadAttempt(tenant_id=world.ids["a"], lead_id=lead_id, campaign_id=cid,
                                    started_at=now - timedelta(minutes=5), ended_at=now,
                                    outcome="answered", extension_id=exts[number]))  # fmt: skip
        never = Lead(tenant_id=world.ids["a"], campaign_id=cid, number="+41445550003",
                     batch_id=(await session.get_one(Lead, leads[0])).batch_id)  # fmt: skip
        session.add(never)
        await session.flush()
        leads.append(never.id)
    return {"campaign_id": cid, "alice_lead": leads[0], "bob_lead": leads[1], "leads": leads}


async def _set(world: World, lead_id: int, code: str, who: str = "admin_a", status: int = 200,
               **extra: Any) -> Any:  # fmt: skip
    return await _ok(world, "POST", f"{LEADS}/{lead_id}/disposition", who, status,
                     json={"disposition": code, **extra})  # fmt: skip


async def test_list_create_delete(world: World) -> None:
    listed = await _ok(world, "GET", DISP)
    assert [d["code"] for d in listed["items"]] == SYSTEM_CODES
    assert listed["total"] == 6
    assert listed["items"][4] == {"code": "callback", "label": "Callback", "final": False,
                                  "system": True}  # fmt: skip
    response = await world.client.post(DISP, headers=world.auth("admin_a"),
                                       json={"code": "call-later", "label": "Call later",
                                             "final": False})  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == "/api/v1/dispositions/call-later"
    assert response.json() == {"code": "call-later", "label": "Call later", "final": False,
                               "system": False}  # fmt: skip
    made = await _ok(world, "POST", DISP, status=201, json={"code": "promo", "label": "Promo"})
    assert made["final"] is True
    assert (await _ok(world, "POST", DISP, status=409,
                      json={"code": "promo", "label": "Again"}))["error_id"] == "disposition-exists"  # fmt: skip
    assert (await _ok(world, "POST", DISP, status=409,
                      json={"code": "sale", "label": "Mine"}))["error_id"] == "disposition-system"  # fmt: skip
    for bad in ("Promo", "-x", "a" * 33, "a_b"):
        refused = await _ok(world, "POST", DISP, status=422, json={"code": bad, "label": "X"})
        assert refused["error_id"] == "disposition-bad-code", bad
    assert (await _ok(world, "POST", DISP, status=422,
                      json={"code": "ok", "label": "x" * 65}))["error_id"] == "disposition-bad-label"  # fmt: skip
    await _ok(world, "POST", DISP, status=422, json={"code": "ok", "label": "X", "extra": 1})
    codes = [d["code"] for d in (await _ok(world, "GET", DISP))["items"]]
    assert codes == [*SYSTEM_CODES, "call-later", "promo"]
    assert (await _ok(world, "DELETE", f"{DISP}/sale", status=409))["error_id"] == (
        "disposition-system")  # fmt: skip
    assert (await _ok(world, "DELETE", f"{DISP}/nope", status=404))["error_id"] == (
        "disposition-not-found")  # fmt: skip
    await _ok(world, "DELETE", f"{DISP}/promo", status=204)
    codes = [d["code"] for d in (await _ok(world, "GET", DISP))["items"]]
    assert codes == [*SYSTEM_CODES, "call-later"]


async def test_disposition_a_lead_and_its_effects(world: World) -> None:
    w = await _world(world)
    lead = await _set(world, w["alice_lead"], "sale", note="two licences")
    read = await _ok(world, "GET", f"{LEADS}/{w['alice_lead']}")
    assert lead == read  # the answer is the lead as GET shows it
    assert (lead["status"], lead["disposition"], lead["next_attempt_at"]) == ("done", "sale", None)
    assert lead["custom"]["disposition_note"] == "two licences"
    assert [h["disposition"] for h in lead["history"]] == ["sale"]
    machine = await _set(world, w["bob_lead"], "answering-machine")
    due = world.clock.utcnow() + timedelta(seconds=7200)  # the default "machine" delay
    assert (machine["status"], machine["next_attempt_at"]) == ("retry", due.isoformat())
    blocked = await _set(world, w["leads"][2], "do-not-call")
    assert blocked["status"] == "done"
    dnc = (await _ok(world, "GET", "/api/v1/dnc"))["items"]
    assert blocked["number"] in [e["number"] for e in dnc]
    unknown = await _set(world, w["alice_lead"], "sold", status=422)
    assert unknown["error_id"] == "disposition-unknown"
    assert "sale" in unknown["detail"]
    await _set(world, 999_999, "sale", status=404)
    stats = await _ok(world, "GET", f"/api/v1/campaigns/{w['campaign_id']}/stats")
    # the lead never called (do-not-call) has no attempt to count
    assert stats["dispositions"] == {"answering-machine": 1, "sale": 1}


async def test_who_may(world: World) -> None:
    w = await _world(world)
    assert (await _ok(world, "GET", DISP, "alice"))["total"] == 6  # agents read the list
    for who in ("alice", "sonia"):
        await _ok(world, "POST", DISP, who, 403 if who == "alice" else 201,
                  json={"code": f"by-{who}", "label": "X"})  # fmt: skip
    await _ok(world, "DELETE", f"{DISP}/by-sonia", "alice", 403)
    await _ok(world, "DELETE", f"{DISP}/by-sonia", "sonia", 204)
    # an agent: its own last call only; another agent's lead is not found, and stays as it was
    hidden = await _set(world, w["bob_lead"], "sale", "alice", 404)
    assert hidden["error_id"] == "lead-not-found"
    await _set(world, w["leads"][2], "sale", "alice", 404)  # never called
    assert (await _ok(world, "GET", f"{LEADS}/{w['bob_lead']}"))["disposition"] is None
    assert (await _set(world, w["alice_lead"], "not-interested", "alice"))["disposition"] == (
        "not-interested")  # fmt: skip
    assert (await _set(world, w["bob_lead"], "sale", "bob"))["status"] == "done"
    # a supervisor: any lead of the tenant; a plain user: none, and not the list
    assert (await _set(world, w["leads"][2], "wrong-number", "sonia"))["status"] == "done"
    await _set(world, w["alice_lead"], "sale", "user_a", 403)
    await _ok(world, "GET", DISP, "user_a", 403)


@pytest.mark.parametrize("attacker", ["admin_b", "p2"])
async def test_tenant_b_never_reaches_a(world: World, attacker: str) -> None:
    w = await _world(world)
    await _ok(world, "POST", DISP, status=201, json={"code": "zoe-deal", "label": "Zoe deal"})

    async def as_b(method: str, path: str, status: int, **kw: Any) -> Any:
        headers = world.auth(attacker, "b.example.com" if attacker == "p2" else None)
        response = await world.client.request(method, path, headers=headers, **kw)
        assert response.status_code == status, (method, path, response.text)
        return response.json() if response.content else None

    listed = await as_b("GET", DISP, 200)
    assert "zoe-deal" not in [d["code"] for d in listed["items"]]
    await as_b("DELETE", f"{DISP}/zoe-deal", 404)
    await as_b("POST", f"{LEADS}/{w['alice_lead']}/disposition", 404, json={"disposition": "sale"})
    await as_b("POST", DISP, 201, json={"code": "zoe-deal", "label": "B's own"})  # B's namespace
    mine = [d for d in (await _ok(world, "GET", DISP))["items"] if d["code"] == "zoe-deal"]
    assert mine == [{"code": "zoe-deal", "label": "Zoe deal", "final": True, "system": False}]
    lead = await _ok(world, "GET", f"{LEADS}/{w['alice_lead']}")
    assert (lead["disposition"], lead["status"]) == (None, "new")
