"""Calling days and legal rules of a campaign on SQLite and PostgreSQL: the settings (defaults,
canonical days, bad days), the campaign that could never call its tenant's own country refused
at create and update (nothing written), the hopper pushing a lead claimed on a French public
holiday or a non-calling day to its next legal opening, and `explain` giving the reason and the
next opening and counting such leads under `window`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from centrex.clock import ManualClock
from centrex.contact_center import campaigns
from centrex.contact_center.explain import explain_campaign, explain_number
from centrex.contact_center.hopper import claim_leads
from centrex.data.db import Database
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from tests.contact_center.test_hopper import add_leads, lead_rows, start, tenant_id
from tests.contact_center.world import A, B, campaign_of, in_tenant, make_world, new_campaign

PARIS, NEW_YORK = "+33142685301", "+12125550123"
CHRISTMAS = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)  # Friday, 11:00 in Paris, 05:00 in NY
MONDAY_10_PARIS = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)  # 16:00 in Paris, 10:00 in New York


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> Database:
    await make_world(db, clock)
    return db


async def _settings(db: Database, name: str = "Spring", domain: str = A) -> dict[str, object]:
    async def read(scope: TenantScope) -> dict[str, object]:
        return await campaigns.campaign_dict(scope, await campaign_of(scope, name))

    return await in_tenant(db, domain, read)


async def test_defaults_and_canonical_days(world: Database) -> None:
    await new_campaign(world)
    made = await _settings(world)
    assert (made["calling_days"], made["legal_rules"]) == ("mon-sun", True)
    await new_campaign(world, "Autumn", calling_days="Fri, Mon-Wed", legal_rules=False)
    other = await _settings(world, "Autumn")
    assert (other["calling_days"], other["legal_rules"]) == ("mon-wed,fri", False)
    with pytest.raises(ValidationFailed, match="calling days") as bad:
        await new_campaign(world, "Winter", calling_days="weekdays")
    assert (bad.value.error_id, bad.value.field) == ("campaign-bad-days", "calling_days")


async def test_a_campaign_that_never_calls_its_own_country_is_refused(world: Database) -> None:
    # tenant A is French: weekends only, with the legal rules, never calls France
    with pytest.raises(ValidationFailed) as weekend:
        await new_campaign(world, calling_days="sat-sun")
    assert (weekend.value.error_id, weekend.value.field) == ("campaign-never-opens",
                                                             "calling_days")  # fmt: skip
    assert weekend.value.message == (
        "the campaign would never call FR: the calling days sat-sun are never legal calling "
        "days in FR (10:00-13:00, 14:00-20:00 Mon-Fri)"
    )
    with pytest.raises(ValidationFailed, match="never meets the legal hours in FR") as evening:
        await new_campaign(world, window="20:00-22:00")
    assert evening.value.field == "window"
    # tenant B is Swiss: Saturday 09:00-16:00 is legal there, Sunday is not
    await new_campaign(world, "Samstag", B, calling_days="sat")
    with pytest.raises(ValidationFailed, match="never call CH"):
        await new_campaign(world, "Sonntag", B, calling_days="sun")
    # without legal rules the campaign's own settings are all there is
    await new_campaign(world, "Weekend", calling_days="sat-sun", legal_rules=False)

    async def names(scope: TenantScope) -> list[str]:
        return [c.name for c in await campaigns.list_campaigns(scope)]

    assert await in_tenant(world, A, names) == ["Weekend"]


async def test_update_is_checked_against_the_merged_settings(world: Database) -> None:
    await new_campaign(world, calling_days="mon-fri")

    async def change(scope: TenantScope, changes: dict[str, object]) -> None:
        await campaigns.update_campaign(scope, await campaign_of(scope), changes)

    with pytest.raises(ValidationFailed, match="never call FR"):
        await in_tenant(world, A, lambda s: change(s, {"calling_days": "sat-sun"}))
    with pytest.raises(ValidationFailed, match="calling days"):
        await in_tenant(world, A, lambda s: change(s, {"calling_days": "mon-"}))
    assert (await _settings(world))["calling_days"] == "mon-fri"  # nothing written
    # rules off first, then the weekend is the campaign's own business
    await in_tenant(world, A, lambda s: change(s, {"legal_rules": False}))
    await in_tenant(world, A, lambda s: change(s, {"calling_days": "sat-sun"}))
    with pytest.raises(ValidationFailed, match="never call FR"):  # rules back on: refused
        await in_tenant(world, A, lambda s: change(s, {"legal_rules": True}))
    after = await _settings(world)
    assert (after["calling_days"], after["legal_rules"]) == ("sat-sun", False)


async def test_a_lead_claimed_on_a_french_holiday_waits_for_the_next_legal_opening(
    world: Database,
) -> None:
    cid = await start(world)  # defaults: every day, 09:00-20:00, legal rules on
    a = await tenant_id(world, A)
    ids = await add_leads(world, cid, A, [{"number": PARIS}, {"number": NEW_YORK}])
    assert await claim_leads(world, a, cid, 10, CHRISTMAS) == []
    rows = await lead_rows(world, ids)
    # Christmas, then the weekend: Monday 10:00 in Paris; New York opens at 09:00 (its
    # window; TCPA has no holiday rule) = 14:00 UTC the same day
    assert rows[ids[0]].next_attempt_at == MONDAY_10_PARIS
    assert rows[ids[1]].next_attempt_at == datetime(2026, 12, 25, 14, 0, tzinfo=UTC)
    later = await claim_leads(world, a, cid, 10, MONDAY_10_PARIS)
    assert [c.number for c in later] == [PARIS]


async def test_calling_days_and_rules_off_in_the_hopper(world: Database) -> None:
    a = await tenant_id(world, A)
    weekdays = await start(world, "Weekdays", calling_days="mon-fri", legal_rules=False)
    free = await start(world, "Free", legal_rules=False)
    w_ids = await add_leads(world, weekdays, A, [{"number": PARIS}])
    await add_leads(world, free, A, [{"number": PARIS}])
    assert await claim_leads(world, a, weekdays, 10, SATURDAY) == []
    # Monday 09:00 in Paris (the campaign's window; no legal rules)
    monday = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert (await lead_rows(world, w_ids))[w_ids[0]].next_attempt_at == monday
    assert [c.number for c in await claim_leads(world, a, free, 10, SATURDAY)] == [PARIS]


async def test_a_lead_that_never_opens_in_the_horizon_is_pushed_to_its_end(
    world: Database,
) -> None:
    # Swiss tenant, Saturdays only: legal at home, never legal in France
    cid = await start(world, "Samstag", B, calling_days="sat")
    ids = await add_leads(world, cid, B, [{"number": PARIS}])
    assert await claim_leads(world, await tenant_id(world, B), cid, 10, SATURDAY) == []
    assert (await lead_rows(world, ids))[ids[0]].next_attempt_at == datetime(
        2026, 12, 19, 15, 0, tzinfo=UTC
    )  # 14 days later: looked at again then


async def test_explain_gives_the_reason_and_the_next_opening(world: Database) -> None:
    cid = await start(world)
    await add_leads(world, cid, A, [{"number": PARIS}, {"number": "+33142685302"},
                                    {"number": NEW_YORK}])  # fmt: skip

    async def explain(scope: TenantScope) -> tuple[dict[str, object], dict[str, object]]:
        found = await campaign_of(scope)
        return (await explain_number(scope, found, PARIS, CHRISTMAS),
                await explain_campaign(scope, found, CHRISTMAS))  # fmt: skip

    one, counts = await in_tenant(world, A, explain)
    assert (one["inside_window"], one["blocked_by"]) == (False, "window")
    assert one["closed_reason"] == "public holiday in FR: Noël"
    assert one["next_window_opening"] == MONDAY_10_PARIS
    assert one["next_attempt_at"] == MONDAY_10_PARIS
    assert (one["calling_days"], one["legal_rules"]) == ("mon-sun", True)
    # the two French leads (holiday) and New York (05:00) are all removed by the window
    assert counts["removed"]["window"] == 3
    assert counts["dialable_now"] == 0

    async def on_monday(scope: TenantScope) -> dict[str, object]:
        return await explain_number(scope, await campaign_of(scope), PARIS, MONDAY_10_PARIS)

    monday = await in_tenant(world, A, on_monday)
    assert (monday["closed_reason"], monday["dialable_now"]) == (None, True)
