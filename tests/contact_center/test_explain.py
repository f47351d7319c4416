"""`explain`: the literal table of the lead filters (which one removes a lead first), and, on
SQLite and PostgreSQL, a campaign whose leads each hit one filter — the per-filter counts, the
dialable count equal to what the hopper's own query finds and to what `claim_leads` really
claims, one number's verdict, and tenant B never seeing A's leads (nothing is written)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from centrex.clock import ManualClock
from centrex.contact_center import campaigns, dnc
from centrex.contact_center.explain import (
    FILTERS,
    dialable_count,
    explain_campaign,
    explain_number,
    first_filter,
)
from centrex.contact_center.hopper import claim_leads
from centrex.data.db import Database
from centrex.data.models import LeadStatus
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from tests.contact_center.test_hopper import add_leads, lead_rows, start, tenant_id
from tests.contact_center.world import A, B, campaign_of, in_tenant, make_world

AFTERNOON = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # 15:00 Paris, 06:00 Los Angeles
LATER, EARLIER = AFTERNOON + timedelta(hours=1), AFTERNOON - timedelta(hours=1)

# (status, attempts, next attempt, postal code, on DNC, window open) -> first filter failing;
# focus is ["75"] and max attempts 3 in every row
TABLE = [
    ((LeadStatus.NEW, 0, None, "75", False, True), None),
    ((LeadStatus.RETRY, 2, EARLIER, "75", False, True), None),
    ((LeadStatus.DONE, 0, None, "75", False, True), "status"),
    ((LeadStatus.IN_CALL, 0, None, "75", False, True), "status"),
    ((LeadStatus.EXHAUSTED, 3, None, "13", True, False), "status"),
    ((LeadStatus.DNC, 0, None, "75", True, True), "status"),
    ((LeadStatus.RETRY, 3, None, "75", False, True), "attempts"),
    ((LeadStatus.RETRY, 3, LATER, "13", True, False), "attempts"),
    ((LeadStatus.RETRY, 1, LATER, "75", False, True), "not_yet_due"),
    ((LeadStatus.RETRY, 1, AFTERNOON, "75", False, True), None),  # due exactly now
    ((LeadStatus.NEW, 0, None, "13", True, False), "postal_focus"),
    ((LeadStatus.NEW, 0, None, "75011", False, True), None),  # the focus is a prefix
    ((LeadStatus.NEW, 0, None, "7", False, True), "postal_focus"),  # ... not the other way
    ((LeadStatus.NEW, 0, None, "75", True, False), "dnc"),
    ((LeadStatus.NEW, 0, None, "75", False, False), "window"),
]


@pytest.mark.parametrize(("lead", "expected"), TABLE)
def test_first_filter_table(
    lead: tuple[LeadStatus, int, datetime | None, str, bool, bool], expected: str | None
) -> None:
    status, attempts, next_at, postal, blocked, window_open = lead
    found = first_filter(status=status, attempts=attempts, next_attempt_at=next_at,
                         postal_code=postal, blocked=blocked, window_open=window_open,
                         max_attempts=3, focus=["75"], now=AFTERNOON)  # fmt: skip
    assert found == expected
    assert found is None or found in FILTERS


def test_no_focus_keeps_every_postal_code() -> None:
    assert first_filter(status=LeadStatus.NEW, attempts=0, next_attempt_at=None, postal_code="13",
                        blocked=False, window_open=True, max_attempts=3, focus=[],
                        now=AFTERNOON) is None  # fmt: skip


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> Database:
    await make_world(db, clock)
    return db


async def _campaign(db: Database) -> int:
    """One lead per filter (and two dialable), in a running campaign focused on 75."""
    cid = await start(db, window="09:00-20:00")
    await add_leads(db, cid, A, [
        {"number": "+33142685301", "postal_code": "75001"},  # dialable
        {"number": "+33142685302", "postal_code": "75002", "status": LeadStatus.RETRY,
         "attempts": 1, "next_attempt_at": EARLIER},  # dialable
        {"number": "+33142685303", "postal_code": "75003", "status": LeadStatus.DONE},
        {"number": "+33142685304", "postal_code": "75004", "status": LeadStatus.RETRY,
         "attempts": 3},
        {"number": "+33142685305", "postal_code": "75005", "status": LeadStatus.RETRY,
         "attempts": 1, "next_attempt_at": LATER},
        {"number": "+33491000001", "postal_code": "13001"},  # outside the focus
        {"number": "+33142685306", "postal_code": "75006"},  # put on the campaign's DNC
        {"number": "+13105550123", "postal_code": "75007"},  # 06:00 in Los Angeles
    ])  # fmt: skip

    async def setup(scope: TenantScope) -> None:
        campaign = await campaign_of(scope)
        await campaigns.set_focus(scope, campaign, ["75001", "75002", "75003", "75004", "75005",
                                                    "75006", "75007"])  # fmt: skip
        await dnc.add_number(scope, "+33142685306", campaign)

    await in_tenant(db, A, setup)
    return cid


async def test_campaign_counts_match_the_hopper(world: Database) -> None:
    cid = await _campaign(world)

    async def explain(scope: TenantScope) -> tuple[dict[str, object], int]:
        campaign = await campaign_of(scope)
        return await explain_campaign(scope, campaign, AFTERNOON), await dialable_count(
            scope, campaign, AFTERNOON
        )

    answer, counted = await in_tenant(world, A, explain)
    assert answer["removed"] == {"status": 1, "attempts": 1, "not_yet_due": 1,
                                 "postal_focus": 1, "dnc": 1, "window": 1}  # fmt: skip
    assert (answer["leads"], answer["dialable_now"], counted) == (8, 2, 2)
    assert answer["running"] is True
    assert answer["hints"] == []
    # explaining wrote nothing: the DNC lead is still new, the LA lead not pushed
    rows = await lead_rows(world, list(range(1, 100)))
    assert {r.number: r.status for r in rows.values()}["+33142685306"] is LeadStatus.NEW
    claimed = await claim_leads(world, await tenant_id(world, A), cid, 10, AFTERNOON)
    assert sorted(c.number for c in claimed) == ["+33142685301", "+33142685302"]


async def test_one_number(world: Database) -> None:
    await _campaign(world)

    async def explain(scope: TenantScope, number: str) -> dict[str, object]:
        return await explain_number(scope, await campaign_of(scope), number, AFTERNOON)

    la = await in_tenant(world, A, lambda s: explain(s, "+13105550123"))
    assert (la["inside_window"], la["blocked_by"], la["dialable_now"]) == (False, "window", False)
    assert la["local_time"] == {"America/Los_Angeles": "2026-12-03T06:00-08:00"}
    assert la["next_attempt_at"] == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)  # 09:00 there
    paris = await in_tenant(world, A, lambda s: explain(s, "01 42 68 53 06"))  # national, FR
    assert (paris["number"], paris["blocked_by"]) == ("+33142685306", "dnc")
    assert paris["dnc"] == {"tenant": False, "campaign": True, "national": None,
                            "blocked": True}  # fmt: skip
    assert paris["caller_id"] == "+33142685300"  # local presence: the Paris number
    marseille = await in_tenant(world, A, lambda s: explain(s, "+33491000001"))
    assert (marseille["caller_id"], marseille["blocked_by"]) == ("+33491000000", "postal_focus")
    later = await in_tenant(world, A, lambda s: explain(s, "+33142685305"))
    assert (later["attempts_left"], later["next_attempt_at"]) == (2, LATER)
    with pytest.raises(ValidationFailed) as bad:
        await in_tenant(world, A, lambda s: explain(s, "not a number"))
    assert bad.value.error_id == "explain-bad-number"


async def test_other_tenant_sees_none_of_the_leads(world: Database) -> None:
    await _campaign(world)
    await start(world, "Spring", B)

    async def explain(scope: TenantScope) -> dict[str, object]:
        campaign = await campaign_of(scope)
        return await explain_number(scope, campaign, "+33142685301", AFTERNOON) | {
            "summary": await explain_campaign(scope, campaign, AFTERNOON)
        }

    seen = await in_tenant(world, B, explain)
    assert seen["lead"] is None
    assert seen["summary"]["leads"] == 0  # type: ignore[index]
    assert seen["dnc"] == {"tenant": False, "campaign": False, "national": None,
                           "blocked": False}  # fmt: skip
