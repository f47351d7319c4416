"""/api/v1/campaigns calling days and legal rules (SQLite and PostgreSQL): the fields on create,
read and PATCH (defaults "mon-sun" and true, days stored in canonical form), 422 with the error
id for days that do not parse and for a campaign that could never call the tenant's own
country, with nothing written."""

from __future__ import annotations

from tests.api.conftest import World
from tests.api.test_campaigns_api import C, _ok


async def test_fields_on_create_read_and_patch(world: World) -> None:
    plain = await _ok(world, "POST", C, status=201, json={"name": "Plain", "method": "preview"})
    assert (plain["calling_days"], plain["legal_rules"]) == ("mon-sun", True)
    made = await _ok(world, "POST", C, status=201,
                     json={"name": "Week", "method": "preview", "calling_days": "Mon-Fri",
                           "legal_rules": False})  # fmt: skip
    assert (made["calling_days"], made["legal_rules"]) == ("mon-fri", False)
    read = await _ok(world, "GET", f"{C}/{made['id']}")
    assert (read["calling_days"], read["legal_rules"]) == ("mon-fri", False)
    patched = await _ok(world, "PATCH", f"{C}/{made['id']}",
                        json={"calling_days": "mon,wed,fri", "legal_rules": True})  # fmt: skip
    assert (patched["calling_days"], patched["legal_rules"]) == ("mon,wed,fri", True)
    listed = await _ok(world, "GET", C)
    assert {c["name"]: c["calling_days"] for c in listed["items"]} == {
        "Plain": "mon-sun", "Week": "mon,wed,fri",
    }  # fmt: skip


async def test_bad_days_and_a_campaign_that_never_opens_are_422(world: World) -> None:
    bad = await _ok(world, "POST", C, status=422,
                    json={"name": "X", "method": "preview", "calling_days": "weekdays"})  # fmt: skip
    assert (bad["error_id"], bad["field"]) == ("campaign-bad-days", "calling_days")
    assert "mon-fri" in bad["detail"]
    # Sundays only: never a legal calling day at home, with the legal rules (the default)
    never = await _ok(world, "POST", C, status=422,
                      json={"name": "X", "method": "preview", "calling_days": "sun"})  # fmt: skip
    assert never["error_id"] == "campaign-never-opens"
    assert "the campaign would never call" in never["detail"]
    assert "the calling days sun are never legal calling days" in never["detail"]
    assert (await _ok(world, "GET", C))["total"] == 0
    made = await _ok(world, "POST", C, status=201,
                     json={"name": "X", "method": "preview", "calling_days": "mon-fri"})  # fmt: skip
    refused = await _ok(world, "PATCH", f"{C}/{made['id']}", status=422,
                        json={"calling_days": "sun"})  # fmt: skip
    assert refused["error_id"] == "campaign-never-opens"
    assert (await _ok(world, "GET", f"{C}/{made['id']}"))["calling_days"] == "mon-fri"
    assert (await _ok(world, "PATCH", f"{C}/{made['id']}", status=422,
                      json={"legal_rules": "maybe"}))  # fmt: skip
    ok = await _ok(world, "PATCH", f"{C}/{made['id']}",
                   json={"calling_days": "sun", "legal_rules": False})  # fmt: skip
    assert (ok["calling_days"], ok["legal_rules"]) == ("sun", False)
