"""Appointments and campaign calendars in the multi-tenant table: A's appointment and A's
campaign's CalDAV settings are out of B's reach; B cannot book into A's campaign, for A's lead
or A's extension, nor sync A's calendar; an agent of A who works on none of A's campaigns sees
and changes none of its appointments."""

from __future__ import annotations

from tests.api.multitenant_row import LIST, READ, REFERENCE, WRITE, Row, V, json_body, ref
from tests.api.multitenant_world import Env, _post

AGENT = (("agent_a", None),)
WHEN = {"starts_at": "2026-06-02T10:00:00+02:00", "ends_at": "2026-06-02T11:00:00+02:00"}
BOOK = {"title": "Mallory meeting", **WHEN}
CALENDAR = {"url": "https://dav.b.example.com/mallory/", "username": "mallory", "secret": "m"}

ROWS: list[Row] = [
    Row("GET", f"{V}/appointments", LIST, own="appointment_id"),
    Row("GET", f"{V}/appointments", LIST, own="appointment_id", attackers=AGENT,
        note="agent of A, not an agent of the campaign"),
    Row("GET", f"{V}/appointments", READ, query={"campaign_id": "{campaign_id}"},
        note="of A's campaign"),
    Row("POST", f"{V}/appointments", REFERENCE,
        body=ref(lambda ids: {**BOOK, "campaign_id": ids["campaign_id"]}),
        error="campaign-not-found", note="into campaign of A"),
    Row("POST", f"{V}/appointments", REFERENCE, attackers=AGENT,
        body=ref(lambda ids: {**BOOK, "campaign_id": ids["campaign_id"], "extension": "302"}),
        error="campaign-not-found", note="agent of A into a campaign not its own"),
    Row("POST", f"{V}/appointments", REFERENCE,
        body=ref(lambda ids: {**BOOK, "campaign_id": ids["b_campaign_id"],
                              "lead_id": ids["lead_id"]}),
        error="lead-not-found", note="lead of A in own campaign"),
    Row("POST", f"{V}/appointments", REFERENCE,
        body=ref(lambda ids: {**BOOK, "campaign_id": ids["b_campaign_id"], "extension": "301"}),
        status=422, error="appointment-agent-unknown", note="extension of A in own campaign"),
    Row("GET", f"{V}/appointments/{{appointment_id}}", READ),
    Row("GET", f"{V}/appointments/{{appointment_id}}", READ, attackers=AGENT,
        note="agent of A, not an agent of the campaign"),
    Row("PUT", f"{V}/appointments/{{appointment_id}}", WRITE, body=json_body({"title": "Mine"})),
    Row("PUT", f"{V}/appointments/{{appointment_id}}", WRITE, body=json_body({"title": "Mine"}),
        attackers=AGENT, note="agent of A, not an agent of the campaign"),
    Row("DELETE", f"{V}/appointments/{{appointment_id}}", WRITE),
    Row("DELETE", f"{V}/appointments/{{appointment_id}}", WRITE, attackers=AGENT,
        note="agent of A, not an agent of the campaign"),
    Row("GET", f"{V}/campaigns/{{campaign_id}}/calendar", READ),
    Row("PUT", f"{V}/campaigns/{{campaign_id}}/calendar", WRITE, body=json_body(CALENDAR)),
    Row("DELETE", f"{V}/campaigns/{{campaign_id}}/calendar", WRITE),
    Row("POST", f"{V}/campaigns/{{campaign_id}}/calendar/sync", WRITE),
]  # fmt: skip


async def seed(env: Env) -> None:
    """A's appointment with Zoe's lead in A's campaign, and A's campaign calendar (a server
    that does not exist: nothing here syncs)."""
    ids = env.ids
    made = await _post(env, "admin_a", "/api/v1/appointments",
                       json={"campaign_id": ids["campaign_id"], "lead_id": ids["lead_id"],
                             "extension": "301", "title": "Zoe appointment",
                             "notes": "Zoe notes", **WHEN})  # fmt: skip
    ids["appointment_id"] = made["id"]
    headers = env.world.auth("admin_a")
    response = await env.world.client.put(
        f"/api/v1/campaigns/{ids['campaign_id']}/calendar", headers=headers,
        json={"url": "http://127.0.0.1:9/zoe/", "username": "zoe", "secret": "zoe-pw"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
