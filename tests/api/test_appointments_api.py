"""/api/v1/appointments and /api/v1/campaigns/{id}/calendar (SQLite and PostgreSQL): booking
(201 + Location), conflicts in every answer, change and cancel; who may (admin and supervisor
the tenant's, an agent only its campaigns' and for its own extension, a plain user 403); the
calendar settings never answer the secret; and with a real Radicale (SQLite): a booking reaches
the server after the answer, wrong credentials answer the error and keep the appointment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import World
from tests.api.test_campaigns_api import _ok, _setup
from tests.api.test_dispositions_api import _staff
from tests.contact_center.radicale_server import PASSWORD, USER, Radicale, running_radicale

AP = "/api/v1/appointments"
T9, T10, T11 = "2026-12-10T09:00:00+01:00", "2026-12-10T10:00:00+01:00", "2026-12-10T11:00:00+01:00"


async def _world(world: World) -> dict[str, Any]:
    made = await _setup(world)
    await _staff(world)  # Alice: agent on 301 (the campaign's agent), Bob: agent on 302, Sonia
    cid = made["campaign"]["id"]
    leads = (await _ok(world, "GET", "/api/v1/leads", params={"campaign_id": cid}))["items"]
    return {"campaign_id": cid, "lead_id": leads[0]["id"]}


def _body(ids: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"campaign_id": ids["campaign_id"], "lead_id": ids["lead_id"], "title": "Visit Zoe",
            "starts_at": T9, "ends_at": T10, **extra}  # fmt: skip


async def test_book_list_change_cancel(world: World) -> None:
    ids = await _world(world)
    response = await world.client.post(AP, json=_body(ids, notes="bring\nthe offer"),
                                       headers=world.auth("admin_a"))  # fmt: skip
    assert response.status_code == 201, response.text
    first = response.json()
    assert response.headers["Location"] == f"{AP}/{first['id']}"
    assert (first["title"], first["lead_id"], first["extension"]) == ("Visit Zoe", ids["lead_id"],
                                                                      None)  # fmt: skip
    assert first["starts_at"].startswith("2026-12-10T08:00:00")  # UTC
    assert (first["sync_state"], first["conflicts"], first["remote"]) == ("pending", [], False)
    second = await _ok(world, "POST", AP, status=201,
                       json=_body(ids, title="Second", starts_at=T9, ends_at=T11,
                                  extension="301"))  # fmt: skip
    assert second["conflicts"] == [first["id"]]
    assert second["extension"] == "301"
    listed = await _ok(world, "GET", AP, params={"campaign_id": ids["campaign_id"]})
    assert listed["total"] == 2
    assert {a["id"]: a["conflicts"] for a in listed["items"]} == {
        first["id"]: [second["id"]], second["id"]: [first["id"]]}  # fmt: skip
    moved = await _ok(world, "PUT", f"{AP}/{first['id']}",
                      json={"starts_at": "2026-12-10T12:00:00+01:00",
                            "ends_at": "2026-12-10T13:00:00+01:00", "title": "Visit (later)"})  # fmt: skip
    assert (moved["title"], moved["conflicts"]) == ("Visit (later)", [])
    assert (await _ok(world, "GET", f"{AP}/{second['id']}"))["conflicts"] == []
    late = await _ok(world, "GET", AP, params={"since": "2026-12-10T11:30:00+01:00"})
    assert [a["id"] for a in late["items"]] == [first["id"]]
    by_lead = await _ok(world, "GET", AP, params={"lead_id": ids["lead_id"]})
    assert [a["id"] for a in by_lead["items"]] == [second["id"], first["id"]]
    await _ok(world, "DELETE", f"{AP}/{first['id']}", status=204)
    await _ok(world, "GET", f"{AP}/{first['id']}", status=404)
    # bad input
    bad = await _ok(world, "POST", AP, status=422, json=_body(ids, ends_at=T9))
    assert bad["error_id"] == "appointment-bad-time"
    await _ok(world, "POST", AP, status=422, json=_body(ids, starts_at="2026-12-10T09:00:00"))
    unknown = await _ok(world, "POST", AP, status=422, json=_body(ids, extension="999"))
    assert unknown["error_id"] == "appointment-agent-unknown"
    await _ok(world, "POST", AP, status=422, json=_body(ids, colour="red"))
    for edge in ("9999-12-31T23:30:00-23:00", "0001-01-01T00:10:00+05:00"):  # UTC overflows
        far = await _ok(world, "POST", AP, status=422, json=_body(ids, starts_at=edge))
        assert far["error_id"] == "appointment-bad-time"
        listed_far = await _ok(world, "GET", AP, status=422, params={"since": edge})
        assert listed_far["error_id"] == "appointment-bad-time"


async def test_who_may(world: World) -> None:
    ids = await _world(world)
    mine = await _ok(world, "POST", AP, "alice", 201, json=_body(ids))
    assert mine["extension"] == "301"  # the agent's own extension by default
    await _ok(world, "POST", AP, "alice", 403, json=_body(ids, extension="302"))
    assert (await _ok(world, "GET", AP, "alice"))["total"] == 1
    # Bob works in no campaign of A's: Alice's appointment and the campaign are not his
    assert (await _ok(world, "GET", AP, "bob"))["total"] == 0
    await _ok(world, "GET", f"{AP}/{mine['id']}", "bob", 404)
    await _ok(world, "PUT", f"{AP}/{mine['id']}", "bob", 404, json={"title": "Mine"})
    await _ok(world, "DELETE", f"{AP}/{mine['id']}", "bob", 404)
    missing = await _ok(world, "POST", AP, "bob", 404, json=_body(ids))
    assert missing["error_id"] == "campaign-not-found"
    await _ok(world, "GET", AP, "user_a", 403)
    await _ok(world, "POST", AP, "user_a", 403, json=_body(ids))
    # the supervisor sees and changes the tenant's
    assert (await _ok(world, "GET", AP, "sonia"))["total"] == 1
    await _ok(world, "PUT", f"{AP}/{mine['id']}", "sonia", json={"notes": "confirmed"})
    changed = await _ok(world, "PUT", f"{AP}/{mine['id']}", "alice", json={"title": "Zoe again"})
    assert (changed["title"], changed["notes"]) == ("Zoe again", "confirmed")
    # calendar settings: admins and supervisors only
    cal = f"/api/v1/campaigns/{ids['campaign_id']}/calendar"
    await _ok(world, "PUT", cal, "alice", 403, json={"url": "https://dav.example/c/"})
    await _ok(world, "GET", cal, "alice", 403)
    await _ok(world, "PUT", cal, "sonia", json={"url": "https://dav.example/c/"})


async def test_calendar_settings(world: World) -> None:
    ids = await _world(world)
    cal = f"/api/v1/campaigns/{ids['campaign_id']}/calendar"
    absent = await _ok(world, "GET", cal, status=404)
    assert absent["error_id"] == "calendar-not-found"
    made = await _ok(world, "PUT", cal, json={"url": "https://dav.example/alice/spring/",
                                              "username": "alice", "secret": "pw"})  # fmt: skip
    assert made == {"campaign_id": ids["campaign_id"], "url": "https://dav.example/alice/spring/",
                    "username": "alice", "secret_set": True, "last_sync_at": None,
                    "last_error": ""}  # fmt: skip
    kept = await _ok(world, "PUT", cal, json={"url": "https://dav.example/alice/spring/",
                                              "username": "bob"})  # fmt: skip
    assert (kept["username"], kept["secret_set"]) == ("bob", True)
    cleared = await _ok(world, "PUT", cal, json={"url": "https://dav.example/x/", "secret": ""})
    assert cleared["secret_set"] is False
    for url in ("file:///etc/passwd", "http://[", "https://dav.example:port/"):
        bad = await _ok(world, "PUT", cal, status=422, json={"url": url})
        assert bad["error_id"] == "calendar-bad-url"
    long_secret = await _ok(world, "PUT", cal, json={"url": "https://dav.example/x/",
                                                     "secret": "ü" * 500})  # fmt: skip
    assert long_secret["secret_set"] is True
    assert "secret" not in await _ok(world, "GET", cal)
    await _ok(world, "DELETE", cal, status=204)
    await _ok(world, "GET", cal, status=404)
    await _ok(world, "POST", f"{cal}/sync", status=404)


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    root = tmp_path / "radicale"
    root.mkdir()
    with running_radicale(root) as server:
        yield server


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_booking_reaches_radicale_and_bad_credentials_are_told(
    world: World, radicale: Radicale
) -> None:
    ids = await _world(world)
    url = radicale.make_calendar("spring")
    cal = f"/api/v1/campaigns/{ids['campaign_id']}/calendar"
    await _ok(world, "PUT", cal, json={"url": url, "username": USER, "secret": PASSWORD})
    made = await _ok(world, "POST", AP, "alice", 201, json=_body(ids))
    # the pass after the change ran once the answer was committed
    assert [str(e["UID"]) for e in radicale.events(url)] == [made["uid"]]
    assert (await _ok(world, "GET", f"{AP}/{made['id']}"))["sync_state"] == "synced"
    radicale.add_event(url, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\n"
                            "UID:out@t\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20261210T150000Z\r\n"
                            "DTEND:20261210T160000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\n"
                            "END:VCALENDAR\r\n")  # fmt: skip
    report = await _ok(world, "POST", f"{cal}/sync")
    assert (report["ok"], report["pulled"], report["pushed"]) == (True, 1, 0)
    listed = (await _ok(world, "GET", AP, "alice"))["items"]
    assert [(a["title"], a["remote"]) for a in listed] == [("Visit Zoe", False), ("Dentist", True)]

    await _ok(world, "PUT", cal, json={"url": url, "username": USER, "secret": "wrong"})
    changed = await _ok(world, "PUT", f"{AP}/{made['id']}", "alice", json={"title": "Moved"})
    assert changed["sync_state"] == "pending"
    report = await _ok(world, "POST", f"{cal}/sync")
    assert report["ok"] is False
    assert report["failed"] == 1
    assert report["error"]
    kept = await _ok(world, "GET", f"{AP}/{made['id']}", "alice")
    assert (kept["title"], kept["sync_state"], kept["last_error"]) == ("Moved", "failed",
                                                                      report["error"])  # fmt: skip
    assert (await _ok(world, "GET", cal))["last_error"] == report["error"]
    assert [str(e["SUMMARY"]) for e in radicale.events(url) if str(e["UID"]) == made["uid"]] == [
        "Visit Zoe"]  # fmt: skip

    await _ok(world, "PUT", cal, json={"url": url, "username": USER, "secret": PASSWORD})
    report = await _ok(world, "POST", f"{cal}/sync")
    assert (report["ok"], report["pushed"]) == (True, 1)
    assert "Moved" in [str(e["SUMMARY"]) for e in radicale.events(url)]
