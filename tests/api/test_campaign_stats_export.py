"""Agent statistics through the API (SQLite and PostgreSQL): `GET /campaigns/{id}/stats` keeps
the dialer's figures and adds the agents' and the totals over a period, the same figures in
the PDF (read back with pdftotext) and in the XLSX (read back with openpyxl); `GET
/agents/{extension}/stats` gives an agent its own day (another's is 404); `GET
/campaigns/{id}/export.xlsx` holds the leads with their custom fields and script answers and
the appointments. Agents' states come from the API's `PUT /agents/{extension}/state` (the
call layer's set_agent_state: the path of the phone codes too), so that path logs."""

from __future__ import annotations

import io
import subprocess
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from centrex.contact_center.stats_documents import hms
from centrex.data.models import Extension, Lead, LeadAttempt
from centrex.data.models.appointments import Appointment
from centrex.data.models.scripts import LeadAnswer
from tests.api.conftest import World
from tests.api.test_campaigns_api import _ok
from tests.api.test_dispositions_api import _world

C = "/api/v1/campaigns"


async def _day(world: World) -> dict[str, Any]:
    """08:00 on the clock's second day: Alice (301) ready, a sale call at +60 s (ring 10, talk
    120, wrap 30), paused for lunch 600-900, ready again; Bob (302) ready the whole time, a
    callback call at +300 s (ring 5, talk 60); read at +1000 s. Alice booked an appointment,
    the first lead has custom fields and two script answers."""
    w = await _world(world)
    world.clock.advance(32 * 3600)  # the second day 08:00; _world's calls were the day before
    start = world.clock.utcnow()
    await _ok(world, "PUT", "/api/v1/agents/301/state", "alice", json={"state": "ready"})
    await _ok(world, "PUT", "/api/v1/agents/302/state", json={"state": "ready"})
    async with world.database.transaction() as session:
        rows = await session.execute(select(Extension.number, Extension.id)
                                     .where(Extension.tenant_id == world.ids["a"]))  # fmt: skip
        exts = {number: ext_id for number, ext_id in rows.all()}
        for lead_id, number, offset, ring, talk, wrap, code in (
            (w["alice_lead"], "301", 60, 10, 120, 30, "sale"),
            (w["bob_lead"], "302", 300, 5, 60, 0, "callback"),
        ):
            session.add(LeadAttempt(tenant_id=world.ids["a"], lead_id=lead_id,
                                    campaign_id=w["campaign_id"], outcome="answered",
                                    started_at=start + timedelta(seconds=offset),
                                    ended_at=start + timedelta(seconds=offset + ring + talk),
                                    extension_id=exts[number], ring_seconds=ring,
                                    talk_seconds=talk, wrap_seconds=wrap,
                                    disposition=code))  # fmt: skip
        lead = await session.get_one(Lead, w["alice_lead"])
        lead.custom = {**lead.custom, "city": "Lausanne"}  # the import gave it "Company"
        for question, value in (("interested", "yes"), ("budget", "=1+1")):
            session.add(LeadAnswer(tenant_id=world.ids["a"], lead_id=lead.id, question=question,
                                   value=value, extension_id=exts["301"],
                                   answered_at=start))  # fmt: skip
        session.add(Appointment(tenant_id=world.ids["a"], campaign_id=w["campaign_id"],
                                lead_id=lead.id, extension_id=exts["301"], title="Demo at Acme",
                                starts_at=start + timedelta(days=2),
                                ends_at=start + timedelta(days=2, hours=1), uid="demo-1@test",
                                created_at=start + timedelta(seconds=200)))  # fmt: skip
    world.clock.advance(600)
    await _ok(world, "PUT", "/api/v1/agents/301/state", "alice",
              json={"state": "paused", "reason": "lunch"})  # fmt: skip
    world.clock.advance(300)
    await _ok(world, "PUT", "/api/v1/agents/301/state", "alice", json={"state": "ready"})
    world.clock.advance(100)
    return {**w, "start": start}


ALICE = {"extension": "301", "calls": 1, "contacts": 1, "talk_seconds": 120, "wrap_seconds": 30,
         "ring_seconds": 10, "idle_seconds": 540, "pause_seconds": {"lunch": 300},
         "pause_total_seconds": 300, "logged_in_seconds": 1000, "occupancy_pct": 21.43,
         "dispositions": {"sale": 1}, "appointments": 1}  # fmt: skip
