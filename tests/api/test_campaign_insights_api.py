"""GET /api/v1/campaigns/{id}/explain and POST /api/v1/campaigns/{id}/simulate (SQLite and
PostgreSQL): the per-filter counts move with the clock and the focus, one number's verdict
(fixed caller ID, Zurich time, DNC list, attempts left), bad input 422, the replay on defaults
and on an observed day (deterministic), and another tenant's campaign 404 with nothing shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from centrex.data.models import Lead, LeadAttempt
from tests.api.conftest import World
from tests.api.test_campaigns_api import C, _ok, _setup


async def test_explain_counts_follow_the_window_and_the_focus(world: World) -> None:
    cid = (await _setup(world))["campaign"]["id"]
    # the clock starts on 1 January, a Swiss public holiday: the window alone is at stake here
    await _ok(world, "PATCH", f"{C}/{cid}", json={"legal_rules": False})
    night = await _ok(world, "GET", f"{C}/{cid}/explain")  # 01:00 in Zurich
    assert (night["leads"], night["dialable_now"], night["removed"]["window"]) == (2, 0, 2)
    assert "the campaign is draft: the dialer takes no lead" in night["hints"]
    world.clock.advance(10 * 3600)  # 11:00 in Zurich
    day = await _ok(world, "GET", f"{C}/{cid}/explain")
    assert (day["dialable_now"], day["removed"]["window"]) == (2, 0)
    await _ok(world, "PUT", f"{C}/{cid}/focus", json={"postal_codes": ["3001"]})
    focused = await _ok(world, "GET", f"{C}/{cid}/explain")
    assert (focused["dialable_now"], focused["removed"]["postal_focus"]) == (1, 1)


async def test_explain_one_number(world: World) -> None:
    cid = (await _setup(world))["campaign"]["id"]
    world.clock.advance(10 * 3600)
    # 1 January is a Swiss public holiday: with the default legal rules, closed until the 2nd
    holiday = await _ok(world, "GET", f"{C}/{cid}/explain", params={"number": "044 555 00 01"})
    assert (holiday["inside_window"], holiday["blocked_by"]) == (False, "window")
    assert holiday["closed_reason"] == "public holiday in CH: Neujahrstag"
    # Friday 2nd 08:00 in Zurich (the campaign's window opens at 09:00)
    assert holiday["next_window_opening"] == "2026-01-02T08:00:00Z"
    await _ok(world, "PATCH", f"{C}/{cid}", json={"legal_rules": False})
    lead = await _ok(world, "GET", f"{C}/{cid}/explain", params={"number": "044 555 00 01"})
    assert {k: lead[k] for k in ("number", "caller_id", "inside_window", "attempts_left",
                                 "dialable_now", "blocked_by")} == {
        "number": "+41445550001", "caller_id": "+41215550100", "inside_window": True,
        "attempts_left": 3, "dialable_now": True, "blocked_by": None,
    }  # fmt: skip
    assert lead["local_time"] == {"Europe/Zurich": "2026-01-01T11:00+01:00"}
    assert lead["lead"]["name"] == "Zoe Lead"
    assert lead["next_attempt_at"] == "2026-01-01T10:00:00Z"
    blocked = await _ok(world, "GET", f"{C}/{cid}/explain", params={"number": "+41445550009"})
    assert blocked["dnc"] == {"tenant": True, "campaign": False, "national": None,
                                "blocked": True}  # fmt: skip
    assert (blocked["lead"], blocked["dialable_now"]) == (None, False)
    bad = await _ok(world, "GET", f"{C}/{cid}/explain", status=422, params={"number": "123 4"})
    assert bad["error_id"] == "explain-bad-number"


async def _history(world: World, campaign_id: int, day: datetime, count: int) -> None:
    async with world.database.transaction() as session:
        lead = await session.scalar(select(Lead.id).where(Lead.campaign_id == campaign_id))
        assert lead is not None
        for i in range(count):
            answered = i % 3 == 0
            session.add(LeadAttempt(
                tenant_id=world.ids["a"], lead_id=lead, campaign_id=campaign_id,
                started_at=day + timedelta(seconds=60 * i),
                ended_at=day + timedelta(seconds=60 * i + 30), outcome="answered" if answered
                else "no-answer", talk_seconds=90 + i if answered else 0,
                ring_seconds=8 if answered else 25, wrap_seconds=10 if answered else 0,
            ))  # fmt: skip


async def test_simulate_on_defaults_then_on_an_observed_day(world: World) -> None:
    cid = (await _setup(world))["campaign"]["id"]
    thin: dict[str, Any] = await _ok(world, "POST", f"{C}/{cid}/simulate")
    assert (thin["basis"], thin["attempts"], thin["day"]) == ("defaults", 0, "2025-12-31")
    assert thin["assumptions"]["answer_rate_pct"] == 28.0
    assert [m["method"] for m in thin["methods"]] == [
        "progressive", "ratio 1", "ratio 2", "predictive",
    ]  # fmt: skip
    await _history(world, cid, datetime(2025, 12, 31, 9, 0, tzinfo=UTC), 90)
    observed = await _ok(world, "POST", f"{C}/{cid}/simulate", json={"day": "2025-12-31"})
    assert (observed["basis"], observed["attempts"]) == ("observed", 90)
    assert observed["observed_answer_rate_pct"] == 33.33
    assert observed["methods"] == (await _ok(world, "POST", f"{C}/{cid}/simulate"))["methods"]
    future = await _ok(world, "POST", f"{C}/{cid}/simulate", status=422, json={"day": "2026-02-01"})
    assert future["error_id"] == "simulate-future-day"
    other = await _ok(world, "POST", f"{C}/{cid}/simulate", "admin_b", status=404)
    assert other["error_id"] == "campaign-not-found"
    assert "Zoe" not in str(other)
