"""/api/v1/recordings search parameters (SQLite and PostgreSQL): `lead`, `number`, `name`,
`campaign`, `disposition`, `since`, `until` each narrow the list to the right recordings,
joined through the dialer's lead attempts (`call_id`); the answer carries the lead, campaign and
disposition of a dialer call; bad values are 422; another tenant's lead or campaign id finds
nothing (like another tenant's CDR id), and B's own search never shows A's recordings. Who may:
a tenant admin and a supervisor read (list, read, audio), an agent and a plain user are 403,
and only an administrator deletes; supervisors also reach the campaign routes the console uses
(list, read, start, pause, stop, focus, assignment by PATCH of agents/groups only), monitoring.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from centrex.data.models import (
    Cdr,
    Direction,
    Disposition,
    Extension,
    Lead,
    LeadAttempt,
    Role,
    Tenant,
)
from centrex.provisioning import recordings as recording_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import tokens as token_service
from centrex.provisioning import users as user_service
from centrex.provisioning.storage import MediaStore
from tests.api.conftest import World
from tests.api.test_campaigns_api import _ok, _setup
from tests.apps.conftest import tone, write_wav

R, C = "/api/v1/recordings", "/api/v1/campaigns"


async def _staff(world: World) -> None:
    """Supervisor Sonia and agent Alice of tenant A, each with a token."""
    now = world.clock.utcnow()
    async with world.database.transaction() as session:
        scope = tenant_service.scope_of(session, await session.get_one(Tenant, world.ids["a"]))
        for key, role in (("sonia", "supervisor"), ("alice", "agent")):
            user = await user_service.create_user(scope, name=key.title(), role=role,
                                                  email=f"{key}@a.example.com")  # fmt: skip
            made = await token_service.create_token(session, role=Role(role), now=now,
                                                    tenant_id=world.ids["a"], user_id=user.id)  # fmt: skip
            world.tokens[key] = made.secret


async def _world(world: World, store: MediaStore) -> dict[str, Any]:
    """A's campaign with two leads, each called once and recorded ("rec-zoe": Zoe Lead, a sale,
    yesterday; "rec-bern": Bern, not interested, today), and one recording of a plain call."""
    cid = (await _setup(world))["campaign"]["id"]
    await _staff(world)
    leads = (await _ok(world, "GET", "/api/v1/leads", params={"campaign_id": cid}))["items"]
    by_name = {item["name"]: item["id"] for item in leads}
    now = world.clock.utcnow()
    ids: dict[str, Any] = {"campaign": cid, "zoe": by_name["Zoe Lead"], "bern": by_name["Bern"]}
    async with world.database.transaction() as session:
        scope = tenant_service.scope_of(session, await session.get_one(Tenant, world.ids["a"]))
        ext = await scope.first(Extension, Extension.number == "301")
        assert ext is not None
        calls = (("rec-zoe", ids["zoe"], "sale", now - timedelta(days=1)),
                 ("rec-bern", ids["bern"], "not-interested", now),
                 ("rec-plain", None, None, now))  # fmt: skip
        for call_id, lead_id, code, when in calls:
            lead = await session.get(Lead, lead_id) if lead_id else None
            # the carrier's CDR may name the callee nationally: the lead's number is E.164
            callee = "0" + lead.number[3:] if lead is not None else "+41215550777"
            cdr = scope.add(Cdr(call_id=call_id, caller="+41215550100", callee=callee,
                                direction=Direction.OUTBOUND, started_at=when,
                                disposition=Disposition.ANSWERED, billsec=3))  # fmt: skip
            await session.flush()
            if lead_id is not None:
                scope.add(LeadAttempt(lead_id=lead_id, campaign_id=cid, started_at=when,
                                      ended_at=when, outcome="answered", disposition=code,
                                      extension_id=ext.id, call_id=call_id))  # fmt: skip
            _relative, path = store.new_file(world.ids["a"], "recordings")
            write_wav(path, tone(0.2))
            made = await recording_service.register_recording(
                scope, store, call_id=call_id, path=path, now=when, cdr_id=cdr.id, started_at=when
            )
            ids[call_id] = made.id
    return ids


def _calls(found: dict[str, Any]) -> list[str]:
    return sorted(item["call_id"] for item in found["items"])


async def _search(world: World, who: str = "admin_a", **params: Any) -> list[str]:
    return _calls(await _ok(world, "GET", R, who, params=params))


async def test_each_parameter_filters(world: World, tmp_path: Any) -> None:
    ids = await _world(world, MediaStore(tmp_path))
    everything = ["rec-bern", "rec-plain", "rec-zoe"]
    assert await _search(world) == everything
    assert await _search(world, lead=ids["zoe"]) == ["rec-zoe"]
    assert await _search(world, lead=ids["bern"]) == ["rec-bern"]
    assert await _search(world, campaign=ids["campaign"]) == ["rec-bern", "rec-zoe"]
    assert await _search(world, disposition="sale") == ["rec-zoe"]
    assert await _search(world, disposition="not-interested") == ["rec-bern"]
    assert await _search(world, disposition="callback") == []
    assert await _search(world, name="zoe") == ["rec-zoe"]  # any case, part of the name
    assert await _search(world, name="BERN") == ["rec-bern"]
    assert await _search(world, name="100%") == []  # a LIKE wildcard is a character here
    assert await _search(world, number="+41445550001") == ["rec-zoe"]  # the lead's number
    assert await _search(world, number="044 555 00 01") == ["rec-zoe"]  # the CDR's callee
    assert await _search(world, number="550777") == ["rec-plain"]  # a CDR party
    assert await _search(world, number="+41215550100") == everything  # the caller of all
    now = world.clock.utcnow()
    today = (now - timedelta(hours=1)).isoformat()
    assert await _search(world, since=today) == ["rec-bern", "rec-plain"]
    assert await _search(world, until=today) == ["rec-zoe"]
    assert await _search(world, since=today, disposition="sale") == []  # criteria combine
    assert await _search(world, campaign=ids["campaign"], name="bern") == ["rec-bern"]


async def test_the_answer_names_the_lead_and_disposition(world: World, tmp_path: Any) -> None:
    ids = await _world(world, MediaStore(tmp_path))
    found = await _ok(world, "GET", R, params={"disposition": "sale"})
    assert found["total"] == 1
    item = found["items"][0]
    assert (item["id"], item["lead_id"], item["lead_name"], item["campaign_id"],
            item["disposition"], item["callee"]) == (
        ids["rec-zoe"], ids["zoe"], "Zoe Lead", ids["campaign"], "sale", "0445550001"
    )  # fmt: skip
    plain = await _ok(world, "GET", R, params={"call_id": "rec-plain"})
    assert (plain["items"][0]["lead_id"], plain["items"][0]["disposition"]) == (None, None)


async def test_bad_values_are_422(world: World, tmp_path: Any) -> None:
    await _world(world, MediaStore(tmp_path))
    for params in ({"lead": "0"}, {"lead": "x"}, {"number": "abc"}, {"name": ""},
                   {"since": "2026-01-01T00:00:00"},  # a time without its zone
                   {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}):  # fmt: skip
        response = await world.client.get(R, params=params, headers=world.auth("admin_a"))
        assert response.status_code == 422, (params, response.text)


async def test_another_tenants_ids_find_nothing(world: World, tmp_path: Any) -> None:
    ids = await _world(world, MediaStore(tmp_path))
    for params in ({"lead": ids["zoe"]}, {"campaign": ids["campaign"]}, {"disposition": "sale"},
                   {"name": "Zoe"}, {"number": "+41445550001"}, {}):  # fmt: skip
        found = await _ok(world, "GET", R, "admin_b", params=params)
        assert (found["total"], found["items"]) == (0, []), params
    # and A's own search by the same lead finds it (the empty answers above are real)
    assert await _search(world, lead=ids["zoe"]) == ["rec-zoe"]


async def test_who_may_read_recordings(world: World, tmp_path: Any) -> None:
    ids = await _world(world, MediaStore(tmp_path))
    assert await _search(world, "sonia", disposition="sale") == ["rec-zoe"]
    one = f"{R}/{ids['rec-zoe']}"
    assert (await _ok(world, "GET", one, "sonia"))["call_id"] == "rec-zoe"
    audio = await world.client.get(f"{one}/audio", headers=world.auth("sonia"))
    assert (audio.status_code, audio.headers["content-type"]) == (200, "audio/wav")
    assert audio.content[:4] == b"RIFF"
    for who in ("alice", "user_a"):
        for path in (R, one, f"{one}/audio"):
            await _ok(world, "GET", path, who, 403)
    await _ok(world, "DELETE", one, "sonia", 403)  # deleting stays with administrators
    await _ok(world, "DELETE", one, "admin_a", 204)


async def test_supervisor_runs_campaigns_agents_and_users_cannot(
    world: World, tmp_path: Any
) -> None:
    ids = await _world(world, MediaStore(tmp_path))
    one = f"{C}/{ids['campaign']}"
    assert [c["id"] for c in (await _ok(world, "GET", C, "sonia"))["items"]] == [ids["campaign"]]
    assert (await _ok(world, "GET", one, "sonia"))["name"] == "Zoe Spring"
    assert (await _ok(world, "POST", f"{one}/start", "sonia"))["status"] == "running"
    assert (await _ok(world, "POST", f"{one}/pause", "sonia"))["status"] == "paused"
    focused = await _ok(world, "PUT", f"{one}/focus", "sonia", json={"postal_codes": ["80"]})
    assert focused["postal_focus"] == ["80"]
    await _ok(world, "POST", "/api/v1/extensions", "admin_a", 201, json={"number": "305"})
    assigned = await _ok(world, "PATCH", one, "sonia", json={"agents": ["301", "305"]})
    assert assigned["agents"] == ["301", "305"]
    refused = await world.client.patch(one, json={"ratio": 2}, headers=world.auth("sonia"))
    assert refused.status_code == 403, refused.text
    assert refused.json()["error_id"] == "campaign-supervisor-assignment-only"
    assert (await _ok(world, "GET", one))["ratio"] == 1.0  # nothing changed
    # creating and deleting stay with administrators
    await _ok(world, "POST", C, "sonia", 403, json={"name": "Sonia's", "method": "preview"})
    await _ok(world, "DELETE", one, "sonia", 403)
    for who in ("alice", "user_a"):
        await _ok(world, "GET", C, who, 403)
        await _ok(world, "GET", one, who, 403)
        for action in ("start", "pause", "stop"):
            await _ok(world, "POST", f"{one}/{action}", who, 403)
        await _ok(world, "PUT", f"{one}/focus", who, 403, json={"postal_codes": []})
        await _ok(world, "PATCH", one, who, 403, json={"agents": ["301"]})
    # another tenant's supervisor-reachable routes stay 404 for B's admin
    await _ok(world, "POST", f"{one}/start", "admin_b", 404)
    assert (await _ok(world, "GET", one))["status"] == "paused"
    assert (await _ok(world, "POST", f"{one}/stop", "sonia"))["status"] == "stopped"


async def test_monitor_is_for_supervisors_not_agents_or_users(world: World) -> None:
    await _staff(world)
    body = {"extension": "301", "mode": "listen"}
    for who, error in (("alice", "monitor-forbidden"), ("user_a", "monitor-forbidden"),
                       ("sonia", "not-your-extension")):  # fmt: skip
        response = await world.client.post("/api/v1/calls/call-1/monitor", json=body,
                                            headers=world.auth(who))  # fmt: skip
        assert response.status_code == 403, (who, response.text)
        assert response.json()["error_id"] == error