BOB = {"extension": "302", "calls": 1, "contacts": 1, "talk_seconds": 60, "wrap_seconds": 0,
       "ring_seconds": 5, "idle_seconds": 935, "pause_seconds": {}, "pause_total_seconds": 0,
       "logged_in_seconds": 1000, "occupancy_pct": 6.0, "dispositions": {"callback": 1},
       "appointments": 0}  # fmt: skip


def _row(a: dict[str, Any]) -> str:
    """An agent's row as the PDF prints it (whitespace-normalised)."""
    occupancy = "-" if a["occupancy_pct"] is None else f"{a['occupancy_pct']:.2f}"
    return " ".join([a["extension"], str(a["calls"]), str(a["contacts"]),
                     hms(a["talk_seconds"]), hms(a["wrap_seconds"]), hms(a["ring_seconds"]),
                     hms(a["pause_total_seconds"]), hms(a["idle_seconds"]),
                     hms(a["logged_in_seconds"]), occupancy, str(a["appointments"])])  # fmt: skip


def _pdf_text(content: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,
                          capture_output=True, check=True)  # fmt: skip
    return done.stdout.decode()


async def test_stats_json_pdf_xlsx_hold_the_same_figures(world: World) -> None:
    w = await _day(world)
    url = f"{C}/{w['campaign_id']}/stats"
    stats = await _ok(world, "GET", url, "sonia")  # a supervisor reads the tenant's
    assert {"placed", "answered", "dropped", "drop_pct", "today", "last_30_days",
            "callbacks_done", "outcomes"} <= set(stats)  # the dialer's figures stay  # fmt: skip
    assert stats["period"] == {"since": w["start"].replace(hour=0).isoformat(),
                               "until": (w["start"] + timedelta(seconds=1000)).isoformat()}  # fmt: skip
    assert [a["extension"] for a in stats["agents"]] == ["301", "302"]
    assert stats["agents"] == [ALICE, BOB]
    totals = stats["totals"]
    assert {k: totals[k] for k in ("calls", "contacts", "talk_seconds", "wrap_seconds",
                                   "ring_seconds", "pause_total_seconds", "idle_seconds",
                                   "logged_in_seconds", "appointments")} == {
        "calls": 2, "contacts": 2, "talk_seconds": 180, "wrap_seconds": 30, "ring_seconds": 15,
        "pause_total_seconds": 300, "idle_seconds": 1475, "logged_in_seconds": 2000,
        "appointments": 1}  # fmt: skip
    assert totals["occupancy_pct"] == round(100 * 210 / 1700, 2)
    assert totals["dispositions"] == {"callback": 1, "sale": 1}
    for a in (*stats["agents"], totals):  # the invariant, through the API
        parts = (a["ring_seconds"] + a["talk_seconds"] + a["wrap_seconds"] +
                 a["pause_total_seconds"] + a["idle_seconds"])  # fmt: skip
        assert parts == a["logged_in_seconds"]
    # a period before the calls: logged-in time up to its end, no call counted; Bob is not
    # one of the campaign's agents and took none of its calls then, so he is not listed
    early = await _ok(
        world,
        "GET",
        url,
        params={
            "since": w["start"].isoformat(),
            "until": (w["start"] + timedelta(seconds=50)).isoformat(),
        },
    )
    assert [(a["extension"], a["calls"], a["idle_seconds"], a["logged_in_seconds"])
            for a in early["agents"]] == [("301", 0, 50, 50)]  # fmt: skip
    bad = await _ok(
        world,
        "GET",
        url,
        status=422,
        params={"since": w["start"].isoformat(), "until": w["start"].isoformat()},
    )
    assert bad["error_id"] == "stats-bad-period"
    await _ok(world, "GET", url, params={"format": "csv"}, status=422)
    assert (await _ok(world, "GET", url, "alice", status=403))["status"] == 403

    pdf = await world.client.get(url, params={"format": "pdf"}, headers=world.auth("sonia"))
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    flat = " ".join(text.split())
    assert "Statistics Zoe Spring" in flat
    for agent in (*stats["agents"], {**totals, "extension": "total"}):
        assert _row(agent) in flat, (_row(agent), flat)
    assert "Pause time per reason" in flat
    assert "Pause lunch" in flat
    assert f"placed (all time): {stats['placed']}" in flat

    xlsx = await world.client.get(url, params={"format": "xlsx"}, headers=world.auth("admin_a"))
    assert xlsx.status_code == 200, xlsx.text
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Agents", "Campaign", "Dispositions"]
    rows = [list(r) for r in book["Agents"].iter_rows(values_only=True)]
    assert rows[0][:11] == ["Agent", "Calls", "Contacts", "Talk s", "Wrap-up s", "Ringing s",
                            "Pause s", "Idle s", "Logged in s", "Occupancy %", "Appointments"]  # fmt: skip
    assert rows[0][11:] == ["Pause lunch s"]
    for row, a in zip(rows[1:], (*stats["agents"], totals), strict=True):
        assert row == [a["extension"], a["calls"], a["contacts"], a["talk_seconds"],
                       a["wrap_seconds"], a["ring_seconds"], a["pause_total_seconds"],
                       a["idle_seconds"], a["logged_in_seconds"], a["occupancy_pct"],
                       a["appointments"], a["pause_seconds"].get("lunch", 0)]  # fmt: skip
    campaign = {r[0]: r[1] for r in book["Campaign"].iter_rows(values_only=True)}
    assert (campaign["Campaign"], campaign["Talk s"], campaign["Logged in s"]) == (
        "Zoe Spring", 180, 2000)  # fmt: skip
    assert campaign["placed (all time)"] == stats["placed"]
    dispositions = [list(r) for r in book["Dispositions"].iter_rows(values_only=True)]
    assert dispositions == [["Agent", "Disposition", "Count"], ["301", "sale", 1],
                            ["302", "callback", 1]]  # fmt: skip


async def test_an_agents_own_day(world: World) -> None:
    w = await _day(world)
    mine = await _ok(world, "GET", "/api/v1/agents/301/stats", "alice")
    assert mine == {**ALICE, "day": w["start"].date().isoformat(),
                    "since": w["start"].replace(hour=0).isoformat(),
                    "until": (w["start"].replace(hour=0) + timedelta(days=1)).isoformat()}  # fmt: skip
    before = await _ok(
        world, "GET", "/api/v1/agents/301/stats", "alice", params={"day": "2025-12-31"}
    )  # _world's calls: 5 min before
    assert (before["calls"], before["logged_in_seconds"]) == (1, 0)  # no state logged that day
    other = await _ok(world, "GET", "/api/v1/agents/302/stats", "alice", status=404)
    assert other["error_id"] == "extension-not-found"
    assert (await _ok(world, "GET", "/api/v1/agents/302/stats", "sonia"))["talk_seconds"] == 60
    await _ok(world, "GET", "/api/v1/agents/302/stats", "user_a", status=403)
    await _ok(world, "GET", "/api/v1/agents/999/stats", status=404)
    await _ok(world, "GET", "/api/v1/agents/301/stats", "admin_b", status=404)


async def test_campaign_export_workbook(world: World) -> None:
    w = await _day(world)
    url = f"{C}/{w['campaign_id']}/export.xlsx"
    response = await world.client.get(url, headers=world.auth("sonia"))
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Leads", "Appointments"]
    rows = [list(r) for r in book["Leads"].iter_rows(values_only=True)]
    header = rows[0]
    assert header[:8] == ["id", "number", "name", "postal_code", "status", "attempts",
                          "last_outcome", "disposition"]  # fmt: skip
    assert header[8:] == ["custom Company", "custom city", "answer budget", "answer interested"]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert sorted(by_id) == sorted(w["leads"])
    alice = by_id[w["alice_lead"]]
    assert (alice["custom Company"], alice["custom city"]) == ("Zoe AG", "Lausanne")
    assert (alice["answer interested"], alice["answer budget"]) == ("yes", "=1+1")  # text
    bob = by_id[w["bob_lead"]]
    assert (bob["custom Company"], bob["custom city"], bob["answer interested"]) == (
        "Bären", None, None)  # fmt: skip
    booked = [list(r) for r in book["Appointments"].iter_rows(values_only=True)]
    assert booked[0] == ["id", "lead_id", "lead_number", "agent", "title", "starts_at",
                         "ends_at", "notes", "sync_state"]  # fmt: skip
    assert [(r[1], r[2], r[3], r[4]) for r in booked[1:]] == [
        (w["alice_lead"], alice["number"], "301", "Demo at Acme")]  # fmt: skip
    assert booked[1][5] == (w["start"] + timedelta(days=2)).replace(tzinfo=None)
    await _ok(world, "GET", url, "alice", status=403)
    await _ok(world, "GET", url, "admin_b", status=404)
    await _ok(world, "GET", f"{C}/{w['campaign_id']}/stats", "admin_b", status=404)
